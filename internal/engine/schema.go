package engine

import (
	"context"
	"fmt"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
)

// schema decides the staged columns and their types, and batches rows into the
// stage. Columns whose type no cast fixes are inferred from the first SampleRows
// rows (preferring the target's existing type when every sampled value fits it),
// then widened, never narrowed, when a later value does not fit.
type schema struct {
	r       *run
	target  *sink.Table
	cols    []column
	byName  map[string]int
	mapping []int // output column i of the current chain → cols index
	keyIdx  []int // target key columns that must not be NULL (merge)

	stage      sink.Stage
	w          *writer // stages batches in the background once the stage exists
	pending    [][]any // rows buffered before the stage exists (the sample)
	batch      [][]any
	backing    []any
	pendingAdd []int // columns to add to the stage before the next row
}

type column struct {
	record.Column
	static bool // a cast fixed the type
}

func newSchema(r *run, target *sink.Table) *schema {
	return &schema{r: r, target: target, byName: map[string]int{}}
}

func (s *schema) sampleRows() int {
	if s.r.e.SampleRows > 0 {
		return s.r.e.SampleRows
	}
	return 5000
}

func (s *schema) batchRows() int {
	if s.r.e.BatchRows > 0 {
		return s.r.e.BatchRows
	}
	return 10000
}

// bind maps a chain's output columns onto the staged columns, adding new ones.
func (s *schema) bind(out []record.Column) {
	s.mapping = s.mapping[:0]
	for _, c := range out {
		i, ok := s.byName[c.Name]
		if !ok {
			i = len(s.cols)
			s.byName[c.Name] = i
			s.cols = append(s.cols, column{Column: c, static: c.Type.Kind != record.KindUnknown})
			if s.stage != nil {
				s.pendingAdd = append(s.pendingAdd, i)
			}
		}
		s.mapping = append(s.mapping, i)
	}
	s.keyIdx = s.keyIdx[:0]
	if s.r.p.Target.Mode == string(sink.Merge) {
		for _, k := range s.r.p.Target.Key {
			if i, ok := s.byName[k.Name]; ok {
				s.keyIdx = append(s.keyIdx, i)
			}
		}
	}
}

// add stages one output row. It returns false when the row was rejected here
// (a NULL merge key).
func (s *schema) add(ctx context.Context, out []any, file string, loc int64, formatName string) (bool, error) {
	if err := s.addColumns(ctx); err != nil {
		return false, err
	}
	row := s.row()
	for i, v := range out {
		row[s.mapping[i]] = v
	}
	for _, k := range s.keyIdx {
		if row[k] == nil {
			s.unrow()
			name := s.cols[k].Name
			return false, s.r.reject(ctx, file, loc, formatName, name, fmt.Sprintf("key column %q is empty; mode merge needs a key in every row", name), "", rawRow(s.cols, row))
		}
	}
	if s.stage == nil {
		if len(s.pending) < s.sampleRows() {
			return true, nil
		}
		return true, s.start(ctx)
	}
	if err := s.convert(ctx, row); err != nil {
		return false, err
	}
	if len(s.batch) >= s.batchRows() {
		return true, s.write(ctx)
	}
	return true, nil
}

// row returns a zeroed row slot of the current width, in pending or in batch.
func (s *schema) row() []any {
	n := len(s.cols)
	if s.stage == nil {
		row := make([]any, n)
		s.pending = append(s.pending, row)
		return row
	}
	need := (len(s.batch) + 1) * n
	if cap(s.backing) < s.batchRows()*n {
		s.backing = make([]any, 0, s.batchRows()*n)
	}
	if need > cap(s.backing) { // columns grew mid-batch: fall back to a fresh row
		row := make([]any, n)
		s.batch = append(s.batch, row)
		return row
	}
	s.backing = s.backing[:need]
	row := s.backing[need-n : need : need]
	clear(row)
	s.batch = append(s.batch, row)
	return row
}

func (s *schema) unrow() {
	if s.stage == nil {
		s.pending = s.pending[:len(s.pending)-1]
	} else {
		s.batch = s.batch[:len(s.batch)-1]
		if len(s.backing) >= len(s.cols) {
			s.backing = s.backing[:len(s.backing)-len(s.cols)]
		}
	}
}

// start decides the inferred types from the sample, creates the stage and
// writes the sample.
func (s *schema) start(ctx context.Context) error {
	for i := range s.cols {
		c := &s.cols[i]
		if c.static {
			continue
		}
		if s.target != nil {
			if tc, ok := s.target.Column(c.Name); ok && allConvert(s.pending, i, tc.Type) {
				c.Type = tc.Type.Base()
				continue
			}
		}
		t := record.Type{}
		for _, row := range s.pending {
			if i < len(row) && row[i] != nil {
				t = record.Widen(t, record.Infer(row[i]))
			}
		}
		c.Type = t
	}
	stageCols := make([]record.Column, len(s.cols))
	for i, c := range s.cols {
		stageCols[i] = stageColumn(c.Column)
	}
	p := s.r.p
	st, err := s.r.tx.Stage(ctx, stageCols, sink.StageOptions{
		Direct:   !s.r.staged && !s.r.opts.DryRun && (p.Target.Mode == "" || p.Target.Mode == string(sink.Append)) && s.r.prog.Dedupe() == nil,
		Target:   sink.Table{Schema: p.Target.Schema, Name: p.Target.Table, Key: idents(p.Target.Key)},
		Existing: s.target,
		Strict:   p.Target.SchemaEvolution == "strict",
	})
	if err != nil {
		return err
	}
	s.stage = st
	s.w = newWriter(ctx, st)
	s.pendingAdd = nil
	pending := s.pending
	s.pending = nil
	for _, p := range pending {
		row := s.row()
		copy(row, p)
		if err := s.convert(ctx, row); err != nil {
			return err
		}
		if len(s.batch) >= s.batchRows() {
			if err := s.write(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func allConvert(rows [][]any, i int, t record.Type) bool {
	for _, row := range rows {
		if i < len(row) && row[i] != nil {
			if _, err := record.Convert(row[i], t.Base()); err != nil {
				return false
			}
		}
	}
	return true
}

// stageColumn is the column as staged: a column of unknown type (only NULLs so
// far) is staged as text until a value decides it.
func stageColumn(c record.Column) record.Column {
	if c.Type.Kind == record.KindUnknown {
		c.Type = record.Text
	}
	return c
}

// convert converts a row's values in place to the staged column types, widening
// a column when a value does not fit.
func (s *schema) convert(ctx context.Context, row []any) error {
	for i, v := range row {
		if v == nil {
			continue
		}
		c := &s.cols[i]
		if c.static {
			continue // a cast step produced the value: it has the column's type already
		}
		if c.Type.Kind == record.KindUnknown {
			c.Type = record.Infer(v)
			if tc, ok := s.targetColumn(c.Name); ok {
				if _, err := record.Convert(v, tc); err == nil {
					c.Type = tc
				}
			}
			col := stageColumn(c.Column)
			if err := s.w.do(func() error { return s.stage.WidenColumn(ctx, col) }); err != nil {
				return err
			}
		}
		x, err := record.Convert(v, c.Type)
		if err != nil {
			w := record.Widen(c.Type, record.Infer(v))
			if w == c.Type.Base() {
				w = record.Text
			}
			if x, err = record.Convert(v, w); err != nil {
				return fmt.Errorf("column %q: cannot hold %q as %s or %s: %w", c.Name, record.String(v), c.Type, w, err)
			}
			s.r.log.Info("widening column", "column", c.Name, "from", c.Type.String(), "to", w.String(), "value", record.String(v))
			c.Type = w
			col := c.Column
			if err := s.w.do(func() error { return s.stage.WidenColumn(ctx, col) }); err != nil {
				return err
			}
			// Rows of this batch converted before the widening follow it.
			for _, r := range s.batch {
				if i < len(r) && r[i] != nil {
					if y, err := record.Convert(r[i], w); err == nil {
						r[i] = y
					}
				}
			}
		}
		row[i] = x
	}
	return nil
}

func (s *schema) targetColumn(name string) (record.Type, bool) {
	if s.target == nil {
		return record.Type{}, false
	}
	c, ok := s.target.Column(name)
	return c.Type.Base(), ok
}

// addColumns adds the columns a rebinding introduced to the existing stage.
func (s *schema) addColumns(ctx context.Context) error {
	if len(s.pendingAdd) == 0 {
		return nil
	}
	if err := s.write(ctx); err != nil { // staged batches keep their width
		return err
	}
	for _, i := range s.pendingAdd {
		col := stageColumn(s.cols[i].Column)
		if err := s.w.do(func() error { return s.stage.AddColumn(ctx, col) }); err != nil {
			return err
		}
	}
	s.pendingAdd = nil
	s.backing = nil
	return nil
}

func (s *schema) write(ctx context.Context) error {
	if len(s.batch) == 0 {
		return nil
	}
	buf, err := s.w.write(buffer{rows: s.batch, backing: s.backing})
	if err != nil {
		return err
	}
	s.batch, s.backing = buf.rows, buf.backing
	return nil
}

// close stops the background writer and returns its first error.
func (s *schema) close() error {
	if s.w == nil {
		return nil
	}
	return s.w.close()
}

// flush writes what is buffered; with fewer rows than the sample, it starts the
// stage first. A run without any column (only empty files) stages nothing.
func (s *schema) flush(ctx context.Context) error {
	if s.stage == nil {
		if len(s.cols) == 0 {
			return nil
		}
		if err := s.start(ctx); err != nil {
			return err
		}
	}
	if err := s.addColumns(ctx); err != nil {
		return err
	}
	if err := s.write(ctx); err != nil {
		return err
	}
	return s.close()
}

// finalColumns are the staged columns with their decided types (text for columns
// that held only NULLs).
func (s *schema) finalColumns() []record.Column {
	out := make([]record.Column, len(s.cols))
	for i, c := range s.cols {
		out[i] = stageColumn(c.Column)
		if c.Type.Kind == record.KindUnknown {
			if tc, ok := s.targetColumn(c.Name); ok {
				out[i].Type = tc
			}
		}
		out[i].Type = out[i].Type.Base()
	}
	return out
}

func rawRow(cols []column, row []any) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return rawJSON(names, row)
}
