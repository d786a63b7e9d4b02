package transform

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

func TestRename(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cols []string
		step spec.Step
		want []string
	}{
		{"raw source name kept until renamed", []string{"Order ID", "Customer Name"}, specRename("Order ID", "id"), []string{"id", "customer_name"}},
		{"normalised name", []string{"Order ID", "Customer Name"}, specRename("customer_name", "customer"), []string{"order_id", "customer"}},
		{"swap in one step", []string{"a", "b"}, specRename("a", "b", "b", "a"), []string{"b", "a"}},
		{"to its own name", []string{"a", "b"}, specRename("a", "a"), []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustBind(t, tt.cols, tt.step)
			if got := columnNames(c); !slices.Equal(got, tt.want) {
				t.Errorf("columns = %q, want %q", got, tt.want)
			}
			if r := apply(c, "1", "2"); r.outcome != Kept || !reflect.DeepEqual(r.row, []any{"1", "2"}) {
				t.Errorf("Apply = %+v", r)
			}
		})
	}
	t.Run("later steps use the raw name until the rename", func(t *testing.T) {
		t.Parallel()
		c := mustBind(t, []string{"Order ID"}, specCast(t, "Order ID", "bigint"), specRename("Order ID", "order_id"))
		if got := c.Columns(); !reflect.DeepEqual(got, []record.Column{{Name: "order_id", Type: record.Bigint}}) {
			t.Errorf("Columns() = %v", got)
		}
	})
}

func TestCast(t *testing.T) {
	t.Parallel()
	c := mustBind(t, []string{"id", "amount", "at", "ok"},
		specCast(t, "id", "bigint", "amount", "decimal(6,2)", "at", "timestamp('%d/%m/%Y %H:%M')", "ok", "boolean"))
	want := []record.Column{
		{Name: "id", Type: record.Bigint},
		{Name: "amount", Type: record.Type{Kind: record.KindDecimal, Precision: 6, Scale: 2}},
		{Name: "at", Type: record.Timestamp}, // the format is how text is read, not part of the stored type
		{Name: "ok", Type: record.Boolean},
	}
	if got := c.Columns(); !reflect.DeepEqual(got, want) {
		t.Errorf("Columns() = %v, want %v", got, want)
	}
	at := time.Date(2024, 3, 9, 14, 5, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     []any
		want   []any
		reject *Reject
	}{
		{"all convert", []any{"7", "12.5", "09/03/2024 14:05", "yes"}, []any{int64(7), record.Decimal("12.50"), at, true}, nil},
		{"nulls pass", []any{nil, nil, nil, nil}, []any{nil, nil, nil, nil}, nil},
		{"missing trailing values are null", []any{"7"}, []any{int64(7), nil, nil, nil}, nil},
		{"bad integer", []any{"x7", "1", nil, nil}, nil, &Reject{Column: "id", Reason: `cannot cast "x7" to bigint`, Value: "x7"}},
		{"decimal too large", []any{"1", "123456.7", nil, nil}, nil, &Reject{Column: "amount", Reason: `123456.7 does not fit decimal(6,2)`, Value: "123456.7"}},
		{"format mismatch", []any{"1", "1", "2024-03-09", nil}, nil, &Reject{Column: "at", Reason: `"2024-03-09" does not match timestamp('%d/%m/%Y %H:%M')`, Value: "2024-03-09"}},
		{"typed value", []any{int64(3), 1.5, at, int64(0)}, []any{int64(3), record.Decimal("1.50"), at, false}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := apply(c, tt.in...)
			if tt.reject != nil {
				if r.outcome != Rejected || !reflect.DeepEqual(r.reject, tt.reject) {
					t.Errorf("Apply = %v %+v, want Rejected %+v", r.outcome, r.reject, tt.reject)
				}
				return
			}
			if r.outcome != Kept || !reflect.DeepEqual(r.row, tt.want) {
				t.Errorf("Apply = %v %+v %#v, want %#v", r.outcome, r.reject, r.row, tt.want)
			}
		})
	}
}

func TestSelectDrop(t *testing.T) {
	t.Parallel()
	cols := []string{"a", "b", "c", "d"}
	tests := []struct {
		name  string
		steps []spec.Step
		want  []string
		row   []any
	}{
		{"select orders", []spec.Step{specSelect("c", "a")}, []string{"c", "a"}, []any{"3", "1"}},
		{"drop", []spec.Step{specDrop("b", "d")}, []string{"a", "c"}, []any{"1", "3"}},
		{"derive after select", []spec.Step{specSelect("b"), specDerive("e", `b + "!"`)}, []string{"b", "e"}, []any{"2", "2!"}},
		{"drop then derive the same name", []spec.Step{specDrop("a"), specDerive("a", `"new"`)}, []string{"b", "c", "d", "a"}, []any{"2", "3", "4", "new"}},
		{"derive overwrites in place", []spec.Step{specDerive("b", `b + b`)}, []string{"a", "b", "c", "d"}, []any{"1", "22", "3", "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustBind(t, cols, tt.steps...)
			if got := columnNames(c); !slices.Equal(got, tt.want) {
				t.Errorf("columns = %q, want %q", got, tt.want)
			}
			if r := apply(c, "1", "2", "3", "4"); r.outcome != Kept || !reflect.DeepEqual(r.row, tt.row) {
				t.Errorf("Apply = %+v, want row %#v", r, tt.row)
			}
		})
	}
}

func TestDedupe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []spec.Step
		want  *Dedupe
	}{
		{"none", []spec.Step{specDrop("x")}, nil},
		{"default keep is last", []spec.Step{specDedupe("", "id")}, &Dedupe{Key: []string{"id"}, Keep: "last"}},
		{"first", []spec.Step{specDedupe("first", "id", "day")}, &Dedupe{Key: []string{"id", "day"}, Keep: "first"}},
		{"key renamed later", []spec.Step{specDedupe("", "id", "day"), specRename("id", "order_id")}, &Dedupe{Key: []string{"order_id", "day"}, Keep: "last"}},
		{"key selected later", []spec.Step{specDedupe("", "id"), specSelect("x", "id")}, &Dedupe{Key: []string{"id"}, Keep: "last"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mustCompile(t, tt.steps...).Dedupe(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Dedupe() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestApplyReusesOut(t *testing.T) {
	t.Parallel()
	c := mustBind(t, []string{"a", "b"}, specDerive("c", `a + b`))
	out := make([]any, 0, 8)
	first := &out[:1][0]
	for i := 0; i < 3; i++ {
		if o, rej := c.Apply([]any{"x", "y"}, &out); o != Kept || rej != nil {
			t.Fatalf("Apply = %v %v", o, rej)
		}
	}
	if &out[0] != first {
		t.Error("Apply did not reuse out's storage")
	}
	if !reflect.DeepEqual(out, []any{"x", "y", "xy"}) {
		t.Errorf("out = %#v", out)
	}
	in := []any{"p", "q", "extra value beyond the bound columns"}
	if o, _ := c.Apply(in, &out); o != Kept || !reflect.DeepEqual(out, []any{"p", "q", "pq"}) {
		t.Errorf("Apply with a longer row = %#v", out)
	}
}

func TestChainsShareNothingButUniques(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, specDerive("n", `a + "!"`), specValidate("a", spec.Rule{Kind: "unique"}))
	c1, err := p.Bind([]string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := p.Bind([]string{"x", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if r := apply(c1, "v"); r.outcome != Kept {
		t.Fatalf("first file: %+v", r)
	}
	if r := apply(c2, "x", "v"); r.outcome != Rejected || r.reject.Reason != "unique: duplicate value" {
		t.Errorf("second file, same value: %+v", r)
	}
	if r := apply(c2, "x", "w"); r.outcome != Kept || !reflect.DeepEqual(r.row, []any{"x", "w", "w!"}) {
		t.Errorf("second file, new value: %+v", r)
	}
}

func TestEnvAccess(t *testing.T) {
	t.Parallel()
	c := mustBind(t, []string{"in", "key", "b"},
		specDerive("x", `$env["in"] + $env.b`, "y", `$env[key]`, "z", `year(now()) > 2000`))
	r := apply(c, "1", "b", "2")
	if r.outcome != Kept || !reflect.DeepEqual(r.row[3:5], []any{"12", "2"}) {
		t.Errorf("Apply = %+v", r)
	}
}
