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
// dropped at the end of the transaction.
type stage struct {
	tx   *tx_
	name string
	cols []record.Column
}

// Stage creates the run's staging table.
func (t *tx_) Stage(ctx context.Context, cols []record.Column) (sink.Stage, error) {
	name := "sluice_stage_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	defs := []string{"_seq bigserial"}
	for _, c := range cols {
		defs = append(defs, quote(c.Name)+" "+pgType(c.Type))
	}
	q := fmt.Sprintf("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", name, strings.Join(defs, ", "))
	if _, err := t.tx.ExecContext(ctx, q); err != nil {
		return nil, classify(fmt.Errorf("creating the staging table: %w", err))
	}
	return &stage{tx: t, name: name, cols: append([]record.Column(nil), cols...)}, nil
}

// AddColumn adds a column to the staging table.
func (s *stage) AddColumn(ctx context.Context, col record.Column) error {
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
		_, err := conn.CopyFrom(ctx, pgx.Identifier{s.name}, names, src)
		return err
	})
	if err != nil {
		return classify(fmt.Errorf("copying rows into the staging table: %w", err))
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
func quote(id string) string {
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}
