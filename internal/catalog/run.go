package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Run statuses.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusPartial   = "partial"
	StatusNothing   = "nothing_to_do"
)

// Run is one run of a pipeline, as recorded in the run history.
type Run struct {
	ID           string    `json:"run_id"`
	Pipeline     string    `json:"pipeline"`
	Trigger      string    `json:"trigger"`
	Status       string    `json:"status"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	Files        int64     `json:"files"`
	RowsRead     int64     `json:"rows_read"`
	RowsLoaded   int64     `json:"rows_loaded"`
	RowsInserted int64     `json:"rows_inserted"`
	RowsUpdated  int64     `json:"rows_updated"`
	RowsRejected int64     `json:"rows_rejected"`
	RowsFiltered int64     `json:"rows_filtered"`
	BytesRead    int64     `json:"bytes_read"`
	Error        string    `json:"error,omitempty"`
	RejectsURL   string    `json:"rejects_url,omitempty"`
}

// Duration returns how long the run took.
func (r *Run) Duration() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }

const runColumns = `id, pipeline, "trigger", status, started_at, finished_at, files, rows_read, rows_loaded, rows_inserted, rows_updated, rows_rejected, rows_filtered, bytes_read, error, rejects_url`

// InsertRun records a finished run through q (a run's transaction, or the
// database for a failed run recorded after its rollback).
func (c *Catalog) InsertRun(ctx context.Context, q Querier, r *Run) error {
	ph := strings.TrimSuffix(strings.Repeat("?, ", 16), ", ")
	_, err := q.ExecContext(ctx, c.q(`INSERT INTO {runs} (`+runColumns+`) VALUES (`+ph+`)`),
		r.ID, r.Pipeline, r.Trigger, r.Status, r.StartedAt.UTC(), r.FinishedAt.UTC(), r.Files,
		r.RowsRead, r.RowsLoaded, r.RowsInserted, r.RowsUpdated, r.RowsRejected, r.RowsFiltered,
		r.BytesRead, nullString(r.Error), nullString(r.RejectsURL))
	if err != nil {
		return fmt.Errorf("recording run %s: %w", r.ID, err)
	}
	return nil
}

// RunFilter selects runs. The zero value selects the 50 newest runs.
type RunFilter struct {
	Pipeline string // "" for every pipeline
	Status   string // "" for every status
	Limit    int    // default 50
}

// Runs returns runs, newest first.
func (c *Catalog) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	var where []string
	var args []any
	if f.Pipeline != "" {
		where = append(where, "pipeline = ?")
		args = append(args, f.Pipeline)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	query := `SELECT ` + runColumns + ` FROM {runs}`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += fmt.Sprintf(" ORDER BY started_at DESC, id DESC LIMIT %d", f.Limit)
	rows, err := c.db.QueryContext(ctx, c.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Run returns one run by id, or ErrNotFound.
func (c *Catalog) Run(ctx context.Context, id string) (*Run, error) {
	rows, err := c.db.QueryContext(ctx, c.q(`SELECT `+runColumns+` FROM {runs} WHERE id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("reading run %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	r, err := scanRun(rows)
	return &r, err
}

func scanRun(rows *sql.Rows) (Run, error) {
	var r Run
	var finished sql.NullTime
	var errText, rejects sql.NullString
	err := rows.Scan(&r.ID, &r.Pipeline, &r.Trigger, &r.Status, &r.StartedAt, &finished, &r.Files,
		&r.RowsRead, &r.RowsLoaded, &r.RowsInserted, &r.RowsUpdated, &r.RowsRejected, &r.RowsFiltered,
		&r.BytesRead, &errText, &rejects)
	if err != nil {
		return r, fmt.Errorf("reading a run: %w", err)
	}
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt = finished.Time.UTC()
	r.Error, r.RejectsURL = errText.String, rejects.String
	return r, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
