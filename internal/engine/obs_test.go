package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/obs/metrics"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

const ordersSpec = `version: 1
name: orders
source: {path: in/, pattern: "*.csv"}
transform:
  - cast: {id: bigint, amount: 'decimal(8,2)'}
  - filter: "amount < 1000"
target: {table: orders, mode: merge, key: [id]}
`

// setup writes a project in a temp folder and returns an engine over SQLite
// logging JSON lines to the returned buffer.
func setup(t *testing.T, storage engine.Storage) (*engine.Engine, *spec.Pipeline, *bytes.Buffer, *metrics.Metrics) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"pipelines/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n2,oops\n3,4\n4,nope\n5,x\n6,5000\n",
	}
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := spec.LoadPipeline(filepath.Join(dir, "pipelines/orders.yaml"), []byte(ordersSpec), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var buf bytes.Buffer
	log, err := obs.NewLogger(&buf, obs.LogOptions{Format: "json", Level: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	if storage == nil {
		storage = source.NewRouter()
	}
	m := metrics.New(metrics.Options{NoProcessMetrics: true})
	return &engine.Engine{DB: db, Storage: storage, StorageURL: "file://" + filepath.Join(dir, "data"), Logger: log, Metrics: m}, p, &buf, m
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestRunLogLines(t *testing.T) {
	t.Parallel()
	eng, p, buf, m := setup(t, nil)
	ctx := obs.WithAttrs(context.Background(), slog.String(obs.KeyRequestID, "req-1"))
	res, err := eng.Run(ctx, p, engine.Options{Trigger: "api"})
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, buf.String())
	var finished, rejected []map[string]any
	for _, l := range lines {
		for _, k := range []string{"time", "level", "msg"} {
			if l[k] == nil {
				t.Errorf("no %s: %v", k, l)
			}
		}
		if l["run_id"] != res.ID || l["pipeline"] != "orders" || l["request_id"] != "req-1" {
			t.Errorf("line without the run's attributes: %v", l)
		}
		switch l["msg"] {
		case "run finished":
			finished = append(finished, l)
		case "rows rejected":
			rejected = append(rejected, l)
		}
	}
	if len(finished) != 1 {
		t.Fatalf("%d run finished lines:\n%s", len(finished), buf)
	}
	f := finished[0]
	want := map[string]any{"level": "INFO", "status": "succeeded", "rows_read": 6.0, "rows_loaded": 2.0, "rows_rejected": 3.0,
		"rows_filtered": 1.0, "files": 1.0}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("run finished %s = %v, want %v", k, f[k], v)
		}
	}
	for _, k := range []string{"bytes_read", "duration_ms"} {
		if _, ok := f[k].(float64); !ok {
			t.Errorf("run finished has no number %s: %v", k, f)
		}
	}
	if _, ok := f["error"]; ok {
		t.Errorf("a succeeded run logs an error: %v", f)
	}
	// Three rejected rows, one reason: the values are not part of it.
	if len(rejected) != 1 || rejected[0]["level"] != "WARN" || rejected[0]["count"] != 3.0 ||
		rejected[0]["reason"] != `cannot cast "…" to decimal(8,2)` || rejected[0]["column"] != "amount" {
		t.Errorf("rows rejected lines: %v", rejected)
	}

	var emf bytes.Buffer
	if err := m.Flush(&emf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(emf.String(), `"RowsRead":6`) || !strings.Contains(emf.String(), `"Pipeline":"orders"`) {
		t.Errorf("metrics: %s", emf.String())
	}
}

// failingStorage fails to list, with a message that quotes secrets.
type failingStorage struct {
	engine.Storage
	err error
}

func (s failingStorage) List(context.Context, string, string) ([]source.Object, error) {
	return nil, s.err
}

func TestSecretsStayOut(t *testing.T) {
	t.Parallel()
	const apiKey = "sk_7Hq2mZp9XwL4cV1b"
	cause := errors.New("connection refused")
	secretErr := fmt.Errorf("dial postgres://u:hunter2@127.0.0.1:1/x (token %s, Authorization: Bearer eyJ.abc.def): %w", apiKey, cause)
	eng, p, buf, _ := setup(t, failingStorage{Storage: source.NewRouter(), err: secretErr})
	ctx := obs.WithAttrs(context.Background(), slog.String("api_key", apiKey), slog.String("authorization", "Bearer eyJ.abc.def"))
	res, err := eng.Run(ctx, p, engine.Options{})
	if err == nil {
		t.Fatal("the run did not fail")
	}
	if !errors.Is(err, cause) {
		t.Errorf("the redacted error lost its cause: %v", err)
	}
	runs, rerr := eng.DB.Catalog().Runs(context.Background(), catalog.RunFilter{Pipeline: "orders"})
	if rerr != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, rerr)
	}
	outputs := map[string]string{
		"logs": buf.String(), "returned error": err.Error(), "result error": res.Error, "catalog error": runs[0].Error,
	}
	for what, out := range outputs {
		for _, secret := range []string{"hunter2", apiKey[3:], "eyJ.abc.def"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows %q:\n%s", what, secret, out)
			}
		}
		if what != "logs" && !strings.Contains(out, "postgres://u:xxxxx@127.0.0.1:1/x") {
			t.Errorf("%s lost what is not secret: %s", what, out)
		}
	}
	var finished map[string]any
	for _, l := range jsonLines(t, buf.String()) {
		if l["msg"] == "run finished" {
			finished = l
		}
	}
	if finished == nil || finished["level"] != "ERROR" || finished["status"] != "failed" ||
		!strings.Contains(fmt.Sprint(finished["error"]), "connection refused") {
		t.Errorf("run finished: %v", finished)
	}
}
