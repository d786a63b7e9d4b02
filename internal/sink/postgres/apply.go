package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluice-data/sluice/internal/sink"
)

func qualified(schema, name string) string { return quote(schemaOr(schema)) + "." + quote(name) }

// DDL renders the schema statements of plan, as Apply runs them.
func (t *tx_) DDL(p *sink.Plan) []string {
	final := sink.Final(p.Existing, p.Target, p.Changes)
	name := qualified(final.Schema, final.Name)
	var out []string
	if sch := schemaOr(final.Schema); sch != DefaultSchema {
		out = append(out, "CREATE SCHEMA IF NOT EXISTS "+quote(sch))
	}
	recreate := false
	for _, c := range p.Changes {
		switch c.Kind {
		case sink.CreateTable:
			out = append(out, createTable(name, final))
		case sink.AddColumn:
			out = append(out, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", name, quote(c.Column.Name), pgType(c.Column.Type)))
		case sink.WidenColumn:
			typ := pgType(c.Column.Type)
			out = append(out, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", name, quote(c.Column.Name), typ, quote(c.Column.Name), typ))
		case sink.RecreateTable:
			recreate = true
		}
	}
	if p.Mode == sink.Replace && p.Existing != nil || recreate {
		out = append(out, createTable(qualified(final.Schema, final.Name+"__sluice_new"), final))
	}
	return out
}

func createTable(name string, t sink.Table) string {
	var defs []string
	for _, c := range t.Columns {
		def := quote(c.Name) + " " + pgType(c.Type)
		if slices.Contains(t.Key, c.Name) {
			def += " NOT NULL"
		}
		defs = append(defs, def)
	}
	if len(t.Key) > 0 {
		defs = append(defs, "PRIMARY KEY ("+sink.QuoteIdents(t.Key)+")")
	}
	return fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", name, strings.Join(defs, ",\n  "))
}

// Apply changes the schema and moves the staged rows into the target, in the
// run's transaction.
func (t *tx_) Apply(ctx context.Context, p *sink.Plan) (sink.Applied, error) {
	var res sink.Applied
	st, ok := p.Stage.(*stage)
	if !ok || st.tx != t {
		return res, fmt.Errorf("apply: the plan's stage does not belong to this run")
	}
	final := sink.Final(p.Existing, p.Target, p.Changes)
	name := qualified(final.Schema, final.Name)
	if st.direct { // the rows and the schema changes are in the target already
		res.Loaded, res.Inserted, res.DDL = st.rows, st.rows, st.ddl
		if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+name).Scan(&res.RowCount); err != nil {
			return res, classify(fmt.Errorf("counting rows of %s: %w", final.Name, err))
		}
		return res, nil
	}
	replace := p.Mode == sink.Replace && p.Existing != nil
	for _, stmt := range t.DDL(p) {
		if _, err := t.tx.ExecContext(ctx, stmt); err != nil {
			return res, classify(fmt.Errorf("changing the schema of %s (%s): %w", final.Name, sink.FirstLine(stmt), err))
		}
		res.DDL = append(res.DDL, stmt)
	}
	into := name
	if replace {
		into = qualified(final.Schema, final.Name+"__sluice_new")
	}
	cols := sink.QuoteIdents(sink.ColumnNames(st.cols))
	src := fmt.Sprintf("SELECT %s FROM %s", cols, st.name)
	if len(p.DedupeKey) > 0 {
		agg := "max"
		if p.KeepFirst {
			agg = "min"
		}
		src += fmt.Sprintf(" WHERE _seq IN (SELECT %s(_seq) FROM %s GROUP BY %s)", agg, st.name, sink.QuoteIdents(p.DedupeKey))
	}

	var staged int64
	if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+st.name).Scan(&staged); err != nil {
		return res, classify(fmt.Errorf("counting staged rows: %w", err))
	}
	if p.Mode == sink.Merge && !replace {
		var set []string
		for _, c := range st.cols {
			if !slices.Contains(final.Key, c.Name) {
				set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", quote(c.Name), quote(c.Name)))
			}
		}
		conflict := "DO NOTHING"
		if len(set) > 0 {
			conflict = "DO UPDATE SET " + strings.Join(set, ", ")
		}
		// xmax = 0 tells an inserted row from an updated one.
		q := fmt.Sprintf(`WITH merged AS (
  INSERT INTO %s (%s) %s
  ON CONFLICT (%s) %s
  RETURNING (xmax = 0) AS inserted
) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged`,
			name, cols, src, sink.QuoteIdents(final.Key), conflict)
		if err := t.tx.QueryRowContext(ctx, q).Scan(&res.Inserted, &res.Updated); err != nil {
			return res, classify(fmt.Errorf("merging into %s: %w", final.Name, err))
		}
		if len(set) == 0 { // DO NOTHING returns only inserted rows: count the others
			var existing int64
			if err := t.tx.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM (%s) s", src)).Scan(&existing); err != nil {
				return res, classify(err)
			}
			res.Updated = existing - res.Inserted
		}
		res.Loaded = res.Inserted + res.Updated
	} else {
		r, err := t.tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) %s", into, cols, src))
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
				return res, fmt.Errorf("appending to %s: a row repeats a key that is already in the table; use mode: merge, or add a dedupe step: %w", final.Name, err)
			}
			return res, classify(fmt.Errorf("loading into %s: %w", final.Name, err))
		}
		res.Loaded, _ = r.RowsAffected()
		res.Inserted = res.Loaded
	}
	res.Deduped = staged - res.Loaded
	if replace {
		for _, stmt := range []string{
			"DROP TABLE " + name,
			fmt.Sprintf("ALTER TABLE %s RENAME TO %s", into, quote(final.Name)),
		} {
			if _, err := t.tx.ExecContext(ctx, stmt); err != nil {
				return res, classify(fmt.Errorf("replacing %s: %w", final.Name, err))
			}
			res.DDL = append(res.DDL, stmt)
		}
	}
	if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+name).Scan(&res.RowCount); err != nil {
		return res, classify(fmt.Errorf("counting rows of %s: %w", final.Name, err))
	}
	return res, nil
}
