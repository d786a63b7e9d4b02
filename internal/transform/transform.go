// Package transform compiles a pipeline's transform steps once per run and applies
// them to each record: rename, cast, derive, filter, validate, select and drop run
// row by row; dedupe is declared here and applied by the sink over the whole run's
// staged rows, so that memory stays bounded.
//
// # Columns
//
// Source column names are normalised to snake_case (Normalize) unless a rename
// step names the source column as written; duplicates get _2, _3 suffixes. Each
// step sees the columns as the steps before it left them, and a name that does
// not exist there is a Bind error at the position where it is written.
//
// # Expressions
//
// derive and filter use the expr language (github.com/expr-lang/expr): literals,
// arithmetic, comparison, `and`/`or`/`not`, `a ? b : c`, `a ?? b`, `let`, member
// access into JSON columns (`doc.items[0].price`) and expr's builtins (len,
// map, filter, …). A column is referenced by its name; a column whose name is
// not an identifier, or is an operator word such as `in`, is `$env["in"]`.
// Columns named like a function (year, length, date, …) still read the column
// when not called.
//
// Values appear as bigint (int64), double (float64; decimals too), text, boolean,
// timestamp (time.Time, UTC) and JSON documents decoded into maps and slices.
// Results are stored as the matching record values; maps and slices become json,
// and a non-finite double (1/0) rejects the row.
//
// Null handling: the library functions below return null when an argument is
// null, except coalesce, nullif, is_null, if_null, concat (which skips nulls, as
// PostgreSQL's does), least and greatest (which ignore them). Arithmetic or an
// ordering comparison on a null is an error, and an expression error rejects
// the row (with the derived column, or "" for a filter); use `x ?? 0`,
// coalesce or `x != nil && …` where nulls are expected. A filter that gives
// false or null drops the row (Filtered); any other non-boolean rejects it.
//
// Functions (text arguments take the text form of any scalar; positions are
// 1-based and count characters; date arguments take dates, timestamps or ISO 8601
// text):
//
//	text     upper lower trim ltrim rtrim length substr(s, start[, len])
//	         replace(s, old, new) concat(…) contains starts_with ends_with
//	         lpad/rpad(s, n[, pad]) split_part(s, sep, n) regex_match(s, re)
//	         regex_replace(s, re, repl)
//	numbers  abs round(x[, digits]) floor ceil to_number(x) to_int(x)
//	         least(…) greatest(…)
//	dates    now() today() year month day hour minute second
//	         date_trunc(unit, t) add_days(t, n) days_between(a, b)
//	         parse_date(s[, fmt]) parse_timestamp(s[, fmt]) format_time(t, fmt)
//	nulls    coalesce(…) nullif(a, b) is_null(x) if_null(x, default)
//
// upper, lower, trim, abs, round, floor, ceil, replace, concat and now replace
// expr's builtins of the same name, so that they are null-tolerant and behave
// as documented here. now() and today() are the run's start time (UTC), the same
// for every row of a run. round rounds half away from zero on the decimal text
// of the number (round(2.675, 2) is 2.68). Constant regexes, formats and
// date_trunc units are checked when the spec is compiled.
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
