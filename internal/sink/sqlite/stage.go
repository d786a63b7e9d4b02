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

// stage is a temporary table holding a run's rows, in input order (_seq).
type stage struct {
	tx    *tx_
	name  string
	cols  []record.Column
	stmts map[int]*sql.Stmt // multi-row INSERT by row count
	args  []any
}

// Stage creates the run's temporary staging table.
func (t *tx_) Stage(ctx context.Context, cols []record.Column, _ sink.StageOptions) (sink.Stage, error) {
	name := "sluice_stage_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	defs := []string{"_seq INTEGER PRIMARY KEY"}
	for _, c := range cols {
		defs = append(defs, quote(c.Name))
	}
	if _, err := t.tx.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", name, strings.Join(defs, ", "))); err != nil {
		return nil, fmt.Errorf("creating the staging table: %w", err)
	}
	s := &stage{tx: t, name: name, cols: append([]record.Column(nil), cols...), stmts: map[int]*sql.Stmt{}}
	t.stages = append(t.stages, s)
	return s, nil
}

// AddColumn adds a column to the staging table.
func (s *stage) AddColumn(ctx context.Context, col record.Column) error {
	if _, err := s.tx.tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE temp.%s ADD COLUMN %s", s.name, quote(col.Name))); err != nil {
		return fmt.Errorf("adding column %s to the staging table: %w", col.Name, err)
	}
	s.cols = append(s.cols, col)
	s.close()
	return nil
}

// WidenColumn records the wider type; staged values are stored untyped.
func (s *stage) WidenColumn(_ context.Context, col record.Column) error {
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
					v = toSQL(r[i], c.Type)
				}
				s.args = append(s.args, v)
			}
		}
		if _, err := stmt.ExecContext(ctx, s.args...); err != nil {
			return fmt.Errorf("staging rows: %w", err)
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
	q := fmt.Sprintf("INSERT INTO temp.%s (%s) VALUES %s", s.name, strings.Join(names, ","),
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
	if _, err := s.tx.tx.ExecContext(ctx, "DROP TABLE temp."+s.name); err != nil {
		return fmt.Errorf("dropping the staging table: %w", err)
	}
	return nil
}

// quote quotes an identifier.
func quote(id string) string { return sink.QuoteIdent(id) }
