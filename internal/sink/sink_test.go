package sink

import (
	"errors"
	"testing"

	"github.com/sluice-data/sluice/internal/record"
)

func col(name string, t record.Type) record.Column { return record.Column{Name: name, Type: t} }

func TestDiff(t *testing.T) {
	t.Parallel()
	dec := func(p, s int) record.Type { return record.Type{Kind: record.KindDecimal, Precision: p, Scale: s} }
	existing := &Table{Name: "t", Columns: []record.Column{col("id", record.Bigint), col("n", record.Integer), col("d", record.Date), col("s", record.Text), col("b", record.Boolean), col("m", dec(10, 2))}, Key: []string{"id"}}
	tests := []struct {
		name    string
		want    []record.Column
		mode    Mode
		strict  bool
		changes []Change
		err     bool
	}{
		{name: "same", want: existing.Columns, mode: Append},
		{name: "subset", want: []record.Column{col("id", record.Bigint)}, mode: Append},
		{name: "fits", want: []record.Column{col("n", record.Integer), col("s", record.Bigint), col("d", record.Date)}, mode: Merge},
		{name: "add", want: []record.Column{col("new", record.Text)}, mode: Append,
			changes: []Change{{Kind: AddColumn, Column: col("new", record.Text)}}},
		{name: "widen integer to bigint", want: []record.Column{col("n", record.Bigint)}, mode: Append,
			changes: []Change{{Kind: WidenColumn, Column: col("n", record.Bigint), From: record.Integer}}},
		{name: "widen date to timestamp", want: []record.Column{col("d", record.Timestamp)}, mode: Append,
			changes: []Change{{Kind: WidenColumn, Column: col("d", record.Timestamp), From: record.Date}}},
		{name: "widen decimal scale", want: []record.Column{col("m", dec(12, 4))}, mode: Append,
			changes: []Change{{Kind: WidenColumn, Column: col("m", dec(12, 4)), From: dec(10, 2)}}},
		{name: "boolean to text", want: []record.Column{col("b", record.Text)}, mode: Append,
			changes: []Change{{Kind: WidenColumn, Column: col("b", record.Text), From: record.Boolean}}},
		{name: "unsafe: decimal to double", want: []record.Column{col("m", record.Double)}, mode: Append, err: true},
		{name: "strict add", want: []record.Column{col("new", record.Text)}, mode: Append, strict: true, err: true},
		{name: "replace recreates", want: []record.Column{col("id", record.Bigint)}, mode: Replace,
			changes: []Change{{Kind: RecreateTable}}},
		{name: "replace strict", want: []record.Column{col("id", record.Bigint)}, mode: Replace, strict: true, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Diff(existing, tt.want, []string{"id"}, tt.mode, tt.strict)
			if tt.err {
				if !errors.Is(err, ErrSchema) {
					t.Fatalf("err = %v, want ErrSchema", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.changes) {
				t.Fatalf("changes %+v, want %+v", got, tt.changes)
			}
			for i := range got {
				if got[i] != tt.changes[i] {
					t.Fatalf("changes %+v, want %+v", got, tt.changes)
				}
			}
		})
	}
	if c, err := Diff(nil, existing.Columns, nil, Append, true); err != nil || len(c) != 1 || c[0].Kind != CreateTable {
		t.Errorf("new table: %v %v", c, err)
	}
	if _, err := Diff(existing, existing.Columns, []string{"s"}, Merge, false); !errors.Is(err, ErrSchema) {
		t.Errorf("key change: %v", err)
	}
}

func TestFinal(t *testing.T) {
	t.Parallel()
	existing := &Table{Name: "t", Columns: []record.Column{col("a", record.Integer), col("b", record.Text)}}
	want := Table{Name: "t", Columns: []record.Column{col("c", record.Text), col("a", record.Bigint)}}
	changes, err := Diff(existing, want.Columns, nil, Append, false)
	if err != nil {
		t.Fatal(err)
	}
	f := Final(existing, want, changes)
	if len(f.Columns) != 3 || f.Columns[0] != col("a", record.Bigint) || f.Columns[1] != col("b", record.Text) || f.Columns[2] != col("c", record.Text) {
		t.Errorf("final: %+v", f.Columns)
	}
}
