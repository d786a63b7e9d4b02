package transform

import (
	"reflect"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

func TestFilter(t *testing.T) {
	t.Parallel()
	c := mustBind(t, []string{"amount", "flag"}, specCast(t, "amount", "double"), specFilter("flag ?? (amount > 0)"))
	tests := []struct {
		name    string
		in      []any
		outcome Outcome
		reason  string
	}{
		{"true keeps", []any{"1.5", nil}, Kept, ""},
		{"false filters", []any{"-1", nil}, Filtered, ""},
		{"null in a comparison rejects", []any{nil, nil}, Rejected, "filter: invalid operation: null > bigint"},
		{"bool column", []any{"-1", true}, Kept, ""},
		{"non-boolean rejects", []any{"1", "yes"}, Rejected, `filter: result "yes" is not true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := apply(c, tt.in...)
			if r.outcome != tt.outcome {
				t.Fatalf("Apply = %v %+v, want %v", r.outcome, r.reject, tt.outcome)
			}
			if tt.reason != "" && (r.reject == nil || r.reject.Reason != tt.reason || r.reject.Column != "") {
				t.Errorf("reject = %+v, want reason %q and no column", r.reject, tt.reason)
			}
		})
	}
	t.Run("null result filters", func(t *testing.T) {
		t.Parallel()
		c := mustBind(t, []string{"flag"}, specFilter("flag"))
		if r := apply(c, nil); r.outcome != Filtered {
			t.Errorf("Apply = %+v, want Filtered", r)
		}
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	rule := func(kind string, arg any) spec.Rule {
		r := spec.Rule{Kind: kind}
		switch kind {
		case "regex":
			r.Regex = arg.(string)
		case "min", "max":
			r.Bound = arg
		case "one_of":
			r.OneOf = arg.([]any)
		}
		return r
	}
	tests := []struct {
		name   string
		cast   string
		rule   spec.Rule
		in     any
		reason string // "" means the value passes
	}{
		{"not_null passes a value", "", rule("not_null", nil), "x", ""},
		{"not_null rejects null", "", rule("not_null", nil), nil, "not_null: value is null"},
		{"regex matches", "", rule("regex", `^[^@]+@[^@]+$`), "a@b", ""},
		{"regex fails", "", rule("regex", `^[^@]+@[^@]+$`), "ab", "regex ^[^@]+@[^@]+$ does not match"},
		{"regex on a number's text", "bigint", rule("regex", `^\d{3}$`), "12", `regex ^\d{3}$ does not match`},
		{"regex passes null", "", rule("regex", `^x$`), nil, ""},
		{"min integer", "bigint", rule("min", int64(0)), "-1", "min: -1 is less than 0"},
		{"min integer equal", "bigint", rule("min", int64(0)), "0", ""},
		{"min float bound on integer", "bigint", rule("min", 0.5), "0", "min: 0 is less than 0.5"},
		{"max double", "double", rule("max", int64(10)), "10.5", "max: 10.5 is greater than 10"},
		{"max decimal exact", "decimal(10,2)", rule("max", 0.1), "0.10", ""},
		{"max decimal over", "decimal(10,2)", rule("max", 0.1), "0.11", "max: 0.11 is greater than 0.1"},
		{"numeric text compares as number", "", rule("min", int64(9)), "10", ""},
		{"min date", "date", rule("min", "2024-01-01"), "2023-12-31", "min: 2023-12-31T00:00:00Z is less than 2024-01-01"},
		{"max timestamp against date bound", "timestamp", rule("max", "2024-01-01"), "2024-01-01T00:00:01", "max: 2024-01-01T00:00:01Z is greater than 2024-01-01"},
		{"date text against date bound", "", rule("min", "2024-01-01"), "2024-02-01", ""},
		{"text compares as text", "", rule("min", "b"), "a", "min: a is less than b"},
		{"min passes null", "bigint", rule("min", int64(5)), nil, ""},
		{"one_of text", "", rule("one_of", []any{"EUR", "USD"}), "EUR", ""},
		{"one_of rejects", "", rule("one_of", []any{"EUR", "USD"}), "GBP", "one_of: value is not one of EUR, USD"},
		{"one_of numbers by text", "bigint", rule("one_of", []any{int64(1), int64(2)}), "2", ""},
		{"one_of bool", "boolean", rule("one_of", []any{true}), "no", "one_of: value is not one of true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			steps := []spec.Step{specValidate("v", tt.rule)}
			if tt.cast != "" {
				steps = append([]spec.Step{specCast(t, "v", tt.cast)}, steps...)
			}
			c := mustBind(t, []string{"v"}, steps...)
			r := apply(c, tt.in)
			if tt.reason == "" {
				if r.outcome != Kept {
					t.Errorf("Apply = %v %+v, want Kept", r.outcome, r.reject)
				}
				return
			}
			if r.outcome != Rejected || r.reject.Reason != tt.reason || r.reject.Column != "v" {
				t.Errorf("Apply = %v %+v, want reason %q", r.outcome, r.reject, tt.reason)
			}
		})
	}
}

func TestValidateUnique(t *testing.T) {
	t.Parallel()
	c := mustBind(t, []string{"id", "amount"},
		specCast(t, "amount", "bigint"),
		specValidate("id", spec.Rule{Kind: "unique"}),
		specFilter("amount > 0"))
	steps := []struct {
		in      []any
		outcome Outcome
	}{
		{[]any{"a", "1"}, Kept},
		{[]any{"a", "2"}, Rejected},  // second occurrence
		{[]any{"b", "-1"}, Filtered}, // not kept, so not recorded
		{[]any{"b", "1"}, Kept},
		{[]any{"c", "x"}, Rejected}, // rejected by the cast before the rule
		{[]any{"c", "1"}, Kept},
		{[]any{nil, "1"}, Kept}, // nulls are never duplicates
		{[]any{nil, "1"}, Kept},
	}
	for i, s := range steps {
		r := apply(c, s.in...)
		if r.outcome != s.outcome {
			t.Fatalf("row %d %v: outcome %v %+v, want %v", i, s.in, r.outcome, r.reject, s.outcome)
		}
		if i == 1 && !reflect.DeepEqual(r.reject, &Reject{Column: "id", Reason: "unique: duplicate value", Value: "a"}) {
			t.Errorf("reject = %+v", r.reject)
		}
	}
}

func TestValidateTimeValue(t *testing.T) {
	t.Parallel()
	b, err := newBound("2024-01-01T12:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.compare(time.Date(2024, 1, 1, 11, 0, 0, 0, time.UTC)); got != -1 {
		t.Errorf("compare = %d, want -1", got)
	}
	if got := b.compare(record.Decimal("1")); got != -1 { // no common ground: text order
		t.Errorf("compare = %d, want -1", got)
	}
}
