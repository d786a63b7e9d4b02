package mysql

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
)

// stage is a temporary table of untyped (LONGTEXT) columns holding a run's rows
// in input order (_seq). A column that appears mid-run moves the rows to a new
// temporary table, since ALTER TABLE would commit the transaction.
//
// For an append without deduplication into a table without a primary key, the
// stage is the target itself (direct): LOAD DATA goes straight into it, after the
// schema changes the run starts with; a change needed mid-run (which would commit)
// returns sink.ErrRestage and the engine runs again through a staging table.
type stage struct {
	tx   *tx_
	name string
	cols []record.Column
	buf  []byte

	direct bool
	rows   int64    // direct: rows loaded
	ddl    []string // direct: statements executed before the first row
}

func quote(id string) string { return sink.QuoteIdent(id) }

func stageName() string {
	return "sluice_stage_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
}

func (t *tx_) createStage(ctx context.Context, name string, cols []record.Column) error {
	defs := []string{"_seq BIGINT AUTO_INCREMENT PRIMARY KEY"}
	for _, c := range cols {
		defs = append(defs, quote(c.Name)+" LONGTEXT NULL")
	}
	q := fmt.Sprintf("CREATE TEMPORARY TABLE %s (%s) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", name, strings.Join(defs, ", "))
	if _, err := t.tx.ExecContext(ctx, q); err != nil {
		return classify(fmt.Errorf("creating the staging table: %w", err))
	}
	return nil
}

// Stage creates the run's staging table, or prepares the target for a direct
// append.
func (t *tx_) Stage(ctx context.Context, cols []record.Column, opts sink.StageOptions) (sink.Stage, error) {
	if s, ok, err := t.directStage(ctx, cols, opts); ok || err != nil {
		return s, err
	}
	s := &stage{tx: t, name: stageName(), cols: append([]record.Column(nil), cols...)}
	if err := t.createStage(ctx, s.name, s.cols); err != nil {
		return nil, err
	}
	t.stages = append(t.stages, s)
	return s, nil
}

// directStage returns a direct stage when the append allows one: no key, no
// deduplication, and no schema change other than creating the table or adding
// columns, which run now, before any row (each commits by itself).
func (t *tx_) directStage(ctx context.Context, cols []record.Column, opts sink.StageOptions) (*stage, bool, error) {
	if !opts.Direct || len(opts.Target.Key) > 0 || (opts.Existing != nil && len(opts.Existing.Key) > 0) {
		return nil, false, nil
	}
	want := opts.Target
	want.Columns = cols
	changes, err := sink.Diff(opts.Existing, cols, nil, sink.Append, opts.Strict)
	if err != nil {
		return nil, false, fmt.Errorf("table %s: %w", want.Name, err)
	}
	for _, c := range changes {
		if c.Kind != sink.CreateTable && c.Kind != sink.AddColumn {
			return nil, false, nil
		}
	}
	s := &stage{tx: t, name: quote(want.Name), cols: append([]record.Column(nil), cols...), direct: true}
	s.ddl = t.DDL(&sink.Plan{Target: want, Existing: opts.Existing, Changes: changes, Mode: sink.Append})
	for _, stmt := range s.ddl {
		if _, err := t.tx.ExecContext(ctx, stmt); err != nil {
			return nil, false, classify(fmt.Errorf("changing the schema of %s (%s): %w", want.Name, sink.FirstLine(stmt), err))
		}
	}
	return s, true, nil
}

// AddColumn moves the staged rows to a new temporary table with the column.
func (s *stage) AddColumn(ctx context.Context, col record.Column) error {
	if s.direct {
		return fmt.Errorf("%w: column %s appeared mid-run", sink.ErrRestage, col.Name)
	}
	name := stageName()
	cols := append(append([]record.Column(nil), s.cols...), col)
	if err := s.tx.createStage(ctx, name, cols); err != nil {
		return err
	}
	list := "_seq, " + sink.QuoteIdents(sink.ColumnNames(s.cols))
	if _, err := s.tx.tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", name, list, list, s.name)); err != nil {
		return classify(fmt.Errorf("adding column %s to the staging table: %w", col.Name, err))
	}
	s.drop(ctx)
	s.name, s.cols = name, cols
	return nil
}

// WidenColumn records the wider type; staged values are text, converted when
// they are applied.
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

// Write streams rows with LOAD DATA LOCAL INFILE from an in-memory reader.
func (s *stage) Write(ctx context.Context, rows [][]any) error {
	b := s.buf[:0]
	for _, r := range rows {
		for i, c := range s.cols {
			if i > 0 {
				b = append(b, '\t')
			}
			var v any
			if i < len(r) {
				v = r[i]
			}
			b = appendText(b, v, c.Type)
		}
		b = append(b, '\n')
	}
	s.buf = b
	name := "sluice_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(b) })
	defer mysql.DeregisterReaderHandler(name)
	q := fmt.Sprintf(`LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE %s CHARACTER SET utf8mb4
FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (%s)`, name, s.name, sink.QuoteIdents(sink.ColumnNames(s.cols)))
	r, err := s.tx.tx.ExecContext(ctx, q)
	if err != nil {
		return classify(fmt.Errorf("loading rows into %s: %w", s.name, err))
	}
	// LOAD DATA LOCAL implies IGNORE: a value that does not fit its column (or
	// text that is not valid UTF-8) becomes a warning and a truncated value, even
	// in strict mode. Refuse them.
	var warnings int
	if err := s.tx.tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&warnings); err != nil {
		return classify(fmt.Errorf("checking the load into %s: %w", s.name, err))
	}
	if warnings > 0 {
		var level, msg string
		var code int
		if err := s.tx.tx.QueryRowContext(ctx, "SHOW WARNINGS LIMIT 1").Scan(&level, &code, &msg); err != nil {
			msg = "(unreadable: " + err.Error() + ")"
		}
		return fmt.Errorf("loading rows into %s: %d value(s) did not fit their columns and would have been changed; first: %s", s.name, warnings, msg)
	}
	if s.direct {
		n, _ := r.RowsAffected()
		s.rows += n
	}
	return nil
}

func (s *stage) drop(ctx context.Context) {
	if s.direct {
		return
	}
	s.tx.tx.ExecContext(ctx, "DROP TEMPORARY TABLE IF EXISTS "+s.name)
}
