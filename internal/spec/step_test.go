package spec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/timefmt"
)

// typeError is record.ParseType's message for s, which a cast error carries.
func typeError(s string) string {
	if _, err := record.ParseType(s); err != nil {
		return err.Error()
	}
	panic("record.ParseType accepts " + s)
}

// timeFormatError is timefmt.Compile's message for format, which a cast error
// carries.
func timeFormatError(format string) string {
	if _, err := timefmt.Compile(format); err != nil {
		return err.Error()
	}
	panic("timefmt.Compile accepts " + format)
}

// TestStepsValid covers the forms of transform steps and rules.
func TestStepsValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spec  string
		env   map[string]string
		check func(p *Pipeline) any // returns what is compared with want
		want  any
	}{
		{"dedupe key string keep first", "version: 1\nsource: {path: x}\ntransform:\n  - dedupe: {key: id, keep: first}\n", nil,
			func(p *Pipeline) any { return *p.Transform[0].Dedupe }, Dedupe{Pos: Pos{"p.yaml", 4, 13}, Key: []Ident{{Pos{"p.yaml", 4, 19}, "id"}}, Keep: "first"}},
		{"drop", "version: 1\nsource: {path: x}\ntransform:\n  - drop: [a, b]\n", nil,
			func(p *Pipeline) any { return p.Transform[0] }, Step{Pos: Pos{"p.yaml", 4, 5}, Kind: "drop", Drop: []Ident{{Pos{"p.yaml", 4, 12}, "a"}, {Pos{"p.yaml", 4, 15}, "b"}}}},
		{"rule values typed", "version: 1\nsource: {path: x}\ntransform:\n  - validate:\n      a: [{min: 0}, {max: 9.5}, unique]\n      b: [{one_of: [1, 2.5, true, x, '3']}, {min: 2024-01-01}]\n", nil,
			func(p *Pipeline) any {
				v := p.Transform[0].Validate
				return []any{v[0].Rules[0].Bound, v[0].Rules[1].Bound, v[0].Rules[2].Kind, v[1].Rules[0].OneOf, v[1].Rules[1].Bound}
			}, []any{int64(0), 9.5, "unique", []any{int64(1), 2.5, true, "x", "3"}, "2024-01-01"}},
		{"plain scalar typed again after interpolation", "version: 1\nsource: {path: x}\ntransform:\n  - validate:\n      a:\n        - min: '${MIN}'\n        - max: ${MAX:-10}\n", map[string]string{"MIN": "5"},
			func(p *Pipeline) any {
				r := p.Transform[0].Validate[0].Rules
				return []any{r[0].Bound, r[1].Bound}
			}, []any{"5", int64(10)}},
		{"block scalar expression", "version: 1\nsource: {path: x}\ntransform:\n  - derive:\n      a: |\n        b +\n        c\n", nil,
			func(p *Pipeline) any { return p.Transform[0].Derive[0].Expr }, Expr{Pos: Pos{"p.yaml", 5, 10}, Text: "b +\nc\n"}},
		{"single-quoted expression starts after the quote", "version: 1\nsource: {path: x}\ntransform:\n  - filter: 'a > 1'\n", nil,
			func(p *Pipeline) any { return p.Transform[0].Filter.Pos }, Pos{"p.yaml", 4, 14}},
		{"merge keys", "version: 1\nsource: {path: x}\ntransform:\n  - cast: &types {a: bigint, b: text}\n  - cast: {<<: *types, b: json}\n", nil,
			func(p *Pipeline) any {
				c := p.Transform[1].Cast
				return []any{c[0].Column, c[0].Type.Kind, c[1].Column, c[1].Type.Kind}
			}, []any{"a", record.KindBigint, "b", record.KindJSON}},
		{"aliases", "version: 1\nsource: {path: x}\ntransform:\n  - select: &cols [a, b]\n  - drop: *cols\n", nil,
			func(p *Pipeline) any { return len(p.Transform[1].Drop) }, 2},
		{"empty optional sections", "version: 1\nsource: {path: x}\ntransform:\ntarget:\nquality:\n", nil,
			func(p *Pipeline) any {
				return [3]any{len(p.Transform), p.Target.Table, p.Quality.MaxRejectRatio == nil}
			}, [3]any{0, "p", true}},
		{"dollar escape", "version: 1\nsource: {path: x}\ntransform:\n  - filter: price != '$$5' and code =~ '^a$'\n", nil,
			func(p *Pipeline) any { return p.Transform[0].Filter.Text }, "price != '$5' and code =~ '^a$'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := LoadPipeline("p.yaml", []byte(tt.spec), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestStepErrors checks each kind of problem in transform steps: its exact
// message and its file:line:col.
func TestStepErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want []string // complete messages, in order
	}{
		{"transform not a list", "version: 1\nsource: {path: x}\ntransform: {rename: {a: b}}\n", []string{
			`p.yaml:3:12: transform: expected a list of steps (- rename: …), found a mapping`}},
		{"unknown step", "version: 1\nsource: {path: x}\ntransform:\n  - renmae: {a: b}\n", []string{
			`p.yaml:4:5: unknown transform step "renmae" (did you mean "rename"?); steps: rename, cast, derive, filter, validate, dedupe, select, drop`}},
		{"step with two keys", "version: 1\nsource: {path: x}\ntransform:\n  - cast:\n    a: bigint\n", []string{
			`p.yaml:4:5: transform: a step has one key, found 2 (cast, a): start each step with its own -, and indent a step's columns below it`}},
		{"step not a mapping", "version: 1\nsource: {path: x}\ntransform:\n  - rename\n", []string{
			`p.yaml:4:5: transform: expected a step, a mapping with one key (rename, cast, derive, filter, validate, dedupe, select, drop), found "rename"`}},
		{"rename to nothing", "version: 1\nsource: {path: x}\ntransform:\n  - rename: {a: ''}\n", []string{
			`p.yaml:4:17: rename a: the new name is empty`}},
		{"rename empty column", "version: 1\nsource: {path: x}\ntransform:\n  - rename: {'': b}\n", []string{
			`p.yaml:4:14: rename: empty column name`}},
		{"rename duplicate column", "version: 1\nsource: {path: x}\ntransform:\n  - rename: {a: b, a: c}\n", []string{
			`p.yaml:4:20: duplicate key "a" in rename: keep one of them`}},
		{"rename empty", "version: 1\nsource: {path: x}\ntransform:\n  - rename: {}\n", []string{
			`p.yaml:4:13: rename: the mapping is empty; name at least one column`}},
		{"bad type", "version: 1\nsource: {path: x}\ntransform:\n  - cast:\n      a: bigintt\n", []string{
			`p.yaml:5:10: cast a: ` + typeError("bigintt")}},
		{"empty type", "version: 1\nsource: {path: x}\ntransform:\n  - cast: {a: }\n", []string{
			`p.yaml:4:15: cast a: the type is empty; write one of text, bigint, integer, double, decimal(p,s), boolean, date, timestamp, timestamptz, json`}},
		{"bad strftime", "version: 1\nsource: {path: x}\ntransform:\n  - cast:\n      a: timestamp('%Y-%Q')\n", []string{
			`p.yaml:5:10: cast a: ` + timeFormatError("%Y-%Q")}},
		{"decimal split by a flow mapping", "version: 1\nsource: {path: x}\ntransform:\n  - cast: {a: decimal(10,2), b: decimal(12,2)}\n", []string{
			`p.yaml:4:15: cast a: ` + typeError("decimal(10") + ` (inside {…} YAML splits at commas: quote the type, as in amount: "decimal(12,2)")`,
			`p.yaml:4:33: cast b: ` + typeError("decimal(12") + ` (inside {…} YAML splits at commas: quote the type, as in amount: "decimal(12,2)")`}},
		{"empty derive", "version: 1\nsource: {path: x}\ntransform:\n  - derive: {a: ' '}\n", []string{
			`p.yaml:4:17: derive a: the expression is empty`}},
		{"derive not a mapping", "version: 1\nsource: {path: x}\ntransform:\n  - derive: [a]\n", []string{
			`p.yaml:4:13: derive: expected a mapping of column: value, found a list`}},
		{"empty filter", "version: 1\nsource: {path: x}\ntransform:\n  - filter:\n", []string{
			`p.yaml:4:12: filter: the expression is empty`}},
		{"filter given a list", "version: 1\nsource: {path: x}\ntransform:\n  - filter: [a > 1]\n", []string{
			`p.yaml:4:13: filter: expected an expression, found a list`}},
		{"rules not a list", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: not_null}\n", []string{
			`p.yaml:4:19: validate a: expected a list of rules, as in a: [not_null, {regex: '^[A-Z]'}], found "not_null"`}},
		{"unknown rule", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [not_nul]}\n", []string{
			`p.yaml:4:20: validate a: unknown rule "not_nul" (did you mean "not_null"?); a rule is not_null, unique, {regex: '…'}, {min: n}, {max: n} or {one_of: [a, b]}`}},
		{"unknown rule key", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{regexp: x}]}\n", []string{
			`p.yaml:4:21: validate a: unknown rule "regexp" (did you mean "regex"?); a rule is not_null, unique, {regex: '…'}, {min: n}, {max: n} or {one_of: [a, b]}`}},
		{"rule with two keys", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{min: 1, max: 2}]}\n", []string{
			`p.yaml:4:20: validate a: a rule has one key; write each rule as its own item, as in [{min: 1}, {max: 9}]`}},
		{"rule without value", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [regex]}\n", []string{
			`p.yaml:4:20: validate a: the rule regex needs a value, as in {regex: …}`}},
		{"bad regex", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{regex: 'a('}]}\n", []string{
			`p.yaml:4:28: validate a regex: invalid regular expression: missing closing ): ` + "`a(`"}},
		{"bound is a boolean", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{min: true}]}\n", []string{
			`p.yaml:4:26: validate a min: expected a number, a date or text, found "true"`}},
		{"bound is null", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{max: null}]}\n", []string{
			`p.yaml:4:26: validate a max: expected a value, found "null" (quote it, as in 'null', to mean the text)`}},
		{"bound infinite", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{max: .inf}]}\n", []string{
			`p.yaml:4:26: validate a max: expected a finite number, found ".inf"`}},
		{"one_of empty", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{one_of: []}]}\n", []string{
			`p.yaml:4:29: validate a one_of: expected a list of values, as in [a, b], found a list`}},
		{"one_of with a list inside", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [{one_of: [x, [y]]}]}\n", []string{
			`p.yaml:4:33: validate a one_of: expected a value (a number, a date or text), found a list`}},
		{"dedupe without key", "version: 1\nsource: {path: x}\ntransform:\n  - dedupe: {keep: first}\n", []string{
			`p.yaml:4:13: dedupe: missing required key "key"`}},
		{"dedupe keep", "version: 1\nsource: {path: x}\ntransform:\n  - dedupe: {key: id, keep: latest}\n", []string{
			`p.yaml:4:29: dedupe.keep: "latest" is not one of first, last (did you mean "last"?)`}},
		{"select a string", "version: 1\nsource: {path: x}\ntransform:\n  - select: a, b\n", []string{
			`p.yaml:4:13: select: expected a list of column names, as in [a, b], found "a, b"`}},
		{"drop empty name", "version: 1\nsource: {path: x}\ntransform:\n  - drop: [a, '']\n", []string{
			`p.yaml:4:15: drop: empty column name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := LoadPipeline("p.yaml", []byte(tt.spec), env(nil))
			if err == nil || p != nil {
				t.Fatalf("got %v, %v; want errors", p, err)
			}
			if got := errorTexts(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
