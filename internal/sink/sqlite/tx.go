package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
)

// tx_ is one run's transaction on a dedicated connection.
type tx_ struct {
	d      *DB
	conn   *sql.Conn
	tx     *sql.Tx
	stages []*stage
	done   bool
}

// Table describes the target table from the dataset catalog, falling back to the
// table's declared types for tables that Sluice did not create.
func (t *tx_) Table(ctx context.Context, _ string, name string) (*sink.Table, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return nil, fmt.Errorf("describing table %s: %w", name, err)
	}
	defer rows.Close()
	tbl := &sink.Table{Name: name}
	type pk struct {
		name string
		pos  int
	}
	var pks []pk
	for rows.Next() {
		var col, decl string
		var pos int
		if err := rows.Scan(&col, &decl, &pos); err != nil {
			return nil, fmt.Errorf("describing table %s: %w", name, err)
		}
		tbl.Columns = append(tbl.Columns, record.Column{Name: col, Type: typeOfDecl(decl)})
		if pos > 0 {
			pks = append(pks, pk{col, pos})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(tbl.Columns) == 0 {
		return nil, nil
	}
	tbl.Key = make([]string, len(pks))
	for _, p := range pks {
		tbl.Key[p.pos-1] = p.name
	}
	// The catalog knows the exact Sluice types (decimal scale, json, timestamptz).
	known := t.d.cat.ColumnTypes(ctx, t.tx, name)
	for i, c := range tbl.Columns {
		if typ, err := record.ParseType(known[c.Name]); err == nil {
			tbl.Columns[i].Type = typ
		}
	}
	return tbl, nil
}

// Ledger returns the pipeline's file ledger.
func (t *tx_) Ledger(ctx context.Context, pipeline string) (map[string]catalog.File, error) {
	return t.d.cat.Ledger(ctx, t.tx, pipeline)
}

// Record writes the ledger, the dataset and the run in the run's transaction.
func (t *tx_) Record(ctx context.Context, files []catalog.File, ds *catalog.Dataset, run *catalog.Run) error {
	return (t.d.cat.Record(ctx, t.tx, files, ds, run))
}

// Commit drops the staging tables and commits.
func (t *tx_) Commit(ctx context.Context) error {
	if t.done {
		return fmt.Errorf("transaction already finished")
	}
	for _, s := range t.stages {
		if err := s.drop(ctx); err != nil {
			return err
		}
	}
	t.done = true
	defer t.conn.Close()
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("committing the run: %w", err)
	}
	return nil
}

// Rollback abandons the run.
func (t *tx_) Rollback(context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	for _, s := range t.stages {
		s.close()
	}
	err := t.tx.Rollback()
	t.conn.Close()
	if err != nil && err != sql.ErrTxDone {
		return fmt.Errorf("rolling back the run: %w", err)
	}
	return nil
}
