package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/sluice-data/sluice/internal/catalog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/postgres"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// backend is one database holding the test datasets.
type backend struct {
	name string
	db   sink.DB
	dir  string // storage folder
	eng  *engine.Engine
}

var backendNames = []string{"sqlite", "postgres", "mysql"}

func openBackend(t *testing.T, name string) *backend {
	t.Helper()
	ctx := context.Background()
	var (
		db  sink.DB
		err error
	)
	switch name {
	case "sqlite":
		db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	case "postgres":
		db, err = postgres.Open(ctx, sinktest.PostgresDatabase(t, "pgx"))
	case "mysql":
		db, err = mysql.Open(ctx, sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir := t.TempDir()
	return &backend{name: name, db: db, dir: dir, eng: &engine.Engine{DB: db, Storage: source.NewRouter(), StorageURL: source.FileURL(dir)}}
}

// load writes files into the storage folder and runs the pipeline spec.
func (b *backend) load(t testing.TB, specFile string, files map[string]string) *engine.Result {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(b.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join("testdata", specFile))
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.LoadPipeline(specFile, data, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.eng.Run(context.Background(), p, engine.Options{})
	if err != nil {
		t.Fatalf("loading %s: %v", specFile, err)
	}
	return res
}

// loadFixtures loads items (12 rows, every type) and events (a table without a
// key, full of duplicate rows).
func (b *backend) loadFixtures(t testing.TB) {
	t.Helper()
	items, err := os.ReadFile("testdata/items.csv")
	if err != nil {
		t.Fatal(err)
	}
	b.load(t, "items.yaml", map[string]string{"items/1.csv": string(items)})
	b.load(t, "events.yaml", map[string]string{"events/1.csv": eventsCSV(60)})
}

func eventsCSV(n int) string {
	var sb strings.Builder
	sb.WriteString("kind,n\n")
	kinds := []string{"a", "b", ""}
	for i := range n {
		fmt.Fprintf(&sb, "%s,%d\n", kinds[i%3], i%2)
	}
	return sb.String()
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newServer(t testing.TB, b *backend, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{DB: b.db, Secret: testSecret, NoAuth: true, Project: &spec.Project{API: spec.API{MaxRows: 1000}},
		Storage: source.NewRouter(), DatasetTTL: time.Nanosecond}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

type page struct {
	Data       []map[string]json.RawMessage `json:"data"`
	NextCursor *string                      `json:"next_cursor"`
}

func decodePage(t testing.TB, w *httptest.ResponseRecorder) page {
	t.Helper()
	var p page
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("decoding %q: %v", w.Body.String(), err)
	}
	return p
}

func base64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func testPipelines(context.Context) ([]*spec.Pipeline, error) {
	var out []*spec.Pipeline
	for _, f := range []string{"items.yaml", "events.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			return nil, err
		}
		p, err := spec.LoadPipeline(f, data, func(string) string { return "" })
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

type (
	catalogDataset = catalog.Dataset
	catalogColumn  = catalog.DatasetColumn
)
