package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
)

// stage is a temporary table holding a run's rows in input order (_seq),
// dropped at the end of the transaction; or, for an append without
// deduplication, the target table itself (direct), whose schema changes are then
// applied as the rows come.
type stage struct {
	tx    *tx_
	name  string
	ident pgx.Identifier
	cols  []record.Column

	direct  bool
	strict  bool
	final   sink.Table      // direct: the target as it is now
	created map[string]bool // direct: columns this run created (still only NULLs when staged as text)
	ddl     []string        // direct: statements executed
	rows    int64           // direct: rows written
}

// Stage creates the run's staging table, or prepares the target for a direct
// append.
func (t *tx_) Stage(ctx context.Context, cols []record.Column, opts sink.StageOptions) (sink.Stage, error) {
	if opts.Direct {
		return t.directStage(ctx, cols, opts)
	}
	name := "sluice_stage_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	defs := []string{"_seq bigserial"}
	for _, c := range cols {
		defs = append(defs, quote(c.Name)+" "+pgType(c.Type))
	}
	q := fmt.Sprintf("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", name, strings.Join(defs, ", "))
	if _, err := t.tx.ExecContext(ctx, q); err != nil {
		return nil, classify(fmt.Errorf("creating the staging table: %w", err))
	}
	return &stage{tx: t, name: name, ident: pgx.Identifier{name}, cols: append([]record.Column(nil), cols...)}, nil
}

func (t *tx_) directStage(ctx context.Context, cols []record.Column, opts sink.StageOptions) (sink.Stage, error) {
	want := opts.Target
	want.Columns = cols
	changes, err := sink.Diff(opts.Existing, cols, want.Key, sink.Append, opts.Strict)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", want.Name, err)
	}
	plan := &sink.Plan{Target: want, Existing: opts.Existing, Changes: changes, Mode: sink.Append}
	s := &stage{tx: t, cols: append([]record.Column(nil), cols...), direct: true, strict: opts.Strict, created: map[string]bool{}}
	for _, stmt := range t.DDL(plan) {
		if err := s.exec(ctx, stmt); err != nil {
			return nil, err
		}
	}
	for _, c := range changes {
		switch c.Kind {
		case sink.CreateTable:
			for _, col := range cols {
				s.created[col.Name] = true
			}
		case sink.AddColumn:
			s.created[c.Column.Name] = true
		}
	}
	s.final = sink.Final(opts.Existing, want, changes)
	s.final.Schema = schemaOr(s.final.Schema)
	s.name = qualified(s.final.Schema, s.final.Name)
	s.ident = pgx.Identifier{s.final.Schema, s.final.Name}
	return s, nil
}

func (s *stage) exec(ctx context.Context, stmt string) error {
	if _, err := s.tx.tx.ExecContext(ctx, stmt); err != nil {
		return classify(fmt.Errorf("changing the schema of %s (%s): %w", s.final.Name, sink.FirstLine(stmt), err))
	}
	s.ddl = append(s.ddl, stmt)
	return nil
}

// directColumn applies a column's new or wider type to the target of a direct
// append, with the rules of sink.Diff.
func (s *stage) directColumn(ctx context.Context, col record.Column, add bool) error {
	for i, c := range s.final.Columns {
		if c.Name != col.Name {
			continue
		}
		if c.Type.Base() == col.Type.Base() || (!s.created[col.Name] && record.SafeWiden(col.Type, c.Type)) {
			return nil // the values fit the column as it is
		}
		if !s.created[col.Name] {
			if s.strict {
				return fmt.Errorf("table %s: %w: the data needs column %q widened from %s to %s, and schema_evolution is strict", s.final.Name, sink.ErrSchema, col.Name, c.Type, col.Type)
			}
			if !record.SafeWiden(c.Type, col.Type) {
				return fmt.Errorf("table %s: %w: column %q is %s but the data is %s, which cannot be widened safely; cast the column in the spec, or replace the table", s.final.Name, sink.ErrSchema, col.Name, c.Type, col.Type)
			}
		}
		typ := pgType(col.Type)
		if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", s.name, quote(col.Name), typ, quote(col.Name), typ)); err != nil {
			return err
		}
		s.final.Columns[i].Type = col.Type
		return nil
	}
	if !add {
		return fmt.Errorf("widening column %s: not in table %s", col.Name, s.final.Name)
	}
	if s.strict {
		return fmt.Errorf("table %s: %w: the data has a new column %q (%s), and schema_evolution is strict", s.final.Name, sink.ErrSchema, col.Name, col.Type)
	}
	if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", s.name, quote(col.Name), pgType(col.Type))); err != nil {
		return err
	}
	s.created[col.Name] = true
	s.final.Columns = append(s.final.Columns, col)
	return nil
}

// AddColumn adds a column to the staging table.
func (s *stage) AddColumn(ctx context.Context, col record.Column) error {
	if s.direct {
		if err := s.directColumn(ctx, col, true); err != nil {
			return err
		}
		s.cols = append(s.cols, col)
		return nil
	}
	q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", s.name, quote(col.Name), pgType(col.Type))
	if _, err := s.tx.tx.ExecContext(ctx, q); err != nil {
		return classify(fmt.Errorf("adding column %s to the staging table: %w", col.Name, err))
	}
	s.cols = append(s.cols, col)
	return nil
}

// WidenColumn converts a staged column to a wider type (or decides the type of a
// column that held only NULLs so far).
func (s *stage) WidenColumn(ctx context.Context, col record.Column) error {
	for i := range s.cols {
		if s.cols[i].Name != col.Name {
			continue
		}
		if s.direct {
			if err := s.directColumn(ctx, col, false); err != nil {
				return err
			}
			s.cols[i].Type = col.Type
			return nil
		}
		typ := pgType(col.Type)
		q := fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", s.name, quote(col.Name), typ, quote(col.Name), typ)
		if _, err := s.tx.tx.ExecContext(ctx, q); err != nil {
			return classify(fmt.Errorf("widening staged column %s to %s: %w", col.Name, col.Type, err))
		}
		s.cols[i].Type = col.Type
		return nil
	}
	return fmt.Errorf("widening column %s: not staged", col.Name)
}

// Write streams rows into the staging table with the binary COPY protocol.
func (s *stage) Write(ctx context.Context, rows [][]any) error {
	names := make([]string, len(s.cols))
	for i, c := range s.cols {
		names[i] = c.Name
	}
	src := &rowSource{rows: rows, width: len(s.cols), i: -1}
	err := s.tx.conn.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		n, err := conn.CopyFrom(ctx, s.ident, names, src)
		s.rows += n
		return err
	})
	if err != nil {
		return classify(fmt.Errorf("copying rows into %s: %w", s.name, err))
	}
	return nil
}

// rowSource adapts a batch to pgx.CopyFromSource.
type rowSource struct {
	rows  [][]any
	width int
	i     int
	buf   []any
	err   error
}

func (r *rowSource) Next() bool {
	r.i++
	return r.i < len(r.rows)
}

func (r *rowSource) Values() ([]any, error) {
	row := r.rows[r.i]
	if cap(r.buf) < r.width {
		r.buf = make([]any, r.width)
	}
	r.buf = r.buf[:r.width]
	for j := range r.buf {
		var v any
		if j < len(row) {
			v = row[j]
		}
		x, err := toPG(v)
		if err != nil {
			return nil, err
		}
		r.buf[j] = x
	}
	return r.buf, nil
}

func (r *rowSource) Err() error { return r.err }

// quote quotes an identifier.
func quote(id string) string { return sink.QuoteIdent(id) }
