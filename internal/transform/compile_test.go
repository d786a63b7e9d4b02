package transform

import (
	"testing"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// TestCompileErrors checks messages and positions: a derive expression starts at
// line 10+i, column 20; a filter at line 9, column 11.
func TestCompileErrors(t *testing.T) {
	t.Parallel()
	badFormat := specCast(t, "at", "date")
	badFormat.Cast[0].Type = record.Type{Kind: record.KindDate, Format: "%Y-%Q"}
	tests := []struct {
		name  string
		steps []spec.Step
		want  []string
	}{
		{"syntax error column", []spec.Step{specDerive("x", "amount >")}, []string{"10:27: derive x: unexpected token EOF"}},
		{"unknown function", []spec.Step{specDerive("x", "a + foo(b)")}, []string{"10:24: derive x: unknown function foo (functions: abs, add_days,"}},
		{"suggestion", []spec.Step{specDerive("x", "startswith(a, b) || starts_wth(a, b)")}, []string{
			"10:20: derive x: unknown function startswith (did you mean starts_with?)",
			"10:40: derive x: unknown function starts_wth (did you mean starts_with?)",
		}},
		{"argument type", []spec.Step{specDerive("x", "upper(1)")}, []string{"10:26: derive x: cannot use int as argument (type string) to call upper"}},
		{"argument count", []spec.Step{specDerive("x", "substr(s)", "y", "now(1)", "z", "coalesce()")}, []string{
			"10:20: derive x: substr takes 2 to 3 arguments, not 1",
			"11:20: derive y: now takes 0 arguments, not 1",
			"12:20: derive z: coalesce takes at least 1 argument, not 0",
		}},
		{"constant regex", []spec.Step{specDerive("x", `regex_match(s, "[")`)}, []string{`10:20: derive x: regex_match: invalid regex "[": missing closing ]`}},
		{"constant format", []spec.Step{specDerive("x", `format_time(t, "%Q")`)}, []string{`10:20: derive x: format_time: unknown directive %Q in "%Q"`}},
		{"constant unit", []spec.Step{specDerive("x", `date_trunc("decade", t)`)}, []string{`10:20: derive x: date_trunc: unknown unit "decade"`}},
		{"multi-line expression", []spec.Step{specDerive("x", "a +\n  * b")}, []string{`11: derive x: unexpected token Operator("*") (expression line 2, column 3)`}},
		{"filter must be boolean", []spec.Step{specFilter("1 + 2")}, []string{"9:11: filter: expression must be true or false, but it gives int"}},
		{"filter syntax", []spec.Step{specFilter("a ==")}, []string{"9:14: filter: unexpected token EOF"}},
		{"every error reported", []spec.Step{specDerive("x", "a +", "y", "b"), specFilter("c(")}, []string{
			"10:22: derive x: unexpected token EOF",
			"9:12: filter: unexpected token EOF",
		}},
		{"rename twice", []spec.Step{specRename("a", "b", "a", "c")}, []string{`11:5: rename: column "a" is renamed twice in one step`}},
		{"bad cast format", []spec.Step{badFormat}, []string{`10:5: cast at: unknown directive %Q in "%Y-%Q"`}},
		{"bad validate regex", []spec.Step{specValidate("a", spec.Rule{Kind: "regex", Regex: "a(b"})}, []string{`11:7: validate a: invalid regex "a(b": missing closing )`}},
		{"unknown rule", []spec.Step{specValidate("a", spec.Rule{Kind: "positive"})}, []string{`11:7: validate a: unknown rule "positive"`}},
		{"bad bound", []spec.Step{specValidate("a", spec.Rule{Kind: "min", Bound: true})}, []string{`11:7: validate a: min: bound must be a number, a date or text, not true`}},
		{"empty one_of", []spec.Step{specValidate("a", spec.Rule{Kind: "one_of"})}, []string{`11:7: validate a: one_of needs at least one value`}},
		{"select twice", []spec.Step{specSelect("a", "b", "a")}, []string{`10:25: select: column "a" is listed twice`}},
		{"dedupe keep", []spec.Step{specDedupe("middle", "id")}, []string{`9:11: dedupe: keep must be first or last, not "middle"`}},
		{"two dedupes", []spec.Step{specDedupe("", "id"), specDedupe("", "id")}, []string{`9:3: dedupe: only one dedupe step is allowed`}},
		{"select drops dedupe key", []spec.Step{specDedupe("", "id", "day"), specSelect("id")}, []string{`9:3: select: dedupe key "day" must be selected`}},
		{"drop removes dedupe key", []spec.Step{specDedupe("", "id"), specRename("id", "key"), specDrop("x", "key")}, []string{`10:15: drop: cannot drop dedupe key "key"`}},
		{"unknown step", []spec.Step{{Pos: at(9, 3), Kind: "explode"}}, []string{`9:3: unknown step "explode"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(pipeline(tt.steps...))
			wantErrors(t, err, tt.want...)
		})
	}
}

// TestBindErrors checks that every reference to a missing column is reported
// where it is written.
func TestBindErrors(t *testing.T) {
	t.Parallel()
	cols := []string{"Order ID", "amount", "Country"}
	tests := []struct {
		name  string
		steps []spec.Step
		want  []string
	}{
		{"cast", []spec.Step{specCast(t, "amount", "double", "total", "double")}, []string{`11:5: column "total" does not exist (columns: order_id, amount, country)`}},
		{"derive reference", []spec.Step{specDerive("x", "amount * rate")}, []string{`10:29: derive x: column "rate" does not exist (columns: order_id, amount, country)`}},
		{"derive uses a later derived column", []spec.Step{specDerive("x", "y", "y", "1")}, []string{`10:20: derive x: column "y" does not exist`}},
		{"filter reference", []spec.Step{specFilter(`contry == "DE"`)}, []string{`9:11: filter: column "contry" does not exist`}},
		{"rename", []spec.Step{specRename("Order Id", "id")}, []string{`10:5: rename: column "Order Id" does not exist (columns: order_id, amount, country)`}},
		{"rename onto an existing name", []spec.Step{specRename("amount", "country")}, []string{`10:5: rename: column "country" already exists`}},
		{"raw name kept for the rename", []spec.Step{specCast(t, "order_id", "bigint"), specRename("Order ID", "id")}, []string{`10:5: column "order_id" does not exist (columns: Order ID, amount, country)`}},
		{"renamed away", []spec.Step{specRename("amount", "total"), specCast(t, "amount", "double")}, []string{`10:5: column "amount" does not exist (columns: order_id, total, country)`}},
		{"select", []spec.Step{specSelect("amount", "nope")}, []string{`10:15: column "nope" does not exist`}},
		{"dropped then used", []spec.Step{specDrop("amount"), specFilter("amount > 0")}, []string{`9:11: filter: column "amount" does not exist (columns: order_id, country)`}},
		{"validate", []spec.Step{specValidate("email", spec.Rule{Kind: "not_null"})}, []string{`10:5: column "email" does not exist`}},
		{"dedupe key", []spec.Step{specDedupe("", "id")}, []string{`10:5: column "id" does not exist`}},
		{"all gathered", []spec.Step{specCast(t, "a", "bigint"), specSelect("b"), specDerive("x", "c + d")}, []string{
			`10:5: column "a" does not exist`,
			`10:5: column "b" does not exist`,
			`10:20: derive x: column "c" does not exist`,
			`10:24: derive x: column "d" does not exist`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := mustCompile(t, tt.steps...).Bind(cols)
			wantErrors(t, err, tt.want...)
		})
	}
}
