package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/spec"
)

func init() {
	register(&command{
		name:    "validate",
		usage:   "[--project DIR] [PIPELINE…]",
		summary: "check the project file and every pipeline spec; print every problem",
		help: `
Decodes sluice.yaml and the pipeline specs strictly and compiles every transform
step. Each problem is printed as file:line:col: message; the exit status is 1 when
there is any.`,
		flags: func(fs *pflag.FlagSet) any {
			f := &projectFlags{}
			f.register(fs)
			return f
		},
		run: runValidate,
	})
	register(&command{
		name:    "plan",
		usage:   "[--project DIR] PIPELINE",
		summary: "show the files a run would load and the DDL it would apply",
		help: `
Runs the pipeline inside a transaction that is rolled back: it lists the files
that are new or changed since the ledger last saw them, reads them to learn the
schema, and prints the exact DDL the run would apply. Nothing is committed.`,
		flags: func(fs *pflag.FlagSet) any {
			f := &projectFlags{}
			f.register(fs)
			return f
		},
		run: runPlan,
	})
}

func runValidate(ctx context.Context, env *Env, o any, args []string) error {
	f := o.(*projectFlags)
	proj, err := loadProject(env, f.dir)
	var problems []*spec.Error
	var other []error
	collect := func(err error) {
		if err == nil {
			return
		}
		if es := spec.Errors(err); len(es) > 0 {
			problems = append(problems, es...)
			return
		}
		other = append(other, err)
	}
	collect(err)
	n := 0
	if proj != nil {
		var ps []*spec.Pipeline
		if len(args) > 0 {
			ps, err = selectPipelines(ctx, env, proj, args, false)
		} else {
			ps, err = projectPipelines(ctx, env, proj, nil, true)
		}
		collect(err)
		for _, p := range ps {
			n++
			collect(engine.Compile(p))
		}
		if len(args) == 0 {
			collect(spec.CheckAlerts(proj, ps))
		}
	}
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i].Pos, problems[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	for _, p := range problems {
		fmt.Fprintln(env.Stdout, p.Error())
	}
	for _, e := range other {
		fmt.Fprintln(env.Stdout, e.Error())
	}
	if len(problems)+len(other) > 0 {
		fmt.Fprintf(env.Stderr, "%d problem(s) found\n", len(problems)+len(other))
		return exitError{1}
	}
	fmt.Fprintf(env.Stdout, "ok: project %s and %d pipeline(s) are valid\n", proj.Dir, n)
	return nil
}

func runPlan(ctx context.Context, env *Env, o any, args []string) error {
	f := o.(*projectFlags)
	if len(args) != 1 {
		return usageError{"name one pipeline"}
	}
	proj, err := loadProject(env, f.dir)
	if err != nil {
		return err
	}
	ps, err := selectPipelines(ctx, env, proj, args, false)
	if err != nil {
		return err
	}
	log, _ := newLogger(env, env.Stderr, "warn", "", false)
	db, err := openDB(ctx, proj)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := newEngine(env, proj, db, log).Run(ctx, ps[0], engine.Options{DryRun: true, Trigger: "plan"})
	if err != nil {
		var se *spec.Error
		if errors.As(err, &se) {
			return err
		}
		return fmt.Errorf("planning %s: %w", ps[0].Name, err)
	}
	w := env.Stdout
	fmt.Fprintf(w, "Pipeline %s → table %s (mode %s)\n\n", ps[0].Name, res.Table, orDefault(ps[0].Target.Mode, "append"))
	if len(res.FileList) == 0 {
		fmt.Fprintf(w, "Files: none to load. %s\n", res.Message)
		return nil
	}
	fmt.Fprintf(w, "Files to load (%d):\n", len(res.FileList))
	for _, fr := range res.FileList {
		fmt.Fprintf(w, "  %-8s %s (%d bytes, %d rows)\n", fr.Reason, fr.Key, fr.Size, fr.Rows)
	}
	fmt.Fprintln(w)
	if len(res.DDL) == 0 {
		fmt.Fprintln(w, "DDL: none (the table's schema already fits)")
	} else {
		fmt.Fprintln(w, "DDL:")
		for _, s := range res.DDL {
			fmt.Fprintf(w, "  %s;\n", strings.ReplaceAll(s, "\n", "\n  "))
		}
	}
	fmt.Fprintf(w, "\nRows: %d read, %d would load (%d new, %d updated), %d rejected, %d filtered\n",
		res.RowsRead, res.RowsLoaded, res.RowsInserted, res.RowsUpdated, res.RowsRejected, res.RowsFiltered)
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
