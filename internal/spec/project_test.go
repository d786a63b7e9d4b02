package spec

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadProjectDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, err := LoadProject(dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{
		Dir: dir, Version: 1, Database: "sqlite://./sluice.db", Storage: "file://./data", Pipelines: "./pipelines",
		API: API{Addr: "127.0.0.1:8080", MaxRows: 1000, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
}

func TestLoadProject(t *testing.T) {
	t.Parallel()
	full := "version: 1\ndatabase: ${DB:-sqlite://./x.db}\nstorage: file://./files\npipelines: specs\napi:\n  addr: 0.0.0.0:9000\n  max_rows: 50\n"
	tests := []struct {
		name  string
		files map[string]string
		env   map[string]string
		want  Project // Dir and File are filled in by the test
	}{
		{"no file, environment", nil,
			map[string]string{"SLUICE_DATABASE_URL": "postgres://h/db", "SLUICE_STORAGE_URL": "s3://b/p", "SLUICE_PIPELINES": "s3://b/config/"},
			Project{Version: 1, Database: "postgres://h/db", Storage: "s3://b/p", Pipelines: "s3://b/config/", API: API{Addr: DefaultAPIAddr, MaxRows: DefaultMaxRows, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100}}},
		{"file", map[string]string{"sluice.yaml": full}, nil,
			Project{Version: 1, Database: "sqlite://./x.db", Storage: "file://./files", Pipelines: "specs", API: API{Addr: "0.0.0.0:9000", MaxRows: 50, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100}}},
		{"file with .yml", map[string]string{"sluice.yml": full}, nil,
			Project{Version: 1, Database: "sqlite://./x.db", Storage: "file://./files", Pipelines: "specs", API: API{Addr: "0.0.0.0:9000", MaxRows: 50, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100}}},
		{"interpolated", map[string]string{"sluice.yaml": full}, map[string]string{"DB": "mysql://u@h/db"},
			Project{Version: 1, Database: "mysql://u@h/db", Storage: "file://./files", Pipelines: "specs", API: API{Addr: "0.0.0.0:9000", MaxRows: 50, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100}}},
		{"environment wins over the file", map[string]string{"sluice.yaml": full},
			map[string]string{"SLUICE_DATABASE_URL": "postgres://h/db", "SLUICE_STORAGE_URL": "s3://b/p", "SLUICE_PIPELINES": "other"},
			Project{Version: 1, Database: "postgres://h/db", Storage: "s3://b/p", Pipelines: "other", API: API{Addr: "0.0.0.0:9000", MaxRows: 50, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100}}},
		{"empty environment does not override", map[string]string{"sluice.yaml": full}, map[string]string{"SLUICE_DATABASE_URL": ""},
			Project{Version: 1, Database: "sqlite://./x.db", Storage: "file://./files", Pipelines: "specs", API: API{Addr: "0.0.0.0:9000", MaxRows: 50, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100}}},
		{"only version", map[string]string{"sluice.yaml": "version: 1\n"}, nil,
			Project{Version: 1, Database: DefaultDatabase, Storage: DefaultStorage, Pipelines: DefaultPipelines, API: API{Addr: DefaultAPIAddr, MaxRows: DefaultMaxRows, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			p, err := LoadProject(dir, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Dir = dir
			for name := range tt.files {
				want.File = filepath.Join(dir, name)
			}
			if !reflect.DeepEqual(*p, want) {
				t.Errorf("got %+v\nwant %+v", *p, want)
			}
		})
	}
}

func TestLoadProjectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  []string // complete messages; "F" stands for the project file's path
	}{
		{"unknown keys", map[string]string{"sluice.yaml": "version: 1\ndatabse: x\napi: {max_row: 5}\n"}, []string{
			`F:2:1: unknown key "databse" in the project file (did you mean "database"?); known keys: version, database, storage, pipelines, api, alerts`,
			`F:3:7: unknown key "max_row" in api (did you mean "max_rows"?); known keys: addr, max_rows, statement_timeout, rate_limit, rate_burst, cors_origins, jwt`}},
		{"max_rows range", map[string]string{"sluice.yaml": "version: 1\napi: {max_rows: 0}\n"}, []string{
			`F:2:17: api.max_rows must be from 1 to 100000, found 0`}},
		{"max_rows too large", map[string]string{"sluice.yaml": "version: 1\napi:\n  max_rows: 100_001\n"}, []string{
			`F:3:13: api.max_rows must be from 1 to 100000, found 100001`}},
		{"max_rows not an integer", map[string]string{"sluice.yaml": "version: 1\napi:\n  max_rows: 10.5\n"}, []string{
			`F:3:13: api.max_rows: expected an integer, found "10.5"`}},
		{"bad addr", map[string]string{"sluice.yaml": "version: 1\napi: {addr: localhost}\n"}, []string{
			`F:2:13: api.addr: "localhost" is not host:port; write for example 127.0.0.1:8080`}},
		{"version", map[string]string{"sluice.yaml": "version: 2\n"}, []string{
			`F:1:10: version 2 is not supported: write version: 1`}},
		{"missing version", map[string]string{"sluice.yaml": "database: sqlite://./a.db\n"}, []string{
			`F:1:1: the project file: missing required key "version"`}},
		{"empty database", map[string]string{"sluice.yaml": "version: 1\ndatabase:\n"}, []string{
			`F:2:10: database is empty: remove the key to use the default sqlite://./sluice.db`}},
		{"database not a URL", map[string]string{"sluice.yaml": "version: 1\ndatabase: ./sluice.db\n"}, []string{
			`F:2:11: database: "./sluice.db" is not a URL: write sqlite://./sluice.db, postgres://… or mysql://…`}},
		{"unset variable", map[string]string{"sluice.yaml": "version: 1\ndatabase: ${SLUICE_DB_URL}\n"}, []string{
			`F:2:11: database: environment variable SLUICE_DB_URL is not set; set it or write ${SLUICE_DB_URL:-default}`}},
		{"invalid YAML", map[string]string{"sluice.yaml": "version: 1\napi: {addr: x\n"}, []string{
			`F:2: invalid YAML: did not find expected ',' or '}'`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			_, err := LoadProject(dir, env(nil))
			got := errorTexts(t, err)
			for i := range tt.want {
				tt.want[i] = strings.Replace(tt.want[i], "F:", filepath.Join(dir, "sluice.yaml")+":", 1)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadProjectFolderErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"sluice.yaml": "version: 1\n", "sluice.yml": "version: 1\n"})
	if _, err := LoadProject(dir, env(nil)); err == nil || !strings.Contains(err.Error(), "both sluice.yaml and sluice.yml exist in "+dir) {
		t.Errorf("two project files: %v", err)
	}
	missing := filepath.Join(dir, "nope")
	if _, err := LoadProject(missing, env(nil)); err == nil || !strings.Contains(err.Error(), "project folder "+missing+" does not exist") {
		t.Errorf("missing folder: %v", err)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	p := &Project{Dir: "/proj"}
	tests := []struct{ in, want string }{
		{"./x", "/proj/x"},
		{"x", "/proj/x"},
		{"x/../y", "/proj/y"},
		{"/abs/x", "/abs/x"},
		{"file://./data", "file:///proj/data"},
		{"file://data", "file:///proj/data"},
		{"file:///abs/data", "file:///abs/data"},
		{"sqlite://./sluice.db", "sqlite:///proj/sluice.db"},
		{"sqlite://./sluice.db?_busy_timeout=5000", "sqlite:///proj/sluice.db?_busy_timeout=5000"},
		{"sqlite:///var/lib/sluice.db", "sqlite:///var/lib/sluice.db"},
		{"sqlite://:memory:", "sqlite://:memory:"},
		{"s3://bucket/prefix", "s3://bucket/prefix"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"mysql://u@h/db", "mysql://u@h/db"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := p.Resolve(tt.in); got != tt.want {
				t.Errorf("Resolve(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
