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

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const designExample = `version: 1
name: orders
description: Daily orders export from the shop
schedule: cron(0 2 * * ? *)
source:
  path: incoming/orders/
  pattern: "*.csv.gz"
  format: csv
  csv: {delimiter: ",", header: true, quote: '"', null_values: ["", "NULL"], encoding: utf-8}
transform:
  - rename: {"Order ID": order_id, "Total": amount}
  - cast:
      order_id: bigint
      amount: decimal(12,2)
      ordered_at: timestamp('%Y-%m-%d %H:%M:%S')
  - derive: {amount_eur: "amount * 0.92", country: "upper(trim(country))"}
  - filter: "amount > 0"
  - validate: {order_id: [not_null], email: [{regex: '^[^@]+@[^@]+$'}]}
  - dedupe: {key: [order_id], keep: last}
  - select: [order_id, amount, amount_eur, ordered_at, country]
target:
  table: orders
  mode: merge
  key: [order_id]
  schema_evolution: add_columns
quality:
  max_reject_ratio: 0.01
`

func TestDesignExample(t *testing.T) {
	t.Parallel()
	p, err := LoadPipeline("orders.yaml", []byte(designExample), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "orders" || p.Schedule != "cron(0 2 * * ? *)" || p.Source.Pattern != "*.csv.gz" || p.Source.CSV.Encoding != "utf-8" {
		t.Errorf("pipeline: %+v", p)
	}
	if *p.Source.CSV.Header != true || p.Source.CSV.Quote != `"` || !reflect.DeepEqual(p.Source.CSV.NullValues, []string{"", "NULL"}) {
		t.Errorf("csv: %+v", p.Source.CSV)
	}
	kinds := []string{}
	for _, s := range p.Transform {
		kinds = append(kinds, s.Kind)
	}
	if !reflect.DeepEqual(kinds, []string{"rename", "cast", "derive", "filter", "validate", "dedupe", "select"}) {
		t.Errorf("steps %v", kinds)
	}
	if r := p.Transform[0].Rename; len(r) != 2 || r[0].From != "Order ID" || r[0].To != "order_id" || r[1].To != "amount" {
		t.Errorf("rename %+v", r)
	}
	c := p.Transform[1].Cast
	if len(c) != 3 || c[1].Type != (record.Type{Kind: record.KindDecimal, Precision: 12, Scale: 2}) || c[2].Type.Format != "%Y-%m-%d %H:%M:%S" {
		t.Errorf("cast %+v", c)
	}
	if d := p.Transform[2].Derive; len(d) != 2 || d[0].Column != "amount_eur" || d[0].Expr.Text != "amount * 0.92" || d[0].Expr.Pos.Line != 16 {
		t.Errorf("derive %+v", d)
	}
	if v := p.Transform[4].Validate; len(v) != 2 || v[1].Rules[0].Kind != "regex" || v[1].Rules[0].Regex != "^[^@]+@[^@]+$" {
		t.Errorf("validate %+v", v)
	}
	if p.Target.Mode != "merge" || len(p.Target.Key) != 1 || p.Target.Key[0].Name != "order_id" || *p.Quality.MaxRejectRatio != 0.01 {
		t.Errorf("target %+v quality %+v", p.Target, p.Quality)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	p, err := LoadPipeline("dir/my_pipe.yml", []byte("version: 1\nsource: {path: x/}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "my_pipe" || p.Target.Table != "my_pipe" || p.Target.Mode != "append" || p.Target.SchemaEvolution != "add_columns" || p.Source.Pattern != "*" {
		t.Errorf("defaults: %+v", p)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want []string // each "line:col: substring"
	}{
		{"unknown key with suggestion", "version: 1\nsource: {path: x, pattren: '*.csv'}\n", []string{`2:19: unknown key "pattren" in source (did you mean "pattern"?)`}},
		{"unknown top key", "version: 1\nsource: {path: x}\ntarget: {table: t}\nqualty: {}\n", []string{`4:1: unknown key "qualty" in the pipeline (did you mean "quality"?)`}},
		{"missing version", "source: {path: x}\n", []string{`1:1: the pipeline: missing required key "version"`}},
		{"bad version", "version: 2\nsource: {path: x}\n", []string{`1:10: version 2 is not supported`}},
		{"wrong type", "version: 1\nsource:\n  path: x\n  csv: {header: maybe}\n", []string{`4:17: source.csv.header: expected a boolean (true or false), found "maybe"`}},
		{"unknown step", "version: 1\nsource: {path: x}\ntransform:\n  - renmae: {a: b}\n", []string{`4:5: unknown transform step "renmae" (did you mean "rename"?)`}},
		{"bad type", "version: 1\nsource: {path: x}\ntransform:\n  - cast:\n      a: bigintt\n", []string{`5:10: cast a: unknown type "bigintt"`}},
		{"bad strftime", "version: 1\nsource: {path: x}\ntransform:\n  - cast:\n      a: timestamp('%Y-%Q')\n", []string{`5:10: cast a: bad format`}},
		{"flow mapping comma", "version: 1\nsource: {path: x}\ntransform:\n  - cast: {a: decimal(10,2)}\n", []string{`cast a: type "decimal(10": missing closing parenthesis (inside {…} YAML splits at commas`}},
		{"merge without key", "version: 1\nsource: {path: x}\ntarget: {mode: merge}\n", []string{`3:9: target: mode merge needs a key`}},
		{"bad mode", "version: 1\nsource: {path: x}\ntarget: {mode: upsert}\n", []string{`3:16: target.mode: "upsert" is not one of append, replace, merge`}},
		{"bad name", "version: 1\nname: Orders-2\nsource: {path: x}\n", []string{`2:7: pipeline name "Orders-2" must be lowercase`}},
		{"bad schedule", "version: 1\nschedule: cron(0 2 * * * *)\nsource: {path: x}\n", []string{`2:11: schedule: cron(0 2 * * * *): exactly one of day-of-month and day-of-week must be ?`}},
		{"bad rate", "version: 1\nschedule: rate(1 minutes)\nsource: {path: x}\n", []string{`2:11: schedule: rate(1 minutes): write minute for 1`}},
		{"bad rule", "version: 1\nsource: {path: x}\ntransform:\n  - validate: {a: [not_nul]}\n", []string{`4:20: validate a: unknown rule "not_nul"`}},
		{"duplicate key", "version: 1\nsource: {path: x}\nsource: {path: y}\n", []string{`3:1: duplicate key "source"`}},
		{"ratio out of range", "version: 1\nsource: {path: x}\nquality: {max_reject_ratio: 5}\n", []string{`3:29: quality.max_reject_ratio must be from 0 to 1`}},
		{"unset variable", "version: 1\nsource:\n  path: ${NOPE}\n", []string{`3:9: source.path: environment variable NOPE is not set`}},
		{"invalid yaml", "version: 1\nsource: [\n", []string{`invalid YAML`}},
		{"empty", "", []string{`1:1: the file is empty`}},
		{"every problem at once", "version: 1\nsource: {path: x, pattren: y}\ntransform:\n  - frob: {}\n  - cast: {a: nope}\ntarget: {mode: merge}\n",
			[]string{`2:19: unknown key "pattren"`, `4:5: unknown transform step "frob"`, `5:15: cast a: unknown type "nope"`, `6:9: target: mode merge needs a key`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadPipeline("p.yaml", []byte(tt.spec), env(nil))
			if err == nil {
				t.Fatal("no error")
			}
			errs := Errors(err)
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tt.want), err)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tt.want[i]) || !strings.HasPrefix(e.Error(), "p.yaml:") {
					t.Errorf("error %d = %q, want it to contain %q", i, e.Error(), tt.want[i])
				}
			}
		})
	}
}

func TestInterpolate(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{"A": "x", "EMPTY": ""})
	for in, want := range map[string]string{
		"plain": "plain", "${A}": "x", "a${A}b": "axb", "${B:-def}": "def", "${EMPTY:-d}": "d",
		"$$A": "$A", "cost $5": "cost $5", "${A:-}": "x", "${B:-}": "",
	} {
		got, err := Interpolate(in, e)
		if err != nil || got != want {
			t.Errorf("Interpolate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"${B}", "${A", "${1X}"} {
		if _, err := Interpolate(bad, e); err == nil {
			t.Errorf("Interpolate(%q): no error", bad)
		}
	}
}

func TestProject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, err := LoadProject(dir, env(nil))
	if err != nil || p.Database != DefaultDatabase || p.API.MaxRows != 1000 || p.File != "" {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	os.WriteFile(filepath.Join(dir, "sluice.yaml"), []byte("version: 1\ndatabase: ${DB:-sqlite://./x.db}\nstorage: file://./files\napi: {max_rows: 50}\n"), 0o644)
	p, err = LoadProject(dir, env(map[string]string{"SLUICE_STORAGE_URL": "s3://bucket/prefix"}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Database != "sqlite://./x.db" || p.Storage != "s3://bucket/prefix" || p.API.MaxRows != 50 {
		t.Errorf("project: %+v", p)
	}
	if got := p.Resolve(p.Database); got != "sqlite://"+filepath.ToSlash(filepath.Join(dir, "x.db")) {
		t.Errorf("Resolve(database) = %q", got)
	}
	if got := p.Resolve("file://./files"); got != "file://"+filepath.ToSlash(filepath.Join(dir, "files")) {
		t.Errorf("Resolve(storage) = %q", got)
	}
	if got := p.Resolve("postgres://u@h/db"); got != "postgres://u@h/db" {
		t.Errorf("Resolve(postgres) = %q", got)
	}
	os.WriteFile(filepath.Join(dir, "sluice.yaml"), []byte("version: 1\ndatabse: x\napi: {max_rows: 0}\n"), 0o644)
	_, err = LoadProject(dir, env(nil))
	if errs := Errors(err); len(errs) != 2 || !strings.Contains(errs[0].Error(), `sluice.yaml:2:1: unknown key "databse"`) {
		t.Errorf("bad project: %v", err)
	}
}

func TestLoadPipelinesUniqueNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755)
	os.WriteFile(filepath.Join(dir, "pipelines", "a.yaml"), []byte("version: 1\nname: same\nsource: {path: x}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pipelines", "b.yaml"), []byte("version: 1\nname: same\nsource: {path: y}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pipelines", "c.yaml"), []byte("version: 1\nsource: {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pipelines", "notes.txt"), []byte("ignored"), 0o644)
	p, _ := LoadProject(dir, env(nil))
	ps, err := LoadPipelines(p, env(nil))
	errs := Errors(err)
	if len(ps) != 1 || len(errs) != 2 || !strings.Contains(errs[0].Error(), `b.yaml:2:7: pipeline name "same" is already used`) || !strings.Contains(errs[1].Error(), `c.yaml:2:9: source: missing required key "path"`) {
		t.Errorf("got %d pipelines, errors:\n%v", len(ps), err)
	}
	p.Pipelines = "./missing"
	if _, err := LoadPipelines(p, env(nil)); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing folder: %v", err)
	}
}

func TestErrorsUnwrap(t *testing.T) {
	t.Parallel()
	_, err := LoadPipeline("p.yaml", []byte("version: 3\nfoo: 1\n"), env(nil))
	var se *Error
	if !errors.As(err, &se) || se.Pos.Line != 1 {
		t.Errorf("errors.As: %v", err)
	}
}
