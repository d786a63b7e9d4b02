package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
)

// maxVars is SQLite's limit on bind parameters per statement (since 3.32).
const maxVars = 32766

// stage is a temporary table holding a run's rows, in input order (_seq); or,
// for an append without deduplication, the target table itself (direct), after
// the schema changes the run starts with. A change needed mid-run then returns
// sink.ErrRestage and the engine runs again through a staging table.
type stage struct {
	tx    *tx_
	name  string
	table string // what INSERT writes into: temp.<name>, or the quoted target
	cols  []record.Column
	stmts map[int]*sql.Stmt // multi-row INSERT by row count
	args  []any

	direct bool
	rows   int64    // direct: rows inserted
	ddl    []string // direct: statements executed before the first row
	target string   // direct: the target's name
}

// Stage creates the run's temporary staging table, or prepares the target for a
// direct append.
func (t *tx_) Stage(ctx context.Context, cols []record.Column, opts sink.StageOptions) (sink.Stage, error) {
	if s, ok, err := t.directStage(ctx, cols, opts); ok || err != nil {
		return s, err
	}
	name := "sluice_stage_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	defs := []string{"_seq INTEGER PRIMARY KEY"}
	for _, c := range cols {
		defs = append(defs, quote(c.Name))
	}
	if _, err := t.tx.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", name, strings.Join(defs, ", "))); err != nil {
		return nil, fmt.Errorf("creating the staging table: %w", err)
	}
	s := &stage{tx: t, name: name, table: "temp." + name, cols: append([]record.Column(nil), cols...), stmts: map[int]*sql.Stmt{}}
	t.stages = append(t.stages, s)
	return s, nil
}

// directStage returns a direct stage when the append allows one: no
// deduplication, and no schema change but creating the table or adding columns,
// which run now (SQLite's DDL is transactional).
func (t *tx_) directStage(ctx context.Context, cols []record.Column, opts sink.StageOptions) (*stage, bool, error) {
	if !opts.Direct {
		return nil, false, nil
	}
	want := opts.Target
	want.Columns = cols
	changes, err := sink.Diff(opts.Existing, cols, want.Key, sink.Append, opts.Strict)
	if err != nil {
		return nil, false, fmt.Errorf("table %s: %w", want.Name, err)
	}
	for _, c := range changes {
		if c.Kind != sink.CreateTable && c.Kind != sink.AddColumn {
			return nil, false, nil
		}
	}
	s := &stage{tx: t, table: quote(want.Name), target: want.Name, cols: append([]record.Column(nil), cols...), stmts: map[int]*sql.Stmt{}, direct: true}
	for _, stmt := range t.DDL(&sink.Plan{Target: want, Existing: opts.Existing, Changes: changes, Mode: sink.Append}) {
		if _, err := t.tx.ExecContext(ctx, stmt); err != nil {
			return nil, false, fmt.Errorf("changing the schema of %s (%s): %w", want.Name, sink.FirstLine(stmt), err)
		}
		s.ddl = append(s.ddl, stmt)
	}
	t.stages = append(t.stages, s)
	return s, true, nil
}

// AddColumn adds a column to the staging table.
func (s *stage) AddColumn(ctx context.Context, col record.Column) error {
	if s.direct {
		return fmt.Errorf("%w: column %s appeared mid-run", sink.ErrRestage, col.Name)
	}
	if _, err := s.tx.tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", s.table, quote(col.Name))); err != nil {
		return fmt.Errorf("adding column %s to the staging table: %w", col.Name, err)
	}
	s.cols = append(s.cols, col)
	s.close()
	return nil
}

// WidenColumn records the wider type; staged values are stored untyped.
func (s *stage) WidenColumn(_ context.Context, col record.Column) error {
	if s.direct {
		return fmt.Errorf("%w: column %s needs type %s mid-run", sink.ErrRestage, col.Name, col.Type)
	}
	for i := range s.cols {
		if s.cols[i].Name == col.Name {
			s.cols[i].Type = col.Type
			return nil
		}
	}
	return fmt.Errorf("widening column %s: not staged", col.Name)
}

// Write inserts rows with multi-row prepared statements.
func (s *stage) Write(ctx context.Context, rows [][]any) error {
	n := len(s.cols)
	per := max(1, min(256, maxVars/max(n, 1)))
	for len(rows) > 0 {
		k := min(per, len(rows))
		stmt, err := s.stmt(ctx, k)
		if err != nil {
			return err
		}
		s.args = s.args[:0]
		for _, r := range rows[:k] {
			for i, c := range s.cols {
				var v any
				if i < len(r) {
					v = ToSQL(r[i], c.Type)
				}
				s.args = append(s.args, v)
			}
		}
		if _, err := stmt.ExecContext(ctx, s.args...); err != nil {
			if s.direct && isConstraint(err) {
				return fmt.Errorf("appending to %s: a row repeats a key that is already in the table; use mode: merge, or add a dedupe step: %w", s.target, err)
			}
			return fmt.Errorf("staging rows: %w", err)
		}
		if s.direct {
			s.rows += int64(k)
		}
		rows = rows[k:]
	}
	clear(s.args)
	return nil
}

func (s *stage) stmt(ctx context.Context, rows int) (*sql.Stmt, error) {
	if st, ok := s.stmts[rows]; ok {
		return st, nil
	}
	names := make([]string, len(s.cols))
	for i, c := range s.cols {
		names[i] = quote(c.Name)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(s.cols)), ",") + ")"
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", s.table, strings.Join(names, ","),
		strings.TrimSuffix(strings.Repeat(one+",", rows), ","))
	st, err := s.tx.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("preparing the staging insert: %w", err)
	}
	s.stmts[rows] = st
	return st, nil
}

func (s *stage) close() {
	for k, st := range s.stmts {
		st.Close()
		delete(s.stmts, k)
	}
}

func (s *stage) drop(ctx context.Context) error {
	s.close()
	if s.direct {
		return nil
	}
	if _, err := s.tx.tx.ExecContext(ctx, "DROP TABLE temp."+s.name); err != nil {
		return fmt.Errorf("dropping the staging table: %w", err)
	}
	return nil
}

// quote quotes an identifier.
func quote(id string) string { return sink.QuoteIdent(id) }
