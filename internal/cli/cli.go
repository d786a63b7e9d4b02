// Package cli implements the sluice command line. Main is the whole program with
// its environment passed in, so tests run it in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/sluice-data/sluice/internal/obs"
)

// Env is what a command sees of the world.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// isTerminal reports whether w is a terminal (for progress bars and colour).
func (e *Env) isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && e.Getenv("TERM") != "dumb"
}

// command is one sluice subcommand.
type command struct {
	name    string
	usage   string // arguments after the name
	summary string
	help    string // longer description
	flags   func(fs *pflag.FlagSet) any
	run     func(ctx context.Context, env *Env, opts any, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// exitError carries an exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a command line mistake: exit code 2 with a hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs sluice with args (without the program name) and returns the exit
// code: 0 on success, 1 when a run or check failed, 2 for a usage error.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if len(args) == 0 && getenv(obs.EnvLambdaRuntime) != "" {
		// The binary is a Lambda function's bootstrap: serve the runtime API.
		return lambdaMain(ctx, env)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				printCommandHelp(stdout, c)
				return 0
			}
		}
		printHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" {
		args[0] = "version"
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sluice: unknown command %q\nRun 'sluice help' for the list of commands.\n", args[0])
		return 2
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetInterspersed(true)
	fs.SetOutput(io.Discard)
	var opts any
	if c.flags != nil {
		opts = c.flags(fs)
	}
	help := fs.BoolP("help", "h", false, "show help for "+c.name)
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprintf(stderr, "sluice %s: %v\nRun 'sluice %s --help' for usage.\n", c.name, err, c.name)
		return 2
	}
	if *help {
		printCommandHelp(stdout, c)
		return 0
	}
	err := c.run(ctx, env, opts, fs.Args())
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "sluice %s: %s\nRun 'sluice %s --help' for usage.\n", c.name, ue.msg, c.name)
		return 2
	default:
		fmt.Fprintf(stderr, "sluice %s: %s\n", c.name, obs.Redact(err.Error()))
		return 1
	}
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `sluice loads files from S3 or a folder into PostgreSQL, MySQL or SQLite through
declarative transform steps, exactly once per file, and serves the result.

Usage:
  sluice <command> [flags] [arguments]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run 'sluice help <command>' or 'sluice <command> --help' for a command's flags.
The project is the folder holding sluice.yaml (default: the working directory).
As an AWS Lambda function's bootstrap (AWS_LAMBDA_RUNTIME_API set, no arguments) it
serves the function that _HANDLER names: etl or api (see the README).
`)
}

func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: sluice %s %s\n\n%s\n", c.name, c.usage, c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	if c.flags != nil {
		c.flags(fs)
	}
	fs.BoolP("help", "h", false, "show help for "+c.name)
	fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
}
