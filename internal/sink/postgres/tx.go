package postgres

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
	d    *DB
	conn *sql.Conn
	tx   *sql.Tx
	done bool
}

// DefaultSchema is where target tables go when the spec names no schema.
const DefaultSchema = "public"

func schemaOr(s string) string {
	if s == "" {
		return DefaultSchema
	}
	return s
}

// Table describes the target table, with the catalog's exact types.
func (t *tx_) Table(ctx context.Context, schema, name string) (*sink.Table, error) {
	schema = schemaOr(schema)
	rows, err := t.tx.QueryContext(ctx, `
SELECT a.attname, format_type(a.atttypid, a.atttypmod),
       COALESCE(array_position(i.indkey::int2[], a.attnum), 0)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`, schema, name)
	if err != nil {
		return nil, classify(fmt.Errorf("describing table %s.%s: %w", schema, name, err))
	}
	defer rows.Close()
	tbl := &sink.Table{Schema: schema, Name: name}
	keys := map[int]string{}
	for rows.Next() {
		var col, typ string
		var pk int
		if err := rows.Scan(&col, &typ, &pk); err != nil {
			return nil, fmt.Errorf("describing table %s: %w", name, err)
		}
		tbl.Columns = append(tbl.Columns, record.Column{Name: col, Type: typeOfPG(typ)})
		if pk > 0 {
			keys[pk] = col
		}
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	if len(tbl.Columns) == 0 {
		return nil, nil
	}
	for i := 1; i <= len(keys); i++ {
		tbl.Key = append(tbl.Key, keys[i])
	}
	known := t.d.cat.ColumnTypes(ctx, t.tx, name)
	for i, c := range tbl.Columns {
		if typ, err := record.ParseType(known[c.Name]); err == nil && typ.Kind == tbl.Columns[i].Type.Kind {
			tbl.Columns[i].Type = typ
		}
	}
	return tbl, nil
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

// Commit commits the run; the staging tables go with it (ON COMMIT DROP).
func (t *tx_) Commit(ctx context.Context) error {
	if t.done {
		return fmt.Errorf("transaction already finished")
	}
	t.done = true
	defer t.conn.Close()
	if err := t.tx.Commit(); err != nil {
		return classify(fmt.Errorf("committing the run: %w", err))
	}
	return nil
}

// Rollback abandons the run.
func (t *tx_) Rollback(context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	err := t.tx.Rollback()
	t.conn.Close()
	if err != nil && err != sql.ErrTxDone {
		return fmt.Errorf("rolling back the run: %w", err)
	}
	return nil
}
