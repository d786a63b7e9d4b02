package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/record"
)

// env returns a getenv that reads m.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// mustRead reads a test file.
func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// errorTexts returns the messages of err's *Error values, one per problem.
func errorTexts(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, e := range Errors(err) {
		out = append(out, e.Error())
	}
	if err != nil && len(out) == 0 {
		t.Fatalf("error without *spec.Error: %v", err)
	}
	return out
}

// TestDesignExample decodes the pipeline of DESIGN §2, verbatim with its
// comments, into the complete expected struct.
func TestDesignExample(t *testing.T) {
	t.Parallel()
	const file = "pipelines/orders.yaml"
	p, err := LoadPipeline(file, mustRead(t, "testdata/orders.yaml"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) Pos { return Pos{File: file, Line: line, Col: col} }
	yes, ratio := true, 0.01
	want := &Pipeline{
		File:        file,
		Pos:         at(1, 1),
		Version:     1,
		Name:        "orders",
		Description: "Daily orders export from the shop",
		Schedule:    "cron(0 2 * * ? *)",
		Source: Source{
			Pos:     at(6, 3),
			Path:    "incoming/orders/",
			Pattern: "*.csv.gz",
			Format:  "csv",
			CSV: CSVOptions{
				Delimiter: ",", Header: &yes, Quote: `"`, QuoteSet: true,
				NullValues: []string{"", "NULL"}, Encoding: "utf-8",
			},
		},
		Transform: []Step{
			{Pos: at(11, 5), Kind: "rename", Rename: []Rename{
				{Pos: at(11, 14), From: "Order ID", To: "order_id"},
				{Pos: at(11, 36), From: "Total", To: "amount"},
			}},
			{Pos: at(12, 5), Kind: "cast", Cast: []Cast{
				{Pos: at(13, 7), Column: "order_id", Type: record.Type{Kind: record.KindBigint}},
				{Pos: at(14, 7), Column: "amount", Type: record.Type{Kind: record.KindDecimal, Precision: 12, Scale: 2}},
				{Pos: at(15, 7), Column: "ordered_at", Type: record.Type{Kind: record.KindTimestamp, Format: "%Y-%m-%d %H:%M:%S"}},
			}},
			{Pos: at(16, 5), Kind: "derive", Derive: []Derive{
				{Pos: at(16, 14), Column: "amount_eur", Expr: Expr{Pos: at(16, 27), Text: "amount * 0.92"}},
				{Pos: at(16, 43), Column: "country", Expr: Expr{Pos: at(16, 53), Text: "upper(trim(country))"}},
			}},
			{Pos: at(17, 5), Kind: "filter", Filter: &Expr{Pos: at(17, 14), Text: "amount > 0"}},
			{Pos: at(18, 5), Kind: "validate", Validate: []ColumnRules{
				{Pos: at(18, 16), Column: "order_id", Rules: []Rule{{Pos: at(18, 27), Kind: "not_null"}}},
				{Pos: at(18, 38), Column: "email", Rules: []Rule{{Pos: at(18, 47), Kind: "regex", Regex: "^[^@]+@[^@]+$"}}},
			}},
			{Pos: at(19, 5), Kind: "dedupe", Dedupe: &Dedupe{Pos: at(19, 13), Key: []Ident{{Pos: at(19, 20), Name: "order_id"}}, Keep: "last"}},
			{Pos: at(20, 5), Kind: "select", Select: []Ident{
				{Pos: at(20, 14), Name: "order_id"}, {Pos: at(20, 24), Name: "amount"}, {Pos: at(20, 32), Name: "amount_eur"},
				{Pos: at(20, 44), Name: "ordered_at"}, {Pos: at(20, 56), Name: "country"},
			}},
		},
		Target: Target{
			Pos: at(22, 3), Table: "orders", Mode: "merge",
			Key: []Ident{{Pos: at(24, 9), Name: "order_id"}}, SchemaEvolution: "add_columns",
		},
		Quality: Quality{MaxRejectRatio: &ratio},
		namePos: at(2, 7),
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("decoded:\n%#v\nwant:\n%#v", p, want)
		for i := range min(len(p.Transform), len(want.Transform)) {
			if !reflect.DeepEqual(p.Transform[i], want.Transform[i]) {
				t.Errorf("step %d:\n%+v\nwant:\n%+v", i, p.Transform[i], want.Transform[i])
			}
		}
	}
}

func TestPipelineDefaults(t *testing.T) {
	t.Parallel()
	p, err := LoadPipeline("dir/my_pipe.yml", []byte("version: 1\nsource: {path: x/}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Pipeline{
		File: "dir/my_pipe.yml", Pos: Pos{"dir/my_pipe.yml", 1, 1}, Version: 1, Name: "my_pipe",
		Source:  Source{Pos: Pos{"dir/my_pipe.yml", 2, 9}, Path: "x/", Pattern: "*"},
		Target:  Target{Table: "my_pipe", Mode: "append", SchemaEvolution: "add_columns"},
		namePos: Pos{"dir/my_pipe.yml", 1, 1},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("decoded:\n%+v\nwant:\n%+v", p, want)
	}
}

// TestPipelineValid covers accepted forms that the design example does not use.
func TestPipelineValid(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		name  string
		spec  string
		env   map[string]string
		check func(p *Pipeline) any // returns what is compared with want
		want  any
	}{
		{"tab delimiter as real tab", "version: 1\nsource: {path: x, csv: {delimiter: \"\\t\"}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.Delimiter }, "\t"},
		{"tab delimiter as backslash t", "version: 1\nsource: {path: x, csv: {delimiter: '\\t'}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.Delimiter }, "\t"},
		{"no quoting", "version: 1\nsource: {path: x, csv: {quote: ''}}\n", nil,
			func(p *Pipeline) any { return [2]any{p.Source.CSV.Quote, p.Source.CSV.QuoteSet} }, [2]any{"", true}},
		{"header false", "version: 1\nsource: {path: x, csv: {header: false}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.Header }, &no},
		{"header yes", "version: 1\nsource: {path: x, csv: {header: yes}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.Header }, &yes},
		{"unquoted NULL is text in null_values", "version: 1\nsource: {path: x, csv: {null_values: [NULL, null, ~, n/a]}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.NullValues }, []string{"NULL", "null", "~", "n/a"}},
		{"empty null_values", "version: 1\nsource: {path: x, csv: {null_values: []}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.NullValues }, []string{}},
		{"encoding normalised", "version: 1\nsource: {path: x, csv: {encoding: CP1252}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.Encoding }, "windows-1252"},
		{"latin1", "version: 1\nsource: {path: x, csv: {encoding: iso-8859-1, escape: '\\'}}\n", nil,
			func(p *Pipeline) any { return p.Source.CSV.Encoding + " " + p.Source.CSV.Escape }, `latin-1 \`},
		{"format and compression lowercased", "version: 1\nsource: {path: x, format: JSONL, compression: GZIP}\n", nil,
			func(p *Pipeline) any { return p.Source.Format + " " + p.Source.Compression }, "jsonl gzip"},
		{"doublestar pattern", "version: 1\nsource: {path: x, pattern: '**/{a,b}/[0-9]*.csv'}\n", nil,
			func(p *Pipeline) any { return p.Source.Pattern }, "**/{a,b}/[0-9]*.csv"},
		{"rate schedule", "version: 1\nschedule: rate(1 hour)\nsource: {path: x}\n", nil,
			func(p *Pipeline) any { return p.Schedule }, "rate(1 hour)"},
		{"key as one string", "version: 1\nsource: {path: x}\ntarget: {mode: merge, key: id, schema: raw, schema_evolution: strict}\n", nil,
			func(p *Pipeline) any {
				return [4]any{p.Target.Key[0].Name, p.Target.Key[0].Pos.Col, p.Target.Schema, p.Target.SchemaEvolution}
			}, [4]any{"id", 28, "raw", "strict"}},
		{"interpolated path with a default", "version: 1\nsource:\n  path: ${BUCKET:-s3://b}/in/\n", nil,
			func(p *Pipeline) any { return p.Source.Path }, "s3://b/in/"},
		{"ratio as integer", "version: 1\nsource: {path: x}\nquality: {max_reject_ratio: 1}\n", nil,
			func(p *Pipeline) any { return *p.Quality.MaxRejectRatio }, 1.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := "p.yaml"
			p, err := LoadPipeline(name, []byte(tt.spec), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestPipelineErrors checks each kind of problem: its exact message and its
// file:line:col.
func TestPipelineErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want []string // complete messages, in order
	}{
		// the file
		{"empty file", "", []string{
			`p.yaml:1:1: the file is empty; start it with version: 1`}},
		{"only a comment", "# nothing\n", []string{
			`p.yaml:1:1: the file is empty; start it with version: 1`}},
		{"invalid YAML", "version: 1\nsource: [\n", []string{
			`p.yaml:3: invalid YAML: did not find expected node content`}},
		{"invalid YAML on line 1", "version: [1]]\nsource: {path: x}\n", []string{
			`p.yaml:1: invalid YAML: did not find expected key`}},
		{"invalid YAML, list item in a mapping", "version: 1\n- source\n", []string{
			`p.yaml:2: invalid YAML: did not find expected key`}},
		{"invalid YAML from the scanner", "version: 1\nsource: {path: @x}\n", []string{
			`p.yaml:2: invalid YAML: found character that cannot start any token`}},
		{"two documents", "version: 1\nsource: {path: x}\n---\nversion: 1\n", []string{
			`p.yaml:3:1: a second YAML document starts here: a file holds one document; remove the --- line or move the rest to its own file`}},
		{"not a mapping", "- a\n- b\n", []string{
			`p.yaml:1:1: the pipeline: expected a mapping (key: value lines or {key: value}), found a list`}},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e]\n", []string{
			`p.yaml:1:1: the document expands to more than 200000 values through aliases (*name); use fewer aliases`}},

		// keys
		{"unknown key with suggestion", "version: 1\nsource: {path: x, pattren: '*.csv'}\n", []string{
			`p.yaml:2:19: unknown key "pattren" in source (did you mean "pattern"?); known keys: path, pattern, format, compression, csv`}},
		{"unknown key without suggestion", "version: 1\nsource: {path: x}\nowner: me\n", []string{
			`p.yaml:3:1: unknown key "owner" in the pipeline; known keys: version, name, description, schedule, source, transform, target, quality`}},
		{"unknown csv key", "version: 1\nsource:\n  path: x\n  csv:\n    delimeter: ';'\n", []string{
			`p.yaml:5:5: unknown key "delimeter" in source.csv (did you mean "delimiter"?); known keys: delimiter, header, quote, escape, null_values, encoding`}},
		{"duplicate key", "version: 1\nsource: {path: x}\nsource: {path: y}\n", []string{
			`p.yaml:3:1: duplicate key "source" in the pipeline: keep one of them`}},
		{"missing version", "source: {path: x}\n", []string{
			`p.yaml:1:1: the pipeline: missing required key "version"`}},
		{"missing source", "version: 1\n", []string{
			`p.yaml:1:1: the pipeline: missing required key "source"`}},
		{"missing path", "version: 1\nsource:\n  format: csv\n", []string{
			`p.yaml:3:3: source: missing required key "path"`}},
		{"empty source", "version: 1\nsource:\n", []string{
			`p.yaml:2:8: source: missing required key "path"`}},
		{"merge of a scalar", "version: 1\nsource: {<<: x, path: y}\n", []string{
			`p.yaml:2:14: source: <<: expected a mapping (or a list of them) to merge, found "x"`}},
		{"merge list of scalars", "version: 1\nsource: {<<: [x], path: y}\n", []string{
			`p.yaml:2:15: source: <<: expected a mapping to merge, found "x"`}},
		{"merge brings an unknown key", "version: 1\nbase: &b {path: x, frmat: csv}\nsource: {<<: *b}\n", []string{
			`p.yaml:2:1: unknown key "base" in the pipeline; known keys: version, name, description, schedule, source, transform, target, quality`,
			`p.yaml:2:20: unknown key "frmat" in source (did you mean "format"?); known keys: path, pattern, format, compression, csv`}},
		{"non-scalar key", "version: 1\nsource: {path: x}\n[a]: 1\n", []string{
			`p.yaml:3:1: the pipeline: a key must be a name, found a list`}},

		// types
		{"bad version", "version: 2\nsource: {path: x}\n", []string{
			`p.yaml:1:10: version 2 is not supported: write version: 1`}},
		{"version not a number", "version: one\nsource: {path: x}\n", []string{
			`p.yaml:1:10: version: expected an integer, found "one"`}},
		{"boolean", "version: 1\nsource:\n  path: x\n  csv: {header: maybe}\n", []string{
			`p.yaml:4:17: source.csv.header: expected a boolean, found "maybe" (write true or false)`}},
		{"string given a mapping", "version: 1\nsource: {path: {a: b}}\n", []string{
			`p.yaml:2:16: source.path: expected a string, found a mapping`}},
		{"section given a string", "version: 1\nsource: incoming/\n", []string{
			`p.yaml:2:9: source: expected a mapping (key: value lines or {key: value}), found "incoming/"`}},
		{"number", "version: 1\nsource: {path: x}\nquality: {max_reject_ratio: lots}\n", []string{
			`p.yaml:3:29: quality.max_reject_ratio: expected a number, found "lots"`}},
		{"ratio out of range", "version: 1\nsource: {path: x}\nquality: {max_reject_ratio: 5}\n", []string{
			`p.yaml:3:29: quality.max_reject_ratio must be from 0 to 1 (0.01 is 1%), found 5`}},
		{"ratio NaN", "version: 1\nsource: {path: x}\nquality: {max_reject_ratio: NaN}\n", []string{
			`p.yaml:3:29: quality.max_reject_ratio: expected a number, found "NaN"`}},

		// name
		{"bad name", "version: 1\nname: Orders-2\nsource: {path: x}\n", []string{
			`p.yaml:2:7: pipeline name "Orders-2" must be lowercase letters, digits and _, starting with a letter: write name: orders_2`}},
		{"name starting with a digit", "version: 1\nname: 2024_orders\nsource: {path: x}\n", []string{
			`p.yaml:2:7: pipeline name "2024_orders" must be lowercase letters, digits and _, starting with a letter: write name: p_2024_orders`}},
		{"empty name", "version: 1\nname: ''\nsource: {path: x}\n", []string{
			`p.yaml:2:7: name is empty: remove the key to name the pipeline after its file, or write a name`}},
		{"name too long for a table", "version: 1\nname: " + strings.Repeat("a", 64) + "\nsource: {path: x}\n", []string{
			`p.yaml:2:7: pipeline name "` + strings.Repeat("a", 64) + `" is longer than 63 characters, too long for the table it names: set target.table`}},

		// schedule
		{"schedule cron day fields", "version: 1\nschedule: cron(0 2 * * * *)\nsource: {path: x}\n", []string{
			`p.yaml:2:11: schedule: cron(0 2 * * * *): one of day-of-month and day-of-week must be ? and the other not, as in cron(0 2 * * ? *) or cron(0 2 ? * MON *)`}},
		{"schedule rate unit", "version: 1\nschedule: rate(1 minutes)\nsource: {path: x}\n", []string{
			`p.yaml:2:11: schedule: rate(1 minutes): write rate(1 minute): the unit is singular for 1`}},
		{"schedule neither", "version: 1\nschedule: daily\nsource: {path: x}\n", []string{
			`p.yaml:2:11: schedule: "daily" is not a schedule: write rate(15 minutes) or cron(0 2 * * ? *) (minutes hours day-of-month month day-of-week year)`}},

		// source
		{"empty path", "version: 1\nsource: {path: ''}\n", []string{
			`p.yaml:2:16: source.path is empty: write a folder below the project's storage, as in incoming/orders/, or a full s3:// or file:// URL`}},
		{"unclosed brace in pattern", "version: 1\nsource: {path: x, pattern: '*.{csv,tsv'}\n", []string{
			`p.yaml:2:28: source.pattern: "*.{csv,tsv" has an unclosed '{': add '}'`}},
		{"unopened bracket in pattern", "version: 1\nsource: {path: x, pattern: 'a]'}\n", []string{
			`p.yaml:2:28: source.pattern: "a]" has a ']' without its opening '['`}},
		{"bad format with suggestion", "version: 1\nsource: {path: x, format: jsonn}\n", []string{
			`p.yaml:2:27: source.format: "jsonn" is not one of csv, tsv, jsonl, json, parquet (did you mean "jsonl"?)`}},
		{"bad compression", "version: 1\nsource: {path: x, compression: bz2}\n", []string{
			`p.yaml:2:32: source.compression: "bz2" is not one of gzip, zstd, none`}},
		{"csv options for json", "version: 1\nsource: {path: x, format: json, csv: {header: false}}\n", []string{
			`p.yaml:2:38: source.csv applies to csv and tsv files, but source.format is json: remove it`}},
		{"two-character delimiter", "version: 1\nsource: {path: x, csv: {delimiter: ';;'}}\n", []string{
			`p.yaml:2:36: source.csv.delimiter: expected one character, found ";;"`}},
		{"empty delimiter", "version: 1\nsource: {path: x, csv: {delimiter: ''}}\n", []string{
			`p.yaml:2:36: source.csv.delimiter: expected one character, found ""`}},
		{"delimiter is the quote", "version: 1\nsource: {path: x, csv: {delimiter: '\"'}}\n", []string{
			`p.yaml:2:36: source.csv.delimiter "\"" is also the quote character: set quote: to another one, or to '' for none`}},
		{"two-character quote", "version: 1\nsource: {path: x, csv: {quote: \"''\"}}\n", []string{
			`p.yaml:2:32: source.csv.quote: expected one character, or '' for none, found "''"`}},
		{"null_values not a list", "version: 1\nsource: {path: x, csv: {null_values: NULL}}\n", []string{
			`p.yaml:2:38: source.csv.null_values: expected a list of strings, as in ["", NULL], found "NULL"`}},
		{"bad encoding", "version: 1\nsource: {path: x, csv: {encoding: utf-16}}\n", []string{
			`p.yaml:2:35: source.csv.encoding: "utf-16" is not supported; use utf-8, latin-1 or windows-1252`}},

		// target
		{"merge without key", "version: 1\nsource: {path: x}\ntarget: {mode: merge}\n", []string{
			`p.yaml:3:9: target: mode merge needs a key: add key: [column, …], the columns that identify a row`}},
		{"bad mode", "version: 1\nsource: {path: x}\ntarget: {mode: upsert}\n", []string{
			`p.yaml:3:16: target.mode: "upsert" is not one of append, replace, merge`}},
		{"bad schema evolution", "version: 1\nsource: {path: x}\ntarget: {schema_evolution: add_column}\n", []string{
			`p.yaml:3:28: target.schema_evolution: "add_column" is not one of add_columns, strict (did you mean "add_columns"?)`}},
		{"bad table", "version: 1\nsource: {path: x}\ntarget: {table: my-table}\n", []string{
			`p.yaml:3:17: target.table "my-table" must be letters, digits and _, starting with a letter or _, at most 63 characters`}},
		{"bad schema", "version: 1\nsource: {path: x}\ntarget: {schema: 1raw}\n", []string{
			`p.yaml:3:18: target.schema "1raw" must be letters, digits and _, starting with a letter or _, at most 63 characters`}},
		{"empty key list", "version: 1\nsource: {path: x}\ntarget: {mode: merge, key: []}\n", []string{
			`p.yaml:3:9: target: mode merge needs a key: add key: [column, …], the columns that identify a row`,
			`p.yaml:3:28: target.key: the list is empty; name at least one column`}},
		{"empty key name", "version: 1\nsource: {path: x}\ntarget: {key: [a, '']}\n", []string{
			`p.yaml:3:19: target.key: empty column name`}},

		// interpolation
		{"unset variable", "version: 1\nsource:\n  path: ${NOPE}\n", []string{
			`p.yaml:3:9: source.path: environment variable NOPE is not set; set it or write ${NOPE:-default}`}},
		{"unterminated variable", "version: 1\nsource: {path: x}\ntransform:\n  - filter: a > ${MIN\n", []string{
			`p.yaml:4:13: transform[0].filter: unterminated ${ in "a > ${MIN": close it with } (or write $$ for a literal $)`}},

		// several at once, in position order
		{"every problem at once", "version: 1\ntarget: {mode: merge}\nsource: {path: x, pattren: y}\ntransform:\n  - frob: {}\n  - cast: {a: nope}\nquality: {max_reject_ratio: 2}\n", []string{
			`p.yaml:2:9: target: mode merge needs a key: add key: [column, …], the columns that identify a row`,
			`p.yaml:3:19: unknown key "pattren" in source (did you mean "pattern"?); known keys: path, pattern, format, compression, csv`,
			`p.yaml:5:5: unknown transform step "frob"; steps: rename, cast, derive, filter, validate, dedupe, select, drop`,
			`p.yaml:6:15: cast a: ` + typeError("nope"),
			`p.yaml:7:29: quality.max_reject_ratio must be from 0 to 1 (0.01 is 1%), found 2`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := LoadPipeline("p.yaml", []byte(tt.spec), env(nil))
			if err == nil || p != nil {
				t.Fatalf("got %v, %v; want errors", p, err)
			}
			got := errorTexts(t, err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err.Error() != strings.Join(tt.want, "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestPipelineErrorsUnwrap(t *testing.T) {
	t.Parallel()
	_, err := LoadPipeline("p.yaml", []byte("version: 3\nfoo: 1\n"), env(nil))
	var se *Error
	if !errors.As(err, &se) || se.Pos != (Pos{"p.yaml", 1, 1}) || se.Msg != `the pipeline: missing required key "source"` {
		t.Errorf("errors.As: %v, %+v", err, se)
	}
	if n := len(Errors(err)); n != 3 { // version 3, unknown foo, no source
		t.Errorf("%d errors: %v", n, err)
	}
}

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadPipelines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"pipelines/b.yml":        "version: 1\nname: same\nsource: {path: y}\n",
		"pipelines/a.yaml":       "version: 1\nname: same\nsource: {path: x}\n",
		"pipelines/c.yaml":       "version: 1\nsource: {}\n",
		"pipelines/d.yaml":       "version: 1\nsource: {path: z}\n",
		"pipelines/notes.txt":    "ignored",
		"pipelines/.#d.yaml":     "ignored: editor lock file",
		"pipelines/sub/e.yaml":   "ignored: not in the folder itself",
		"pipelines/old.yaml.bak": "ignored",
		"other/unrelated.yaml":   "ignored",
		"sluice.yaml":            "version: 1\n",
	})
	p, err := LoadProject(dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := LoadPipelines(p, env(nil))
	var names, files []string
	for _, pl := range ps {
		names, files = append(names, pl.Name), append(files, pl.File)
	}
	if want := []string{"same", "d"}; !reflect.DeepEqual(names, want) {
		t.Errorf("pipelines %v, want %v", names, want)
	}
	if want := []string{filepath.Join("pipelines", "a.yaml"), filepath.Join("pipelines", "d.yaml")}; !reflect.DeepEqual(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	want := []string{
		`pipelines/b.yml:2:7: pipeline name "same" is already used by pipelines/a.yaml: give this pipeline another name (names must be unique)`,
		`pipelines/c.yaml:2:9: source: missing required key "path"`,
	}
	if got := errorTexts(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadPipelinesFolders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"specs/x.yaml": "version: 1\nsource: {path: x}\n"})
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"y.yaml": "version: 1\nsource: {path: y}\n"})
	tests := []struct {
		name      string
		pipelines string
		wantFile  string // of the one pipeline, or "" for an error
		wantErr   string
	}{
		{"relative", "specs", filepath.Join("specs", "x.yaml"), ""},
		{"file URL", "file://./specs", filepath.Join("specs", "x.yaml"), ""},
		{"absolute outside the project", outside, filepath.Join(outside, "y.yaml"), ""},
		{"missing", "./nope", "", "pipelines folder " + filepath.Join(dir, "nope") + " does not exist: create it, or set pipelines: in sluice.yaml (or SLUICE_PIPELINES)"},
		{"s3", "s3://bucket/config/", "", "pipelines folder s3://bucket/config/: only a local folder can be read here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &Project{Dir: dir, Pipelines: tt.pipelines}
			ps, err := LoadPipelines(p, env(nil))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(ps) != 1 || ps[0].File != tt.wantFile {
				t.Fatalf("got %v, %v; want %s", ps, err, tt.wantFile)
			}
		})
	}
}

func TestLoadPipelineFiles(t *testing.T) {
	t.Parallel()
	files := []PipelineFile{
		{Name: "s3://b/config/a.yaml", Data: []byte("version: 1\nsource: {path: x}\n")},
		{Name: "s3://b/config/b.yml", Data: []byte("version: 1\nname: a\nsource: {path: y}\n")},
		{Name: "s3://b/config/c.yaml", Data: []byte("version: 1\nsource: {}\n")},
		{Name: "s3://b/config/.#d.yaml", Data: []byte("ignored: editor lock file")},
		{Name: "s3://b/config/notes.txt", Data: []byte("ignored")},
	}
	ps, err := LoadPipelineFiles(files, env(nil))
	if len(ps) != 1 || ps[0].Name != "a" || ps[0].File != "s3://b/config/a.yaml" {
		t.Fatalf("pipelines %+v", ps)
	}
	want := []string{
		`s3://b/config/b.yml:2:7: pipeline name "a" is already used by s3://b/config/a.yaml: give this pipeline another name (names must be unique)`,
		`s3://b/config/c.yaml:2:9: source: missing required key "path"`,
	}
	if got := errorTexts(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ps, _ = CheckPipelineFiles(files, env(nil))
	if len(ps) != 2 || ps[1].File != "s3://b/config/c.yaml" {
		t.Errorf("CheckPipelineFiles returned %d pipelines, want a and the partial c", len(ps))
	}
}
