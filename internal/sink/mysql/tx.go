package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
)

// tx_ is one run's transaction on a dedicated connection holding the
// pipeline's lock.
type tx_ struct {
	d        *DB
	conn     *sql.Conn
	tx       *sql.Tx
	pipeline string
	stages   []*stage
	swap     []string // statements that swap a replaced table in at commit
	done     bool
}

// DDLCommits reports that MySQL's DDL commits by itself.
func (t *tx_) DDLCommits() bool { return true }

// Table describes the target table in the current database.
func (t *tx_) Table(ctx context.Context, _ string, name string) (*sink.Table, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, name)
	if err != nil {
		return nil, classify(fmt.Errorf("describing table %s: %w", name, err))
	}
	defer rows.Close()
	tbl := &sink.Table{Name: name}
	for rows.Next() {
		var col, typ, key string
		if err := rows.Scan(&col, &typ, &key); err != nil {
			return nil, fmt.Errorf("describing table %s: %w", name, err)
		}
		tbl.Columns = append(tbl.Columns, record.Column{Name: col, Type: typeOfMySQL(typ)})
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	if len(tbl.Columns) == 0 {
		return nil, nil
	}
	krows, err := t.tx.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`, name)
	if err != nil {
		return nil, classify(err)
	}
	defer krows.Close()
	for krows.Next() {
		var k string
		if err := krows.Scan(&k); err != nil {
			return nil, err
		}
		tbl.Key = append(tbl.Key, k)
	}
	known := t.d.cat.ColumnTypes(ctx, t.tx, name)
	for i, c := range tbl.Columns {
		if typ, err := record.ParseType(known[c.Name]); err == nil {
			tbl.Columns[i].Type = typ
		}
	}
	return tbl, krows.Err()
}

// Ledger returns the pipeline's file ledger.
func (t *tx_) Ledger(ctx context.Context, pipeline string) (map[string]catalog.File, error) {
	l, err := t.d.cat.Ledger(ctx, t.tx, pipeline)
	return l, classify(err)
}

// Record writes the ledger, the dataset and the run in the run's transaction.
func (t *tx_) Record(ctx context.Context, files []catalog.File, ds *catalog.Dataset, run *catalog.Run) error {
	return classify(t.d.cat.Record(ctx, t.tx, files, ds, run))
}

// Commit commits the run. A replaced table is swapped in by RENAME TABLE, whose
// implicit commit commits the run's rows, ledger and record with it.
func (t *tx_) Commit(ctx context.Context) error {
	if t.done {
		return fmt.Errorf("transaction already finished")
	}
	for _, s := range t.stages {
		s.drop(ctx)
	}
	var err error
	if len(t.swap) > 0 {
		for _, stmt := range t.swap {
			if _, err = t.tx.ExecContext(ctx, stmt); err != nil {
				err = classify(fmt.Errorf("swapping in the new table (%s): %w", stmt, err))
				break
			}
		}
		if err == nil {
			err = t.tx.Commit()
		}
	} else if err = t.tx.Commit(); err != nil {
		err = classify(fmt.Errorf("committing the run: %w", err))
	}
	t.done = true
	t.release(ctx)
	return err
}

// Rollback abandons the run.
func (t *tx_) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	err := t.tx.Rollback()
	t.release(ctx)
	if err != nil && err != sql.ErrTxDone {
		return fmt.Errorf("rolling back the run: %w", err)
	}
	return nil
}

// release restores autocommit, releases the pipeline's lock and returns the
// connection to the pool. If any of that fails the connection is discarded
// instead: closing it drops its temporary tables and releases its lock, and a
// pooled connection left with autocommit off would lose later catalog writes.
func (t *tx_) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var failed bool
	exec := func(q string, args ...any) {
		if !failed {
			_, err := t.conn.ExecContext(ctx, q, args...)
			failed = err != nil
		}
	}
	for _, s := range t.stages {
		if !s.direct {
			exec("DROP TEMPORARY TABLE IF EXISTS " + s.name)
		}
	}
	exec("SET autocommit = 1")
	exec("DELETE FROM sluice_locks WHERE pipeline = ?", t.pipeline)
	exec("SELECT RELEASE_LOCK(?)", lockName(t.d.name, t.pipeline))
	if failed {
		t.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	t.conn.Close()
}
