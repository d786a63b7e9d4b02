package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// File is a ledger entry: one source object loaded by one pipeline. A file whose
// ETag, size, modification time or checksum changes is loaded again.
type File struct {
	Pipeline string
	URL      string
	ETag     string
	Size     int64
	ModTime  time.Time
	Checksum string // sha256 of the object's bytes, hex
	Rows     int64
	RunID    string
	LoadedAt time.Time
}

// Ledger returns the pipeline's ledger entries by URL, through q.
func (c *Catalog) Ledger(ctx context.Context, q Querier, pipeline string) (map[string]File, error) {
	rows, err := q.QueryContext(ctx, c.q(`SELECT url, etag, size, mtime, checksum, "rows", run_id, loaded_at FROM {files} WHERE pipeline = ?`), pipeline)
	if err != nil {
		return nil, fmt.Errorf("reading the file ledger: %w", err)
	}
	defer rows.Close()
	out := map[string]File{}
	for rows.Next() {
		f := File{Pipeline: pipeline}
		var mtime sql.NullTime
		if err := rows.Scan(&f.URL, &f.ETag, &f.Size, &mtime, &f.Checksum, &f.Rows, &f.RunID, &f.LoadedAt); err != nil {
			return nil, fmt.Errorf("reading the file ledger: %w", err)
		}
		f.ModTime = mtime.Time.UTC()
		out[f.URL] = f
	}
	return out, rows.Err()
}

// PutFiles records ledger entries through q, replacing earlier entries of the same
// URLs.
func (c *Catalog) PutFiles(ctx context.Context, q Querier, files []File) error {
	if len(files) == 0 {
		return nil
	}
	stmt := c.d.Upsert(c.T("files"), []string{"pipeline", "url", "etag", "size", "mtime", "checksum", "rows", "run_id", "loaded_at"}, []string{"pipeline", "url"})
	for _, f := range files {
		if _, err := q.ExecContext(ctx, c.q(stmt), f.Pipeline, f.URL, f.ETag, f.Size, nullTime(f.ModTime), f.Checksum, f.Rows, f.RunID, f.LoadedAt.UTC()); err != nil {
			return fmt.Errorf("recording %s in the file ledger: %w", f.URL, err)
		}
	}
	return nil
}

// nullTime is NULL for the zero time (unknown), the time in UTC otherwise.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
