package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
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
			fs.StringVar(&f.status, "status", "", "only runs with this status: succeeded, failed, partial")
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
	// Each pipeline's history, for the trend column: the runs shown and the
	// trendRuns before the oldest of them.
	history := map[string][]catalog.Run{}
	for _, r := range runs {
		if _, ok := history[r.Pipeline]; ok {
			continue
		}
		h, err := db.Catalog().Runs(ctx, catalog.RunFilter{Pipeline: r.Pipeline, Limit: f.limit + trendRuns})
		if err != nil {
			return err
		}
		history[r.Pipeline] = h
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tPIPELINE\tSTATUS\tSTARTED\tDURATION\tFILES\tREAD\tLOADED\tREJECTED\tTREND (LOADED)\tERROR")
	for _, r := range runs {
		errText := strings.ReplaceAll(r.Error, "\n", " ")
		if len(errText) > 60 {
			errText = errText[:57] + "..."
		}
		rejected := humanize.Comma(r.RowsRejected)
		if r.RowsRejected > 0 && r.RowsRead > 0 {
			rejected += fmt.Sprintf(" (%s)", percent(float64(r.RowsRejected)/float64(r.RowsRead)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Status,
			r.StartedAt.Local().Format("2006-01-02 15:04:05"), roundDuration(r.Duration()), r.Files,
			humanize.Comma(r.RowsRead), humanize.Comma(r.RowsLoaded), rejected, trend(r, history[r.Pipeline]), errText)
	}
	return tw.Flush()
}

// trendRuns is how many runs the trend column draws.
const trendRuns = 8

// sparks are the bars of a sparkline, lowest first.
var sparks = []rune("▁▂▃▄▅▆▇█")

// trend draws the rows loaded by the last trendRuns runs of r's pipeline up to
// r, oldest first, as a sparkline (✗ for a failed run), followed by the change
// against the previous succeeded run that loaded files: ↑12%, ↓40%, =.
func trend(r catalog.Run, history []catalog.Run) string {
	i := slices.IndexFunc(history, func(h catalog.Run) bool { return h.ID == r.ID })
	if i < 0 {
		return "-"
	}
	window := history[i:min(i+trendRuns, len(history))]
	var peak int64
	for _, h := range window {
		peak = max(peak, h.RowsLoaded)
	}
	var b strings.Builder
	for j := len(window) - 1; j >= 0; j-- {
		h := window[j]
		switch {
		case h.Status == catalog.StatusFailed:
			b.WriteRune('✗')
		case peak == 0:
			b.WriteRune(sparks[0])
		default:
			b.WriteRune(sparks[int(h.RowsLoaded*int64(len(sparks)-1)/peak)])
		}
	}
	if r.Status == catalog.StatusFailed || r.Files == 0 {
		return b.String()
	}
	for _, prev := range history[i+1:] {
		if prev.Status != catalog.StatusSucceeded || prev.Files == 0 {
			continue
		}
		switch {
		case prev.RowsLoaded == 0 && r.RowsLoaded > 0:
			b.WriteString(" ↑")
		case r.RowsLoaded > prev.RowsLoaded:
			b.WriteString(" ↑" + percent(float64(r.RowsLoaded-prev.RowsLoaded)/float64(prev.RowsLoaded)))
		case r.RowsLoaded < prev.RowsLoaded:
			b.WriteString(" ↓" + percent(float64(prev.RowsLoaded-r.RowsLoaded)/float64(prev.RowsLoaded)))
		default:
			b.WriteString(" =")
		}
		break
	}
	return b.String()
}

// percent prints a ratio as a short percentage: 12%, 0.5%, 0.01%.
func percent(f float64) string {
	switch p := f * 100; {
	case p >= 10:
		return fmt.Sprintf("%.0f%%", p)
	case p >= 1:
		return fmt.Sprintf("%.1f%%", p)
	default:
		return fmt.Sprintf("%.2g%%", p)
	}
}

// roundDuration keeps three significant figures or so: 12ms, 1.23s, 2m5s.
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
