package alert

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/spec"
)

// recentRuns bounds the runs of one pipeline that an evaluation reads.
const recentRuns = 200

// history reads the run history once per evaluation.
type history struct {
	runs  RunHistory
	cache map[string][]catalog.Run // filter → runs
	all   []string                 // pipelines of the recent history; nil until read
}

func (h *history) list(ctx context.Context, f catalog.RunFilter) ([]catalog.Run, error) {
	k := f.Pipeline + "\x00" + f.Status + "\x00" + fmt.Sprint(f.Limit)
	if rs, ok := h.cache[k]; ok {
		return rs, nil
	}
	rs, err := h.runs.Runs(ctx, f)
	if err != nil {
		return nil, err
	}
	h.cache[k] = rs
	return rs, nil
}

// pipelines returns the pipelines a rule watches: its own, or every pipeline
// that the project or the recent history knows.
func (e *Evaluator) pipelines(ctx context.Context, h *history, r spec.AlertRule) ([]string, error) {
	if r.Pipeline != "" {
		return []string{r.Pipeline}, nil
	}
	if h.all == nil {
		rs, err := h.list(ctx, catalog.RunFilter{Limit: 1000})
		if err != nil {
			return nil, err
		}
		h.all = []string{}
		for _, run := range rs {
			h.all = append(h.all, run.Pipeline)
		}
		if e.o.Pipelines != nil {
			h.all = append(h.all, e.o.Pipelines()...)
		}
		slices.Sort(h.all)
		h.all = slices.Compact(h.all)
	}
	return h.all, nil
}

// evaluate returns the alerts of rule r that fire now.
func (e *Evaluator) evaluate(ctx context.Context, h *history, r spec.AlertRule, now time.Time) ([]Alert, error) {
	if r.When == spec.AlertAPI5xxRatio {
		if a, ok := e.api5xx(r, now); ok {
			return []Alert{a}, nil
		}
		return nil, nil
	}
	ps, err := e.pipelines(ctx, h, r)
	if err != nil {
		return nil, err
	}
	var out []Alert
	for _, p := range ps {
		var a Alert
		var ok bool
		switch r.When {
		case spec.AlertStale:
			a, ok, err = e.stale(ctx, h, r, p, now)
		case spec.AlertRejectRatio:
			a, ok, err = e.rejectRatio(ctx, h, r, p, now)
		case spec.AlertRunFailed:
			a, ok, err = e.runFailed(ctx, h, r, p)
		default:
			return nil, fmt.Errorf("unknown condition %q", r.When)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			a.Rule, a.When, a.Pipeline = r.Name, r.When, p
			out = append(out, a)
		}
	}
	return out, nil
}

// stale fires when the pipeline's last succeeded run finished more than After
// ago. A pipeline that never succeeded counts from when the evaluator started,
// so that a new server does not alert at once.
func (e *Evaluator) stale(ctx context.Context, h *history, r spec.AlertRule, p string, now time.Time) (Alert, bool, error) {
	rs, err := h.list(ctx, catalog.RunFilter{Pipeline: p, Status: catalog.StatusSucceeded, Limit: 1})
	if err != nil {
		return Alert{}, false, err
	}
	since, runID, what := e.started, "", fmt.Sprintf("pipeline %s has had no succeeded run", p)
	if len(rs) > 0 {
		since, runID = rs[0].FinishedAt, rs[0].ID
		what = fmt.Sprintf("pipeline %s last succeeded %s ago (run %s)", p, roundAge(now.Sub(since)), runID)
	} else {
		what += " for at least " + roundAge(now.Sub(since))
	}
	age := now.Sub(since)
	if age <= r.After {
		return Alert{}, false, nil
	}
	return Alert{
		Value: age.Seconds(), Threshold: r.After.Seconds(), RunID: runID,
		Message: fmt.Sprintf("%s; the limit is %s", what, roundAge(r.After)),
	}, true, nil
}

// rejectRatio fires when rejected over read rows is above Above: in the last
// run that read rows, or over the runs that finished within Window.
func (e *Evaluator) rejectRatio(ctx context.Context, h *history, r spec.AlertRule, p string, now time.Time) (Alert, bool, error) {
	rs, err := h.list(ctx, catalog.RunFilter{Pipeline: p, Limit: recentRuns})
	if err != nil {
		return Alert{}, false, err
	}
	var read, rejected int64
	runID, scope := "", ""
	for _, run := range rs {
		if r.Window > 0 {
			if run.FinishedAt.Before(now.Add(-r.Window)) {
				break
			}
			read += run.RowsRead
			rejected += run.RowsRejected
			scope = "in the runs of the last " + roundAge(r.Window)
			continue
		}
		if run.RowsRead > 0 {
			read, rejected, runID = run.RowsRead, run.RowsRejected, run.ID
			scope = "in run " + run.ID
			break
		}
	}
	if read == 0 {
		return Alert{}, false, nil
	}
	ratio := float64(rejected) / float64(read)
	if ratio <= r.Above {
		return Alert{}, false, nil
	}
	return Alert{
		Value: ratio, Threshold: r.Above, RunID: runID,
		Message: fmt.Sprintf("pipeline %s rejected %d of %d rows (%.2f%%) %s; the limit is %.2f%%", p, rejected, read, ratio*100, scope, r.Above*100),
	}, true, nil
}

// runFailed fires while the pipeline's last run is a failed one.
func (e *Evaluator) runFailed(ctx context.Context, h *history, r spec.AlertRule, p string) (Alert, bool, error) {
	rs, err := h.list(ctx, catalog.RunFilter{Pipeline: p, Limit: recentRuns})
	if err != nil {
		return Alert{}, false, err
	}
	if len(rs) == 0 || rs[0].Status != catalog.StatusFailed {
		return Alert{}, false, nil
	}
	run := rs[0]
	msg := fmt.Sprintf("the last run of pipeline %s (%s) failed", p, run.ID)
	if run.Error != "" {
		errText := run.Error
		if len(errText) > 500 {
			errText = errText[:497] + "..."
		}
		msg += ": " + errText
	}
	return Alert{Value: 1, Threshold: 0, RunID: run.ID, Message: msg}, true, nil
}

// api5xx fires when the share of 5xx responses among the requests of the last
// Window is above Above.
func (e *Evaluator) api5xx(r spec.AlertRule, now time.Time) (Alert, bool) {
	if e.o.Requests == nil {
		return Alert{}, false
	}
	window := r.Window
	if window <= 0 {
		window = spec.DefaultAPIWindow
	}
	total, errs := e.o.Requests.RequestCounts(now.Add(-window))
	if total == 0 {
		return Alert{}, false
	}
	ratio := float64(errs) / float64(total)
	if ratio <= r.Above {
		return Alert{}, false
	}
	return Alert{
		Rule: r.Name, When: r.When, Value: ratio, Threshold: r.Above,
		Message: fmt.Sprintf("%d of %d API requests (%.2f%%) failed with a 5xx status in the last %s; the limit is %.2f%%",
			errs, total, ratio*100, roundAge(window), r.Above*100),
	}, true
}

// roundAge prints a duration to the minute (to the second below one).
func roundAge(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}
