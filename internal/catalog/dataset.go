package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Dataset is a loaded table, as the API lists it.
type Dataset struct {
	Name       string          `json:"name"`
	Schema     string          `json:"schema,omitempty"`
	Pipeline   string          `json:"pipeline"`
	Key        []string        `json:"key"`
	Columns    []DatasetColumn `json:"columns"`
	RowCount   int64           `json:"row_count"`
	LastLoadAt time.Time       `json:"last_load_at"`
	LastRunID  string          `json:"last_run_id"`
}

// DatasetColumn is a column of a dataset with its Sluice type (decimal(12,2), …).
type DatasetColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// PutDataset records a dataset through q.
func (c *Catalog) PutDataset(ctx context.Context, q Querier, ds *Dataset) error {
	key, _ := json.Marshal(nonNil(ds.Key))
	cols, _ := json.Marshal(ds.Columns)
	stmt := c.d.Upsert(c.T("datasets"), []string{"name", "schema_name", "pipeline", "key_columns", "columns", "row_count", "last_load_at", "last_run_id"}, []string{"name"})
	if _, err := q.ExecContext(ctx, c.q(stmt), ds.Name, ds.Schema, ds.Pipeline, string(key), string(cols), ds.RowCount, ds.LastLoadAt.UTC(), ds.LastRunID); err != nil {
		return fmt.Errorf("recording dataset %s: %w", ds.Name, err)
	}
	return nil
}

// Datasets lists every dataset by name, through q.
func (c *Catalog) Datasets(ctx context.Context, q Querier) ([]Dataset, error) {
	return c.datasets(ctx, q, "")
}

// Dataset returns one dataset, or an error wrapping ErrNotFound.
func (c *Catalog) Dataset(ctx context.Context, q Querier, name string) (*Dataset, error) {
	ds, err := c.datasets(ctx, q, name)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("dataset %s: %w", name, ErrNotFound)
	}
	return &ds[0], nil
}

func (c *Catalog) datasets(ctx context.Context, q Querier, name string) ([]Dataset, error) {
	query := `SELECT name, schema_name, pipeline, key_columns, columns, row_count, last_load_at, last_run_id FROM {datasets}`
	var args []any
	if name != "" {
		query += ` WHERE name = ?`
		args = append(args, name)
	}
	rows, err := q.QueryContext(ctx, c.q(query+` ORDER BY name`), args...)
	if err != nil {
		return nil, fmt.Errorf("listing datasets: %w", err)
	}
	defer rows.Close()
	var out []Dataset
	for rows.Next() {
		var ds Dataset
		var key, cols string
		var last sql.NullTime
		if err := rows.Scan(&ds.Name, &ds.Schema, &ds.Pipeline, &key, &cols, &ds.RowCount, &last, &ds.LastRunID); err != nil {
			return nil, fmt.Errorf("reading a dataset: %w", err)
		}
		ds.LastLoadAt = last.Time.UTC()
		if err := json.Unmarshal([]byte(key), &ds.Key); err != nil {
			return nil, fmt.Errorf("dataset %s: bad key in catalog: %w", ds.Name, err)
		}
		if err := json.Unmarshal([]byte(cols), &ds.Columns); err != nil {
			return nil, fmt.Errorf("dataset %s: bad columns in catalog: %w", ds.Name, err)
		}
		out = append(out, ds)
	}
	return out, rows.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Record writes a run's file ledger entries, its dataset (if any) and the run
// itself through q, the run's transaction.
func (c *Catalog) Record(ctx context.Context, q Querier, files []File, ds *Dataset, run *Run) error {
	if err := c.PutFiles(ctx, q, files); err != nil {
		return err
	}
	if ds != nil {
		if err := c.PutDataset(ctx, q, ds); err != nil {
			return err
		}
	}
	return c.InsertRun(ctx, q, run)
}

// ColumnTypes returns the exact Sluice types (decimal scale, json, timestamptz)
// the catalog knows for a dataset's columns, by name; empty when it knows none.
// A database's own column types are coarser.
func (c *Catalog) ColumnTypes(ctx context.Context, q Querier, name string) map[string]string {
	out := map[string]string{}
	ds, err := c.Dataset(ctx, q, name)
	if err != nil {
		return out
	}
	for _, col := range ds.Columns {
		out[col.Name] = col.Type
	}
	return out
}
