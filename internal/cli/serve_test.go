package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/syncbuf"

	"github.com/sluice-data/sluice/internal/obs"
)

const serveProjectYAML = "version: 1\ndatabase: sqlite://./s.db\nstorage: file://./data\npipelines: ./pipelines\n"

const watchedPipeline = `version: 1
name: drops
source: {path: drops/, pattern: "*.csv"}
target: {table: drops, mode: append}
`

// startServe runs serveProject in-process and returns its base URL and a stop
// function that shuts it down and returns serveProject's error.
func startServe(t *testing.T, dir string, o serveOptions) (string, func() error) {
	t.Helper()
	env := &Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: io.Discard}
	proj, err := loadProject(env, dir)
	if err != nil {
		t.Fatal(err)
	}
	proj.API.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	o.ready = func(a string) { addr <- a }
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	errc := make(chan error, 1)
	go func() { errc <- serveProject(ctx, env, proj, o) }()
	select {
	case a := <-addr:
		var once sync.Once
		var serr error
		stop := func() error {
			once.Do(func() { cancel(); serr = <-errc })
			return serr
		}
		t.Cleanup(func() { stop() })
		return "http://" + a, stop
	case err := <-errc:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return "", nil
}

func call(t *testing.T, method, url, key string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestServe: keys from the CLI, a run started through the API and followed to
// its end, rows served, files dropped into a watched folder loaded, and a clean
// shutdown.
func TestServe(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"sluice.yaml":          serveProjectYAML,
		"pipelines/drops.yaml": watchedPipeline,
		"data/drops/a.csv":     "id,v\n1,a\n2,b\n",
	})
	out, errOut, code := sluice(t, nil, "keys", "create", "--project", dir, "--name", "ops", "--scope", "read", "--scope", "run")
	if code != 0 || !strings.HasPrefix(out, "sk_") || !strings.Contains(errOut, "only time") {
		t.Fatalf("keys create: %d %q %q", code, out, errOut)
	}
	key := strings.TrimSpace(out)
	if out, _, _ := sluice(t, nil, "keys", "list", "--project", dir); !strings.Contains(out, "ops") || strings.Contains(out, key) {
		t.Errorf("keys list: %s", out)
	}
	logs := &syncbuf.Buffer{}
	logger, err := obs.NewLogger(logs, obs.LogOptions{Format: "json", Level: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, dir, serveOptions{watch: true, watchInterval: 50 * time.Millisecond, grace: 5 * time.Second, log: logger})
	if code, _ := call(t, "GET", base+"/v1/datasets", ""); code != 401 {
		t.Errorf("no key: %d", code)
	}
	// The watcher loads the file that was there at start.
	waitRows(t, base, key, "drops", 2)
	// A new file is loaded as it lands.
	os.WriteFile(filepath.Join(dir, "data/drops/b.csv"), []byte("id,v\n3,c\n"), 0o644)
	waitRows(t, base, key, "drops", 3)
	// A run through the API: 202, then the run's outcome at Location.
	code, body := call(t, "POST", base+"/v1/pipelines/drops/runs", key)
	if code != 202 {
		t.Fatalf("POST runs: %d %v", code, body)
	}
	id := body["run_id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, run := call(t, "GET", base+"/v1/runs/"+id, key)
		if code == 200 && run["status"] != "queued" && run["status"] != "running" {
			if run["status"] != "succeeded" || run["trigger"] != "api" || run["rows_loaded"] != 0.0 {
				t.Errorf("run: %v", run)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not finish: %d %v", id, code, run)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, p := call(t, "GET", base+"/v1/pipelines/drops", key); code != 200 || p["last_run"] == nil {
		t.Errorf("pipeline: %d %v", code, p)
	}
	// Revoked keys stop working (within the cache's 5 s).
	sluice(t, nil, "keys", "revoke", "--project", dir, "ops")
	// Prometheus metrics count the requests.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(mb), `sluice_http_requests_total{route="GET /v1/datasets/{dataset}",status="2xx"}`) || !strings.Contains(string(mb), "sluice_runs_total") {
		t.Errorf("/metrics lacks request or run counts:\n%s", mb)
	}
	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	// Every log line is JSON; request lines carry their id, route and status;
	// run lines their run id and pipeline; the key appears nowhere.
	requests, runs := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if strings.Contains(line, key) || strings.Contains(line, key[3:]) {
			t.Errorf("the API key is in the logs: %s", line)
		}
		switch m["msg"] {
		case "request":
			requests++
			for _, k := range []string{"request_id", "route", "status", "method", "duration_ms"} {
				if _, ok := m[k]; !ok {
					t.Errorf("request line without %s: %s", k, line)
				}
			}
		case "run finished":
			runs++
			if m["run_id"] == nil || m["pipeline"] != "drops" {
				t.Errorf("run line: %s", line)
			}
		}
	}
	if requests == 0 || runs == 0 {
		t.Errorf("%d request lines, %d run lines", requests, runs)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("still serving after shutdown")
	}
}

func waitRows(t *testing.T, base, key, ds string, n float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := call(t, "GET", base+"/v1/datasets/"+ds, key)
		if code == 200 && body["row_count"] == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dataset %s never reached %v rows: %d %v", ds, n, code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeRefusesOpenAddressWithoutAuth(t *testing.T) {
	dir := writeProject(t, map[string]string{"sluice.yaml": serveProjectYAML})
	var errb bytes.Buffer
	code := Main(context.Background(), []string{"serve", "--project", dir, "--no-auth", "--addr", "0.0.0.0:0"}, func(string) string { return "" }, strings.NewReader(""), io.Discard, &errb)
	if code == 0 || !strings.Contains(errb.String(), "refusing to serve") {
		t.Errorf("serve --no-auth on 0.0.0.0: %d %s", code, errb.String())
	}
	for addr, want := range map[string]bool{"127.0.0.1:80": true, "[::1]:80": true, "localhost:1": true, "0.0.0.0:80": false, ":8080": false, "10.0.0.1:80": false} {
		if isLoopback(addr) != want {
			t.Errorf("isLoopback(%s) = %v", addr, !want)
		}
	}
}
