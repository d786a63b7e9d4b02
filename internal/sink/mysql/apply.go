package mysql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/sluice-data/sluice/internal/sink"
)

// DDL renders the schema statements of plan. They run before any row moves,
// because each of them commits.
func (t *tx_) DDL(p *sink.Plan) []string {
	final := sink.Final(p.Existing, p.Target, p.Changes)
	name := quote(final.Name)
	var out []string
	for _, c := range p.Changes {
		switch c.Kind {
		case sink.CreateTable:
			out = append(out, createTable(name, final))
		case sink.AddColumn:
			out = append(out, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s NULL", name, quote(c.Column.Name), myType(c.Column.Type, false)))
		case sink.WidenColumn:
			key := slices.Contains(final.Key, c.Column.Name)
			null := " NULL"
			if key {
				null = " NOT NULL"
			}
			out = append(out, fmt.Sprintf("ALTER TABLE %s MODIFY COLUMN %s %s%s", name, quote(c.Column.Name), myType(c.Column.Type, key), null))
		case sink.RecreateTable:
			// Leftovers of a run that died around its swap go first, so that the
			// RENAME at commit cannot fail after its implicit commit.
			out = append(out,
				"DROP TABLE IF EXISTS "+quote(final.Name+"__sluice_old"),
				"DROP TABLE IF EXISTS "+quote(final.Name+"__sluice_new"),
				createTable(quote(final.Name+"__sluice_new"), final))
		}
	}
	return out
}

func createTable(name string, t sink.Table) string {
	var defs []string
	for _, c := range t.Columns {
		key := slices.Contains(t.Key, c.Name)
		def := quote(c.Name) + " " + myType(c.Type, key)
		if key {
			def += " NOT NULL"
		} else {
			def += " NULL"
		}
		defs = append(defs, def)
	}
	if len(t.Key) > 0 {
		defs = append(defs, "PRIMARY KEY ("+sink.QuoteIdents(t.Key)+")")
	}
	return fmt.Sprintf("CREATE TABLE %s (\n  %s\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", name, strings.Join(defs, ",\n  "))
}

// Apply changes the schema (each statement commits by itself, before any row
// moves), then moves the staged rows into the target in the run's transaction.
func (t *tx_) Apply(ctx context.Context, p *sink.Plan) (sink.Applied, error) {
	var res sink.Applied
	st, ok := p.Stage.(*stage)
	if !ok || st.tx != t {
		return res, fmt.Errorf("apply: the plan's stage does not belong to this run")
	}
	final := sink.Final(p.Existing, p.Target, p.Changes)
	name := quote(final.Name)
	if st.direct { // the rows are in the target already
		res.Loaded, res.Inserted, res.DDL = st.rows, st.rows, st.ddl
		if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+name).Scan(&res.RowCount); err != nil {
			return res, classify(fmt.Errorf("counting rows of %s: %w", final.Name, err))
		}
		return res, nil
	}
	recreate := false
	for _, c := range p.Changes {
		recreate = recreate || c.Kind == sink.RecreateTable
	}
	for _, stmt := range t.DDL(p) {
		if _, err := t.tx.ExecContext(ctx, stmt); err != nil {
			return res, classify(fmt.Errorf("changing the schema of %s (%s): %w", final.Name, sink.FirstLine(stmt), err))
		}
		res.DDL = append(res.DDL, stmt)
	}
	// Typed values: staged text cast to each column's type.
	var sel []string
	for _, c := range st.cols {
		expr := quote(c.Name)
		if ct := castType(c.Type); ct != "" {
			expr = fmt.Sprintf("CAST(%s AS %s)", expr, ct)
		}
		sel = append(sel, expr+" AS "+quote(c.Name))
	}
	from := st.name
	if len(p.DedupeKey) > 0 {
		// MySQL cannot open a temporary table twice in one statement: keep the
		// chosen rows' _seq in a second one.
		keep := st.name + "_keep"
		agg := "MAX"
		if p.KeepFirst {
			agg = "MIN"
		}
		for _, q := range []string{
			fmt.Sprintf("CREATE TEMPORARY TABLE %s (_seq BIGINT PRIMARY KEY) ENGINE=InnoDB", keep),
			fmt.Sprintf("INSERT INTO %s SELECT %s(_seq) FROM %s GROUP BY %s", keep, agg, st.name, sink.QuoteIdents(p.DedupeKey)),
		} {
			if _, err := t.tx.ExecContext(ctx, q); err != nil {
				return res, classify(fmt.Errorf("deduplicating the staged rows: %w", err))
			}
		}
		defer t.tx.ExecContext(context.WithoutCancel(ctx), "DROP TEMPORARY TABLE IF EXISTS "+keep)
		from = fmt.Sprintf("%s JOIN %s USING (_seq)", st.name, keep)
	}
	src := fmt.Sprintf("SELECT %s FROM %s ORDER BY _seq", strings.Join(sel, ", "), from)
	cols := sink.QuoteIdents(sink.ColumnNames(st.cols))

	var staged int64
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+st.name).Scan(&staged); err != nil {
		return res, classify(fmt.Errorf("counting staged rows: %w", err))
	}
	into := name
	switch {
	case p.Mode == sink.Replace && recreate:
		into = quote(final.Name + "__sluice_new")
		if p.Existing != nil {
			t.swap = []string{
				fmt.Sprintf("RENAME TABLE %s TO %s, %s TO %s", name, quote(final.Name+"__sluice_old"), into, name),
				"DROP TABLE " + quote(final.Name+"__sluice_old"),
			}
		}
	case p.Mode == sink.Replace && p.Existing != nil:
		if _, err := t.tx.ExecContext(ctx, "DELETE FROM "+name); err != nil {
			return res, classify(fmt.Errorf("replacing the rows of %s: %w", final.Name, err))
		}
	}
	if p.Mode == sink.Merge && p.Existing != nil {
		var on []string
		for _, k := range final.Key {
			on = append(on, fmt.Sprintf("t.%s = s.%s", quote(k), quote(k)))
		}
		q := fmt.Sprintf("SELECT COUNT(*) FROM (%s) s JOIN %s t ON %s", src, name, strings.Join(on, " AND "))
		if err := t.tx.QueryRowContext(ctx, q).Scan(&res.Updated); err != nil {
			return res, classify(fmt.Errorf("counting updated rows of %s: %w", final.Name, err))
		}
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) %s", into, cols, src)
	if p.Mode == sink.Merge {
		var set []string
		for _, c := range st.cols {
			if !slices.Contains(final.Key, c.Name) {
				set = append(set, fmt.Sprintf("%s = VALUES(%s)", quote(c.Name), quote(c.Name)))
			}
		}
		if len(set) == 0 {
			set = append(set, fmt.Sprintf("%s = %s", quote(final.Key[0]), quote(final.Key[0])))
		}
		q += " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
	}
	if _, err := t.tx.ExecContext(ctx, q); err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1062 && p.Mode != sink.Merge {
			return res, fmt.Errorf("appending to %s: a row repeats a key that is already in the table; use mode: merge, or add a dedupe step: %w", final.Name, err)
		}
		return res, classify(fmt.Errorf("loading into %s: %w", final.Name, err))
	}
	var kept int64
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+from).Scan(&kept); err != nil {
		return res, classify(err)
	}
	res.Loaded = kept
	res.Inserted = kept - res.Updated
	res.Deduped = staged - kept
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+into).Scan(&res.RowCount); err != nil {
		return res, classify(fmt.Errorf("counting rows of %s: %w", final.Name, err))
	}
	res.DDL = append(res.DDL, t.swap...)
	return res, nil
}
