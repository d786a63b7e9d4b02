package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/obs"
)

type runFlags struct {
	projectFlags
	all         bool
	fullRefresh bool
	dryRun      bool
	json        bool
	logLevel    string
	logFormat   string
	lockWait    time.Duration
}

func init() {
	register(&command{
		name:    "run",
		usage:   "[--project DIR] [--full-refresh] [--dry-run] [--json] (--all | PIPELINE…)",
		summary: "run pipelines: load new source files into the database",
		help: `
PIPELINE is a pipeline name from the project's pipelines folder, or the path of a
spec file (*.yaml). Each run loads the files that its ledger has not seen (or that
changed) in one transaction: the rows, the ledger and the run record commit
together, or nothing does. Rejected rows go to <storage>/_rejects/<pipeline>/<run-id>.jsonl.

Exit status is 0 only when every run succeeded.`,
		flags: func(fs *pflag.FlagSet) any {
			f := &runFlags{}
			f.register(fs)
			fs.BoolVar(&f.all, "all", false, "run every pipeline of the project")
			fs.BoolVar(&f.fullRefresh, "full-refresh", false, "reload every file, even those already in the ledger")
			fs.BoolVar(&f.dryRun, "dry-run", false, "do everything, then roll back: nothing is committed")
			fs.BoolVar(&f.json, "json", false, "print one JSON summary object per pipeline on stdout")
			fs.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn, error (default $SLUICE_LOG_LEVEL, else info; warn on a terminal, where a progress bar shows)")
			fs.StringVar(&f.logFormat, "log-format", "", "log format: auto (text on a terminal, else JSON lines), json, text (default $SLUICE_LOG_FORMAT, else auto)")
			fs.DurationVar(&f.lockWait, "lock-wait", 30*time.Second, "how long to wait for another run of the same pipeline to finish")
			return f
		},
		run: runRun,
	})
}

func runRun(ctx context.Context, env *Env, o any, args []string) error {
	f := o.(*runFlags)
	proj, err := loadProject(env, f.dir)
	if err != nil {
		return err
	}
	pipelines, err := selectPipelines(ctx, env, proj, args, f.all)
	if err != nil {
		return err
	}
	tty := env.isTerminal(env.Stderr)
	log, err := newLogger(env, env.Stderr, f.logLevel, f.logFormat, tty)
	if err != nil {
		return usageError{err.Error()}
	}
	db, err := openDB(ctx, proj)
	if err != nil {
		return err
	}
	defer db.Close()
	eng := newEngine(env, proj, db, log)
	eng.LockWait = f.lockWait
	var bar *progressBar
	if tty && !f.json {
		bar = newProgressBar(env.Stderr)
		eng.Progress = bar.update
	}
	var results []*engine.Result
	failed := 0
	for _, p := range pipelines {
		res, err := eng.Run(ctx, p, engine.Options{FullRefresh: f.fullRefresh, DryRun: f.dryRun, Trigger: "cli"})
		if bar != nil {
			bar.clear()
		}
		if err != nil {
			failed++
			if res == nil {
				return err
			}
			if !f.json {
				fmt.Fprintf(env.Stderr, "sluice run: pipeline %s failed: %v\n", p.Name, err)
			}
		}
		results = append(results, res)
		if f.json {
			if err := writeJSONSummary(env.Stdout, res); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if !f.json {
		printSummary(env.Stdout, results)
	}
	if failed > 0 {
		return exitError{1}
	}
	return nil
}

// writeJSONSummary prints a run's result as one JSON object: the run record
// (run_id, pipeline, status, files, rows_*, bytes_read, error, rejects_url) and
// duration_ms, table, ddl, message.
func writeJSONSummary(w io.Writer, r *engine.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func printSummary(w io.Writer, results []*engine.Result) {
	if len(results) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PIPELINE\tSTATUS\tFILES\tREAD\tLOADED\tINSERTED\tUPDATED\tREJECTED\tFILTERED\tDURATION\t")
	for _, r := range results {
		status := r.Status
		if r.DryRun && status != "failed" {
			status += " (dry run)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", r.Pipeline, status, r.Files, r.RowsRead,
			r.RowsLoaded, r.RowsInserted, r.RowsUpdated, r.RowsRejected, r.RowsFiltered,
			(time.Duration(r.DurationMS) * time.Millisecond).String())
	}
	tw.Flush()
	for _, r := range results {
		switch {
		case r.Error != "":
			fmt.Fprintf(w, "\n%s: %s\n", r.Pipeline, r.Error)
		case r.Message != "":
			fmt.Fprintf(w, "\n%s: %s\n", r.Pipeline, r.Message)
		}
		if r.RejectsURL != "" {
			fmt.Fprintf(w, "%s: %d rejected row(s) in %s\n", r.Pipeline, r.RowsRejected, r.RejectsURL)
		}
		if r.DryRun && len(r.DDL) > 0 {
			fmt.Fprintf(w, "%s: DDL that the run would apply:\n  %s\n", r.Pipeline, strings.ReplaceAll(strings.Join(r.DDL, ";\n"), "\n", "\n  "))
		}
	}
}

// newLogger returns the logger of a command: level and format come from the
// flags, else from SLUICE_LOG_LEVEL and SLUICE_LOG_FORMAT (in Lambda, from the
// function's log configuration). Without a level anywhere, a terminal shows only
// warnings and errors: the progress bar tells the rest.
func newLogger(env *Env, w io.Writer, level, format string, tty bool) (*slog.Logger, error) {
	o := obs.LogOptionsFromEnv(obs.LogOptions{Level: level, Format: format, Terminal: tty}, env.Getenv)
	if o.Level == "" && tty && !o.Lambda {
		o.Level = "warn"
	}
	log, err := obs.NewLogger(w, o)
	if err != nil {
		return nil, fmt.Errorf("bad log configuration: %w", err)
	}
	return log, nil
}

// progressBar draws one updating line on a terminal.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	shown bool
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w, start: time.Now()} }

func (b *progressBar) update(p engine.Progress) {
	now := time.Now()
	if !p.Done && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	rate := float64(p.Rows) / max(now.Sub(b.start).Seconds(), 0.001)
	fmt.Fprintf(b.w, "\r\033[K%s [%d/%d] %s  %s rows  %s rows/s  %s", p.Pipeline, p.FileIndex, p.Files, p.File,
		humanize.Comma(p.Rows), humanize.Comma(int64(rate)), humanize.Bytes(uint64(p.Bytes)))
	b.shown = true
}

func (b *progressBar) clear() {
	if b.shown {
		fmt.Fprint(b.w, "\r\033[K")
		b.shown = false
	}
	b.start = time.Now()
}
