package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sluice-data/sluice/internal/sink"
)

// DDL renders the schema statements of plan, as Apply runs them.
func (t *tx_) DDL(p *sink.Plan) []string {
	var out []string
	final := sink.Final(p.Existing, p.Target, p.Changes)
	if hasChange(p.Changes, sink.WidenColumn) {
		// SQLite cannot change a column's type: rebuild the table with the final
		// columns (which include any added ones) and copy the rows.
		tmp := final.Name + "__sluice_new"
		var cols []string
		for _, c := range p.Existing.Columns {
			cols = append(cols, quote(c.Name))
		}
		return append(out,
			createTable(tmp, final),
			fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", quote(tmp), strings.Join(cols, ", "), strings.Join(cols, ", "), quote(final.Name)),
			fmt.Sprintf("DROP TABLE %s", quote(final.Name)),
			fmt.Sprintf("ALTER TABLE %s RENAME TO %s", quote(tmp), quote(final.Name)))
	}
	for _, c := range p.Changes {
		switch c.Kind {
		case sink.CreateTable:
			out = append(out, createTable(final.Name, final))
		case sink.AddColumn:
			out = append(out, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", quote(final.Name), quote(c.Column.Name), declType(c.Column.Type)))
		case sink.RecreateTable:
			out = append(out, createTable(final.Name+"__sluice_new", final))
		}
	}
	if p.Mode == sink.Replace && !hasChange(p.Changes, sink.RecreateTable) && !hasChange(p.Changes, sink.CreateTable) {
		out = append(out, createTable(final.Name+"__sluice_new", final))
	}
	return out
}

func hasChange(cs []sink.Change, k sink.ChangeKind) bool {
	for _, c := range cs {
		if c.Kind == k {
			return true
		}
	}
	return false
}

func createTable(name string, t sink.Table) string {
	var defs []string
	for _, c := range t.Columns {
		def := quote(c.Name) + " " + declType(c.Type)
		if slices.Contains(t.Key, c.Name) {
			def += " NOT NULL"
		}
		defs = append(defs, def)
	}
	if len(t.Key) > 0 {
		defs = append(defs, "PRIMARY KEY ("+sink.QuoteIdents(t.Key)+")")
	}
	return fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", quote(name), strings.Join(defs, ",\n  "))
}

// Apply changes the schema and moves the staged rows into the target.
func (t *tx_) Apply(ctx context.Context, p *sink.Plan) (sink.Applied, error) {
	var res sink.Applied
	st, ok := p.Stage.(*stage)
	if !ok || st.tx != t {
		return res, fmt.Errorf("apply: the plan's stage does not belong to this run")
	}
	st.close()
	final := sink.Final(p.Existing, p.Target, p.Changes)
	name := quote(final.Name)
	if st.direct { // the rows and the schema changes are in the target already
		res.Loaded, res.Inserted, res.DDL = st.rows, st.rows, st.ddl
		if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+name).Scan(&res.RowCount); err != nil {
			return res, fmt.Errorf("counting rows of %s: %w", final.Name, err)
		}
		return res, nil
	}
	replace := p.Mode == sink.Replace && p.Existing != nil
	for _, stmt := range t.DDL(p) {
		if _, err := t.tx.ExecContext(ctx, stmt); err != nil {
			return res, fmt.Errorf("changing the schema of %s (%s): %w", final.Name, sink.FirstLine(stmt), err)
		}
		res.DDL = append(res.DDL, stmt)
	}
	into := name
	if replace {
		into = quote(final.Name + "__sluice_new")
	}

	cols := sink.QuoteIdents(sink.ColumnNames(st.cols))
	src := fmt.Sprintf("SELECT %s FROM temp.%s", cols, st.name)
	if len(p.DedupeKey) > 0 {
		agg := "MAX"
		if p.KeepFirst {
			agg = "MIN"
		}
		src += fmt.Sprintf(" WHERE _seq IN (SELECT %s(_seq) FROM temp.%s GROUP BY %s)", agg, st.name, sink.QuoteIdents(p.DedupeKey))
	} else {
		src += " WHERE true"
	}
	src += " ORDER BY _seq"

	var staged int64
	if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM temp."+st.name).Scan(&staged); err != nil {
		return res, fmt.Errorf("counting staged rows: %w", err)
	}
	if p.Mode == sink.Merge && !replace {
		var on []string
		for _, k := range final.Key {
			on = append(on, fmt.Sprintf("t.%s = s.%s", quote(k), quote(k)))
		}
		q := fmt.Sprintf("SELECT count(*) FROM (%s) s WHERE EXISTS (SELECT 1 FROM %s t WHERE %s)", src, name, strings.Join(on, " AND "))
		if err := t.tx.QueryRowContext(ctx, q).Scan(&res.Updated); err != nil {
			return res, fmt.Errorf("counting updated rows of %s: %w", final.Name, err)
		}
		var set []string
		for _, c := range st.cols {
			if !slices.Contains(final.Key, c.Name) {
				set = append(set, fmt.Sprintf("%s = excluded.%s", quote(c.Name), quote(c.Name)))
			}
		}
		conflict := "DO NOTHING"
		if len(set) > 0 {
			conflict = "DO UPDATE SET " + strings.Join(set, ", ")
		}
		q = fmt.Sprintf("INSERT INTO %s (%s) %s ON CONFLICT (%s) %s", name, cols, src, sink.QuoteIdents(final.Key), conflict)
		r, err := t.tx.ExecContext(ctx, q)
		if err != nil {
			return res, fmt.Errorf("merging into %s: %w", final.Name, err)
		}
		n, _ := r.RowsAffected()
		if len(set) == 0 { // DO NOTHING: affected rows are the inserted ones
			res.Inserted, res.Loaded = n, n+res.Updated
		} else {
			res.Inserted, res.Loaded = n-res.Updated, n
		}
	} else {
		r, err := t.tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) %s", into, cols, src))
		if err != nil {
			if isConstraint(err) {
				return res, fmt.Errorf("appending to %s: a row repeats a key that is already in the table; use mode: merge, or add a dedupe step: %w", final.Name, err)
			}
			return res, fmt.Errorf("loading into %s: %w", final.Name, err)
		}
		res.Loaded, _ = r.RowsAffected()
		res.Inserted = res.Loaded
	}
	res.Deduped = staged - res.Loaded
	if replace {
		for _, stmt := range []string{
			"DROP TABLE " + name,
			fmt.Sprintf("ALTER TABLE %s RENAME TO %s", into, name),
		} {
			if _, err := t.tx.ExecContext(ctx, stmt); err != nil {
				return res, fmt.Errorf("replacing %s: %w", final.Name, err)
			}
			res.DDL = append(res.DDL, stmt)
		}
	}
	if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+name).Scan(&res.RowCount); err != nil {
		return res, fmt.Errorf("counting rows of %s: %w", final.Name, err)
	}
	return res, nil
}

func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
