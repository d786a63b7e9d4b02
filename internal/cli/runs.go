package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/sluice-data/sluice/internal/catalog"
)

type runsFlags struct {
	projectFlags
	pipeline string
	status   string
	limit    int
	json     bool
}

func init() {
	register(&command{
		name:    "runs",
		usage:   "[--project DIR] [--pipeline P] [--status S] [--limit N] [--json]",
		summary: "show the run history, newest first",
		flags: func(fs *pflag.FlagSet) any {
			f := &runsFlags{}
			f.register(fs)
			fs.StringVar(&f.pipeline, "pipeline", "", "only runs of this pipeline")
			fs.StringVar(&f.status, "status", "", "only runs with this status: succeeded, failed")
			fs.IntVar(&f.limit, "limit", 20, "how many runs to show")
			fs.BoolVar(&f.json, "json", false, "print one JSON object per run")
			return f
		},
		run: runRuns,
	})
}

func runRuns(ctx context.Context, env *Env, o any, args []string) error {
	f := o.(*runsFlags)
	if len(args) > 0 {
		return usageError{"runs takes no arguments; use --pipeline P"}
	}
	proj, err := loadProject(env, f.dir)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, proj)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := db.Catalog().Runs(ctx, catalog.RunFilter{Pipeline: f.pipeline, Status: f.status, Limit: f.limit})
	if err != nil {
		return err
	}
	if f.json {
		enc := json.NewEncoder(env.Stdout)
		for _, r := range runs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if len(runs) == 0 {
		fmt.Fprintln(env.Stdout, "no runs yet")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tPIPELINE\tSTATUS\tSTARTED\tDURATION\tFILES\tREAD\tLOADED\tREJECTED\tTREND\tERROR")
	trend := trends(runs)
	for i, r := range runs {
		errText := r.Error
		if len(errText) > 60 {
			errText = errText[:57] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.ID, r.Pipeline, r.Status,
			r.StartedAt.Format("2006-01-02 15:04:05"), r.Duration().Round(1e6), r.Files, r.RowsRead,
			r.RowsLoaded, r.RowsRejected, trend[i], strings.ReplaceAll(errText, "\n", " "))
	}
	return tw.Flush()
}

// trends compares each run's loaded rows with the previous run of its pipeline.
func trends(runs []catalog.Run) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = "-"
		for _, prev := range runs[i+1:] {
			if prev.Pipeline != r.Pipeline || prev.Status != catalog.StatusSucceeded || prev.Files == 0 {
				continue
			}
			switch {
			case r.RowsLoaded > prev.RowsLoaded:
				out[i] = "↑"
			case r.RowsLoaded < prev.RowsLoaded:
				out[i] = "↓"
			default:
				out[i] = "="
			}
			break
		}
	}
	return out
}
