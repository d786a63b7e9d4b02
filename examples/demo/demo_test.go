package demo_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/examples/demo"
	"github.com/sluice-data/sluice/examples/demo/internal/datagen"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/spec"
)

// maxEmbedded bounds what the demo adds to the binary.
const maxEmbedded = 300 << 10

// readTree returns every file below root, by slash-separated relative path.
func readTree(t *testing.T, fsys fs.FS) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		files[p] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func gunzip(t *testing.T, name string, data []byte) ([]byte, *gzip.Header) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out, &zr.Header
}

// TestDataIsGenerated checks that examples/demo/data is exactly what the
// generator writes, so the demo data stays reproducible and reviewable.
func TestDataIsGenerated(t *testing.T) {
	dir := t.TempDir()
	if err := datagen.Write(dir); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, os.DirFS(dir))
	got := readTree(t, os.DirFS("data"))
	const fix = "run `go run ./examples/demo/gen` from the repository root"
	for _, name := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("data/%s is missing: %s", name, fix)
		case bytes.Equal(g, want[name]):
		case strings.HasSuffix(name, ".gz"):
			// A Go release that changes compress/flate changes the compressed
			// bytes but not the data; regenerating updates them.
			gd, _ := gunzip(t, name, g)
			wd, _ := gunzip(t, name, want[name])
			if !bytes.Equal(gd, wd) {
				t.Errorf("data/%s differs from the generator's output: %s", name, fix)
			} else {
				t.Logf("data/%s: same data, other gzip bytes (another Go release?): %s", name, fix)
			}
		default:
			t.Errorf("data/%s differs from the generator's output: %s", name, fix)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("data/%s is not written by the generator: delete it, or generate it", name)
		}
	}
	// Twice the same bytes: nothing depends on time, map order or the machine.
	again, err := datagen.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range again {
		if !bytes.Equal(data, want[name]) {
			t.Errorf("%s: a second generation differs from the first", name)
		}
	}
}

// TestProject checks what `sluice demo` writes: the project file, the three
// pipelines and the data, within the size budget, with reproducible gzip files.
func TestProject(t *testing.T) {
	files := readTree(t, demo.Project())
	for _, name := range []string{
		"README.md", "sluice.yaml",
		"pipelines/customers.yaml", "pipelines/orders.yaml", "pipelines/events.yaml",
		"data/incoming/customers/customers_2026-01.csv",
		"data/incoming/orders/orders_2026-02-01.csv.gz",
		"data/incoming/events/2026-02-01/events.jsonl.gz",
	} {
		if _, ok := files[name]; !ok {
			t.Errorf("the demo project lacks %s", name)
		}
	}
	total := 0
	for name, data := range files {
		total += len(data)
		if strings.Contains(name, "/_") || strings.HasPrefix(name, "_") {
			t.Errorf("%s is embedded: only project files belong in the demo", name)
		}
		if strings.HasSuffix(name, ".gz") {
			_, h := gunzip(t, name, data)
			if !h.ModTime.IsZero() || h.Name != "" || h.Comment != "" {
				t.Errorf("%s: the gzip header has a time, name or comment (%v %q %q): it is not reproducible", name, h.ModTime, h.Name, h.Comment)
			}
		}
	}
	if total > maxEmbedded {
		t.Errorf("the demo project embeds %d bytes, more than the budget of %d", total, maxEmbedded)
	}
	t.Logf("%d files, %d bytes embedded", len(files), total)
}

// TestSpecs loads the demo project as `sluice demo` does and compiles every
// pipeline, so a change to the spec format or the expression language that
// breaks the demo fails here, naming the file, line and column.
func TestSpecs(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, demo.Project()); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	proj, err := spec.LoadProject(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if proj.Database != "sqlite://./sluice.db" || proj.Storage != "file://./data" || proj.API.MaxRows != 1000 {
		t.Errorf("project: database %q, storage %q, max_rows %d", proj.Database, proj.Storage, proj.API.MaxRows)
	}
	pipelines, err := spec.LoadPipelines(proj, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	kinds := map[string]bool{}
	for _, p := range pipelines {
		names = append(names, p.Name)
		for _, st := range p.Transform {
			kinds[st.Kind] = true
		}
		if err := engine.Compile(p); err != nil {
			t.Errorf("%s: %v", p.File, err)
		}
		if filepath.Base(p.File) != p.Name+".yaml" {
			t.Errorf("%s: the pipeline is named %q", p.File, p.Name)
		}
	}
	if !slices.Equal(names, []string{"customers", "events", "orders"}) {
		t.Errorf("pipelines %v, want customers, events, orders", names)
	}
	// Every step kind of DESIGN §2 appears in the demo.
	for _, k := range []string{"rename", "cast", "derive", "filter", "validate", "dedupe", "select"} {
		if !kinds[k] {
			t.Errorf("no demo pipeline has a %s step", k)
		}
	}
}
