// Package sinktest is the conformance suite every sink runs: the golden
// end-to-end cases under testdata/golden, each a small project (pipelines, input
// files and a script of runs) with the expected runs, rejects and table contents
// in expected.txt. SQLite, PostgreSQL and MySQL must produce the same file.
package sinktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// Sink is a database under test.
type Sink struct {
	// Open returns a fresh, empty database for one test; the test cleans it up.
	Open func(t testing.TB) sink.DB
	// FromSQL converts a value read with database/sql back to its Go form.
	FromSQL func(v any, t record.Type) (any, error)
	// Quote quotes an identifier.
	Quote func(id string) string
}

// step is one line of a case's steps.yaml.
type step struct {
	Run         []string          `yaml:"run"`          // pipelines to run; empty: all
	FullRefresh bool              `yaml:"full_refresh"` // with run
	Copy        map[string]string `yaml:"copy"`         // from (case dir) → to (project dir)
	Write       map[string]string `yaml:"write"`        // path → content
	Touch       string            `yaml:"touch"`        // change a file's mtime, not its bytes
	Remove      string            `yaml:"remove"`
}

// RunGolden runs every case under dir (testdata/golden) against the sink. With
// update, it rewrites each case's expected.txt instead of comparing.
func RunGolden(t *testing.T, s Sink, dir string, update bool) {
	cases, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			runCase(t, s, filepath.Join(dir, c.Name()), update)
		})
	}
}

func runCase(t *testing.T, s Sink, caseDir string, update bool) {
	ctx := context.Background()
	work := t.TempDir()
	for _, sub := range []string{"pipelines", "data"} {
		if err := os.CopyFS(filepath.Join(work, sub), os.DirFS(filepath.Join(caseDir, sub))); err != nil && !os.IsNotExist(err) {
			t.Fatalf("copying %s: %v", sub, err)
		}
	}
	os.MkdirAll(filepath.Join(work, "data"), 0o755)
	steps := []step{{}}
	if b, err := os.ReadFile(filepath.Join(caseDir, "steps.yaml")); err == nil {
		steps = nil
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&steps); err != nil {
			t.Fatalf("steps.yaml: %v", err)
		}
	}
	proj := &spec.Project{Dir: work, Storage: source.FileURL(filepath.Join(work, "data")), Pipelines: filepath.Join(work, "pipelines")}
	getenv := func(string) string { return "" }
	pipelines, err := spec.LoadPipelines(proj, getenv)
	if err != nil {
		t.Fatalf("loading pipelines: %v", err)
	}
	db := s.Open(t)
	eng := &engine.Engine{DB: db, Storage: source.NewRouter(), StorageURL: proj.Storage, SampleRows: 3, BatchRows: 4}
	var out bytes.Buffer
	var runIDs []string
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, st := range steps {
		switch {
		case st.Copy != nil:
			for from, to := range st.Copy {
				b, err := os.ReadFile(filepath.Join(caseDir, from))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(work, to), b)
			}
		case st.Write != nil:
			for p, content := range st.Write {
				writeFile(t, filepath.Join(work, p), []byte(content))
			}
		case st.Touch != "":
			clock = clock.Add(time.Hour)
			if err := os.Chtimes(filepath.Join(work, st.Touch), clock, clock); err != nil {
				t.Fatal(err)
			}
		case st.Remove != "":
			if err := os.Remove(filepath.Join(work, st.Remove)); err != nil {
				t.Fatal(err)
			}
		default:
			for _, p := range pipelines {
				if len(st.Run) > 0 && !slices.Contains(st.Run, p.Name) {
					continue
				}
				res, err := eng.Run(ctx, p, engine.Options{FullRefresh: st.FullRefresh})
				fmt.Fprintf(&out, "== step %d: run %s\n", i+1, p.Name)
				writeRun(t, &out, work, res, err)
				if res != nil {
					runIDs = append(runIDs, res.ID)
				}
				ledger, lerr := ledgerSize(ctx, db, p.Name)
				if lerr != nil {
					t.Fatal(lerr)
				}
				fmt.Fprintf(&out, "ledger: %d file(s)\n", ledger)
			}
		}
	}
	dumpTables(t, ctx, s, db, &out)
	got := strings.ReplaceAll(out.String(), work, "$WORK")
	for i, id := range runIDs {
		got = strings.ReplaceAll(got, id, fmt.Sprintf("$RUN%d", i+1))
	}
	expectedPath := filepath.Join(caseDir, "expected.txt")
	if update {
		if err := os.WriteFile(expectedPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(expectedPath)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", expectedPath, diff(string(want), got))
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeRun(t *testing.T, out *bytes.Buffer, work string, res *engine.Result, err error) {
	t.Helper()
	if res == nil {
		fmt.Fprintf(out, "error: %v\n", err)
		return
	}
	fmt.Fprintf(out, "status: %s\n", res.Status)
	fmt.Fprintf(out, "files: %d read: %d loaded: %d inserted: %d updated: %d rejected: %d filtered: %d\n",
		res.Files, res.RowsRead, res.RowsLoaded, res.RowsInserted, res.RowsUpdated, res.RowsRejected, res.RowsFiltered)
	if res.Status != catalog.StatusFailed && res.RowsRead != res.RowsLoaded+res.RowsRejected+res.RowsFiltered {
		t.Errorf("run %s: counts do not reconcile: read %d != loaded %d + rejected %d + filtered %d",
			res.Pipeline, res.RowsRead, res.RowsLoaded, res.RowsRejected, res.RowsFiltered)
	}
	if res.Message != "" {
		fmt.Fprintf(out, "message: %s\n", res.Message)
	}
	if res.Error != "" {
		fmt.Fprintf(out, "error: %s\n", res.Error)
	}
	if res.RejectsURL == "" {
		return
	}
	path, perr := source.PathOf(res.RejectsURL)
	if perr != nil {
		t.Fatal(perr)
	}
	b, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatalf("reading rejects: %v", rerr)
	}
	fmt.Fprintln(out, "rejects:")
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rj map[string]any
		if err := json.Unmarshal([]byte(line), &rj); err != nil {
			t.Fatalf("bad reject line %q: %v", line, err)
		}
		if rj["run_id"] != res.ID || rj["pipeline"] != res.Pipeline {
			t.Errorf("reject line has run_id %v pipeline %v, want %s %s", rj["run_id"], rj["pipeline"], res.ID, res.Pipeline)
		}
		delete(rj, "run_id")
		delete(rj, "pipeline")
		rj["file"] = strings.TrimPrefix(fmt.Sprint(rj["file"]), source.FileURL(filepath.Join(work, "data"))+"/")
		b, _ := json.Marshal(rj)
		fmt.Fprintf(out, "  %s\n", b)
	}
}

func ledgerSize(ctx context.Context, db sink.DB, pipeline string) (int, error) {
	cat := db.Catalog()
	l, err := cat.Ledger(ctx, cat.DB(), pipeline)
	return len(l), err
}

// dumpTables prints every dataset: its catalog entry and its rows, sorted.
func dumpTables(t *testing.T, ctx context.Context, s Sink, db sink.DB, out *bytes.Buffer) {
	cat := db.Catalog()
	dss, err := cat.Datasets(ctx, cat.DB())
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range dss {
		fmt.Fprintf(out, "== table %s (key: %s, rows: %d)\n", ds.Name, strings.Join(ds.Key, ", "), ds.RowCount)
		var cols, quoted []string
		types := make([]record.Type, len(ds.Columns))
		for i, c := range ds.Columns {
			cols = append(cols, c.Name+" "+c.Type)
			quoted = append(quoted, s.Quote(c.Name))
			if types[i], err = record.ParseType(c.Type); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(out, "columns: %s\n", strings.Join(cols, ", "))
		table := s.Quote(ds.Name)
		if ds.Schema != "" {
			table = s.Quote(ds.Schema) + "." + table
		}
		rows, err := cat.DB().QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(quoted, ", "), table))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			n++
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			cells := make([]string, len(vals))
			for i, v := range vals {
				x, err := s.FromSQL(v, types[i])
				if err != nil {
					t.Fatalf("table %s column %s: %v", ds.Name, ds.Columns[i].Name, err)
				}
				cells[i] = render(x)
			}
			lines = append(lines, strings.Join(cells, " | "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if int64(n) != ds.RowCount {
			t.Errorf("table %s has %d rows, catalog says %d", ds.Name, n, ds.RowCount)
		}
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Fprintf(out, "  %s\n", l)
		}
	}
}

// render prints a value canonically, the same for every database.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(x)
	case record.JSON:
		var a any
		if err := json.Unmarshal(x, &a); err != nil {
			return "json!" + string(x)
		}
		b, _ := json.Marshal(a)
		return string(b)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.UTC().Format("2006-01-02T00:00:00Z")
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	return record.String(v)
}

// diff shows the first differing lines of two texts.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
