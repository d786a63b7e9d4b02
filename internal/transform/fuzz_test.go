package transform

import (
	"testing"
)

// FuzzCompile compiles arbitrary expression text as a derive and as a filter;
// neither compiling, binding nor evaluating it on a row may panic.
func FuzzCompile(f *testing.F) {
	f.Add(`amount * 0.92`)
	f.Add(`upper(trim(country))`)
	f.Add(`contains(a, "x") && not contains(b, "y")`)
	f.Add(`let x = a; x ?? $env["b"]`)
	f.Add(`substr(a, -1, 2) + lpad(b, 3, "0")`)
	cols := []string{"a", "b", "amount", "country"}
	row := []any{"x", nil, int64(5), " de "}
	f.Fuzz(func(t *testing.T, text string) {
		for _, st := range []struct {
			kind string
		}{{"derive"}, {"filter"}} {
			steps := specDerive("out", text)
			if st.kind == "filter" {
				steps = specFilter(text)
			}
			p, err := Compile(pipeline(steps))
			if err != nil {
				continue
			}
			c, err := p.Bind(cols)
			if err != nil {
				continue
			}
			var out []any
			c.Apply(row, &out)
		}
	})
}
