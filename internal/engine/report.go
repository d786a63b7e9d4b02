package engine

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/obs/metrics"
)

// rejectReason groups rejected rows for the "rows rejected" lines.
type rejectReason struct {
	column, reason string
}

// maxReasons bounds the distinct reasons a run logs; the rest are counted
// together.
const maxReasons = 50

// countReason counts a rejected row by its reason, with the rejected value
// taken out of the reason so that "cannot cast "x" to bigint" and "cannot cast
// "y" to bigint" are one reason.
func (r *run) countReason(column, reason, value string) {
	if value != "" {
		reason = strings.ReplaceAll(reason, strconv.Quote(value), `"…"`)
	}
	if len(reason) > 200 {
		reason = reason[:197] + "..."
	}
	if r.reasons == nil {
		r.reasons = map[rejectReason]int64{}
	}
	k := rejectReason{column, reason}
	if _, ok := r.reasons[k]; !ok && len(r.reasons) >= maxReasons {
		k = rejectReason{"", "other reasons"}
	}
	r.reasons[k]++
}

// finish logs the end of a run, as OPERATIONS.md says: one "rows rejected"
// warning per distinct reason, then "run finished" with the run's counts; and
// records the run's metrics.
func (r *run) finish(err error) {
	res := r.res
	reasons := make([]rejectReason, 0, len(r.reasons))
	for k := range r.reasons {
		reasons = append(reasons, k)
	}
	slices.SortFunc(reasons, func(a, b rejectReason) int {
		return cmp.Or(-cmp.Compare(r.reasons[a], r.reasons[b]), cmp.Compare(a.column, b.column), cmp.Compare(a.reason, b.reason))
	})
	for _, k := range reasons {
		args := []any{"reason", k.reason, "count", r.reasons[k]}
		if k.column != "" {
			args = append(args, "column", k.column)
		}
		r.log.Warn("rows rejected", args...)
	}
	args := []any{
		"status", res.Status, "trigger", res.Trigger, "files", res.Files,
		"rows_read", res.RowsRead, "rows_loaded", res.RowsLoaded, "rows_inserted", res.RowsInserted,
		"rows_updated", res.RowsUpdated, "rows_rejected", res.RowsRejected, "rows_filtered", res.RowsFiltered,
		"bytes_read", res.BytesRead, "duration_ms", res.DurationMS,
	}
	if res.DryRun {
		args = append(args, "dry_run", true)
	}
	if res.RejectsURL != "" {
		args = append(args, "rejects_url", res.RejectsURL)
	}
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
		args = append(args, obs.KeyError, res.Error)
	}
	r.log.Log(context.Background(), level, "run finished", args...) // the run's logger carries the context's attributes
	if r.e.Metrics != nil && !res.DryRun {
		r.e.Metrics.RunFinished(res.Pipeline, res.Status, metrics.RunCounts{
			RowsRead: res.RowsRead, RowsLoaded: res.RowsLoaded, RowsRejected: res.RowsRejected,
			RowsFiltered: res.RowsFiltered, BytesRead: res.BytesRead, Files: res.Files,
		}, res.FinishedAt.Sub(res.StartedAt))
	}
}

// redactedError hides secrets (a password in a database URL, say) in an error's
// message, keeping the error itself for errors.Is and errors.As.
type redactedError struct{ err error }

func (e redactedError) Error() string { return obs.Redact(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }
