// Package transform compiles a pipeline's transform steps once per run and applies
// them to each record: rename, cast, derive, filter, validate, select and drop run
// row by row; dedupe is declared here and applied by the sink over the whole run's
// staged rows, so that memory stays bounded.
package transform

import (
	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// Outcome says what happened to one row.
type Outcome uint8

// The outcomes of Chain.Apply.
const (
	Kept     Outcome = iota // the row goes on to the sink
	Filtered                // a filter step dropped it
	Rejected                // a cast, expression or validation failed; see Reject
)

// Reject explains why a row was rejected.
type Reject struct {
	Column string // column concerned ("" for a filter expression error)
	Reason string // for a human: "cannot cast \"abc\" to bigint", "regex ^a$ does not match", …
	Value  string // the offending value as text ("" for NULL)
}

// Dedupe is the run-level deduplication the sink applies to staged rows: keep one
// row per Key (output column names), the first or the last in input order.
type Dedupe struct {
	Key  []string
	Keep string // "first" or "last"
}

// Program is a pipeline's compiled transform. It is compiled once per run, holds
// the run's state (the values seen by unique rules) and is not safe for
// concurrent use.
type Program struct {
	prog *program
}

// Compile compiles the pipeline's steps. Every problem (an expression that does not
// compile, a regex that does not parse, a dedupe key removed by a later step) is
// reported, as *spec.Error values joined with errors.Join.
func Compile(p *spec.Pipeline) (*Program, error) {
	prog, err := compile(p)
	if err != nil {
		return nil, err
	}
	return &Program{prog: prog}, nil
}

// Dedupe returns the run-level deduplication, or nil when the spec has none.
func (p *Program) Dedupe() *Dedupe { return p.prog.dedupe() }

// Bind prepares the program for records with the given source column names (as
// the reader reports them, before normalisation). Source names are normalised to
// snake_case unless a rename step names them. Bind fails when a step refers to a
// column that the input does not have, naming the step's position and the column.
// Chains bound from one Program share its unique-rule state.
func (p *Program) Bind(sourceColumns []string) (*Chain, error) {
	return p.prog.bind(sourceColumns)
}

// Chain applies a bound program to rows.
type Chain struct {
	chain *chain
}

// Columns returns the output columns in order. A column's type is known when a
// cast or a typed expression fixes it, and KindUnknown when it must be inferred
// from the data.
func (c *Chain) Columns() []record.Column { return c.chain.columns() }

// Apply runs the row-level steps over in (aligned with the bound source columns;
// missing trailing values are NULL) and writes the output row, aligned with
// Columns(), into out (reusing its storage). On Rejected it returns the reason.
// Apply never retains in or *out.
func (c *Chain) Apply(in []any, out *[]any) (Outcome, *Reject) {
	return c.chain.apply(in, out)
}

// Normalize returns a source column name in snake_case: "Order ID" → order_id,
// "orderDate" → order_date, "Total (EUR)" → total_eur.
func Normalize(name string) string { return normalize(name) }
