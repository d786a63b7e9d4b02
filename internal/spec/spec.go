// Package spec reads Sluice's two kinds of files, the project file sluice.yaml and
// the pipeline specs pipelines/<name>.yaml, as DESIGN §2 defines them. Decoding is
// strict: unknown keys, wrong types, unknown steps, bad type names and bad formats
// are reported together, each with its file, line and column.
package spec

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluice-data/sluice/internal/record"
)

// Pos is a position in a spec file. Line and Col are 1-based; zero means unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one problem found in a spec file.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats the problem as file:line:col: message, the form editors and
// terminals turn into links.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf returns an *Error at pos.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Errors returns every *Error in err (which may be joined), in order.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var se *Error
		if errors.As(err, &se) {
			out = append(out, se)
		}
	}
	walk(err)
	return out
}

// Project is a decoded sluice.yaml, after interpolation and environment overrides.
type Project struct {
	Dir       string // directory holding the project file (or the working directory)
	File      string // path of the project file; "" when there is none
	Version   int
	Database  string // database URL: sqlite://…, postgres://…, mysql://…
	Storage   string // storage URL: file://dir or s3://bucket/prefix
	Pipelines string // folder (or URL) of pipeline specs
	API       API
	Alerts    Alerts // alert rules; none by default
}

// API configures the REST API server.
type API struct {
	Addr    string // listen address; default 127.0.0.1:8080
	MaxRows int    // hard cap on one page; default 1000
	// StatementTimeout bounds every query of the API; default 10s.
	StatementTimeout time.Duration
	// RateLimit is the requests a second each key may make (a token bucket of
	// RateBurst); default 50 and 100; 0 turns limits off.
	RateLimit float64
	RateBurst int
	// CORSOrigins are the browser origins allowed to call the API; default none.
	CORSOrigins []string
	// JWT, when Issuer is set, accepts bearer JWTs beside API keys.
	JWT JWT
}

// JWT configures tokens from an OIDC issuer. SLUICE_JWT_ISSUER,
// SLUICE_JWT_AUDIENCE, SLUICE_JWT_JWKS_URL and SLUICE_JWT_SCOPES_CLAIM override it.
type JWT struct {
	Issuer      string
	Audience    string
	JWKSURL     string
	ScopesClaim string // default scope
}

// Pipeline is a decoded pipeline spec.
type Pipeline struct {
	File        string // path of the spec file
	Pos         Pos    // position of the document
	Version     int
	Name        string
	Description string
	Schedule    string
	Source      Source
	Transform   []Step
	Target      Target
	Quality     Quality

	namePos Pos // where the name is set (or the document)
}

// Source says where the input files are and how to decode them.
type Source struct {
	Pos         Pos
	Path        string // relative to the project's storage, or a full URL
	Pattern     string // glob on the key below Path; ** allowed; default "*"
	Format      string // csv | tsv | jsonl | json | parquet; "" means from the file extension
	Compression string // gzip | zstd | none; "" means from the file extension
	CSV         CSVOptions
}

// CSVOptions configures the CSV and TSV readers. The zero value means the defaults
// shown on each field.
type CSVOptions struct {
	Delimiter  string   // one character; default "," (TSV: tab)
	Header     *bool    // default true
	Quote      string   // one character; default `"`; "" in the file disables quoting
	Escape     string   // one character that escapes the next one inside quotes; default none (a doubled quote escapes)
	NullValues []string // values read as NULL; default [""]
	Encoding   string   // utf-8 (default), latin-1, windows-1252
	QuoteSet   bool     // whether quote was given explicitly (so "" disables quoting)
}

// Step is one transform step. Exactly one of its fields is set; Kind names it.
type Step struct {
	Pos      Pos
	Kind     string // rename | cast | derive | filter | validate | dedupe | select | drop
	Rename   []Rename
	Cast     []Cast
	Derive   []Derive
	Filter   *Expr
	Validate []ColumnRules
	Dedupe   *Dedupe
	Select   []Ident
	Drop     []Ident
}

// Ident is a column name with its position.
type Ident struct {
	Pos  Pos
	Name string
}

// Rename renames column From to To.
type Rename struct {
	Pos  Pos
	From string
	To   string
}

// Cast converts Column to Type; a value that does not convert is a reject.
type Cast struct {
	Pos    Pos
	Column string
	Type   record.Type
}

// Expr is an expression in the derive/filter language.
type Expr struct {
	Pos  Pos // position of the expression text
	Text string
}

// Derive computes Column from an expression.
type Derive struct {
	Pos    Pos // position of the column name
	Column string
	Expr   Expr
}

// ColumnRules are the validation rules of one column.
type ColumnRules struct {
	Pos    Pos
	Column string
	Rules  []Rule
}

// Rule is one validation rule: not_null, unique, regex, min, max or one_of.
type Rule struct {
	Pos   Pos
	Kind  string
	Regex string // regex
	Bound any    // min, max: int64, float64 or string (dates and text compare as text)
	OneOf []any  // one_of: scalar values
}

// Dedupe keeps one row per key.
type Dedupe struct {
	Pos  Pos
	Key  []Ident
	Keep string // first | last (default last)
}

// Target says where rows go and how they are applied.
type Target struct {
	Pos             Pos
	Table           string
	Schema          string // database schema (PostgreSQL); "" means the sink's default
	Mode            string // append (default) | replace | merge
	Key             []Ident
	SchemaEvolution string // add_columns (default) | strict
}

// Quality sets the limits that fail a run.
type Quality struct {
	MaxRejectRatio *float64 // default: no limit
}

// Default timing values used when a file does not set them.
const (
	DefaultAPIAddr  = "127.0.0.1:8080"
	DefaultMaxRows  = 1000
	DefaultLockWait = 30 * time.Second
)
