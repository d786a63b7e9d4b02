package transform

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

const specFile = "pipelines/orders.yaml"

// at is a position in the test spec file.
func at(line, col int) spec.Pos { return spec.Pos{File: specFile, Line: line, Col: col} }

func pipeline(steps ...spec.Step) *spec.Pipeline {
	return &spec.Pipeline{File: specFile, Name: "orders", Transform: steps}
}

// Step builders: items get positions on consecutive lines starting at line 10,
// column 5, so that tests can assert where an error points.

func specRename(pairs ...string) spec.Step {
	st := spec.Step{Pos: at(9, 3), Kind: "rename"}
	for i := 0; i < len(pairs); i += 2 {
		st.Rename = append(st.Rename, spec.Rename{Pos: at(10+i/2, 5), From: pairs[i], To: pairs[i+1]})
	}
	return st
}

func specCast(t testing.TB, pairs ...string) spec.Step {
	t.Helper()
	st := spec.Step{Pos: at(9, 3), Kind: "cast"}
	for i := 0; i < len(pairs); i += 2 {
		typ, err := record.ParseType(pairs[i+1])
		if err != nil {
			t.Fatal(err)
		}
		st.Cast = append(st.Cast, spec.Cast{Pos: at(10+i/2, 5), Column: pairs[i], Type: typ})
	}
	return st
}

// deriveStep places each expression text at line 10+i, column 20.
func specDerive(pairs ...string) spec.Step {
	st := spec.Step{Pos: at(9, 3), Kind: "derive"}
	for i := 0; i < len(pairs); i += 2 {
		st.Derive = append(st.Derive, spec.Derive{Pos: at(10+i/2, 5), Column: pairs[i],
			Expr: spec.Expr{Pos: at(10+i/2, 20), Text: pairs[i+1]}})
	}
	return st
}

// filterStep places the expression at line 9, column 11.
func specFilter(text string) spec.Step {
	return spec.Step{Pos: at(9, 3), Kind: "filter", Filter: &spec.Expr{Pos: at(9, 11), Text: text}}
}

func specValidate(column string, rules ...spec.Rule) spec.Step {
	for i := range rules {
		rules[i].Pos = at(11+i, 7)
	}
	return spec.Step{Pos: at(9, 3), Kind: "validate", Validate: []spec.ColumnRules{{Pos: at(10, 5), Column: column, Rules: rules}}}
}

func idents(names []string) []spec.Ident {
	out := make([]spec.Ident, len(names))
	for i, n := range names {
		out[i] = spec.Ident{Pos: at(10, 5+10*i), Name: n}
	}
	return out
}

func specSelect(names ...string) spec.Step {
	return spec.Step{Pos: at(9, 3), Kind: "select", Select: idents(names)}
}

func specDrop(names ...string) spec.Step {
	return spec.Step{Pos: at(9, 3), Kind: "drop", Drop: idents(names)}
}

func specDedupe(keep string, keys ...string) spec.Step {
	return spec.Step{Pos: at(9, 3), Kind: "dedupe", Dedupe: &spec.Dedupe{Pos: at(9, 11), Key: idents(keys), Keep: keep}}
}

func mustCompile(t testing.TB, steps ...spec.Step) *Program {
	t.Helper()
	p, err := Compile(pipeline(steps...))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func mustBind(t testing.TB, cols []string, steps ...spec.Step) *Chain {
	t.Helper()
	c, err := mustCompile(t, steps...).Bind(cols)
	if err != nil {
		t.Fatalf("Bind(%q): %v", cols, err)
	}
	return c
}

// result is one Apply, with the output row copied.
type result struct {
	outcome Outcome
	reject  *Reject
	row     []any
}

func apply(c *Chain, in ...any) result {
	var out []any
	o, rej := c.Apply(in, &out)
	return result{outcome: o, reject: rej, row: slices.Clone(out)}
}

func columnNames(c *Chain) []string {
	var names []string
	for _, col := range c.Columns() {
		names = append(names, col.Name)
	}
	return names
}

// specErrors returns err's *spec.Error values as "line:col: msg" strings.
func specErrors(t testing.TB, err error) []string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	errs := spec.Errors(err)
	if len(errs) == 0 {
		t.Fatalf("error %q holds no *spec.Error", err)
	}
	var out []string
	for _, e := range errs {
		if e.Pos.File != specFile {
			t.Errorf("error %q: file %q, want %q", e, e.Pos.File, specFile)
		}
		out = append(out, strings.TrimPrefix(e.Error(), specFile+":"))
	}
	return out
}

// wantErrors checks that each want is contained in the matching error, in order.
func wantErrors(t testing.TB, err error, want ...string) {
	t.Helper()
	got := specErrors(t, err)
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("error %d = %q, want it to contain %q", i, got[i], want[i])
		}
	}
	var se *spec.Error
	if !errors.As(err, &se) {
		t.Error("errors.As(*spec.Error) fails on the joined error")
	}
}
