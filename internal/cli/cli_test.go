package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/engine"
)

// sluice runs the CLI in-process and returns stdout, stderr and the exit code.
func sluice(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := Main(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, _, code := sluice(t, nil, name, "--help")
			if code != 0 || !strings.Contains(out, "Usage: sluice "+name) || !strings.Contains(out, "--help") {
				t.Errorf("sluice %s --help: code %d\n%s", name, code, out)
			}
		})
	}
	out, _, code := sluice(t, nil, "help")
	if code != 0 || !strings.Contains(out, "Commands:") {
		t.Errorf("sluice help: %d %s", code, out)
	}
	_, errOut, code := sluice(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %s", code, errOut)
	}
}

const ordersSpec = `version: 1
name: orders
source: {path: in/, pattern: "*.csv"}
transform:
  - cast: {id: bigint, amount: 'decimal(8,2)'}
target: {table: orders, mode: merge, key: [id]}
`

func TestRunJSONAndRerun(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"sluice.yaml":           "version: 1\n",
		"pipelines/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n2,oops\n3,4\n",
	})
	out, errOut, code := sluice(t, nil, "run", "--project", dir, "orders", "--json")
	if code != 0 {
		t.Fatalf("run: %d\n%s\n%s", code, out, errOut)
	}
	var s engine.Result
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if s.Status != "succeeded" || s.Files != 1 || s.RowsRead != 3 || s.RowsLoaded != 2 || s.RowsRejected != 1 || s.ID == "" {
		t.Errorf("summary: %+v", s)
	}
	if !strings.HasSuffix(s.RejectsURL, "/data/_rejects/orders/"+s.ID+".jsonl") {
		t.Errorf("rejects at %q", s.RejectsURL)
	}
	out, _, code = sluice(t, nil, "run", "--project", dir, "--all", "--json")
	if code != 0 || !strings.Contains(out, `"files":0`) || !strings.Contains(out, "nothing new to load") {
		t.Errorf("re-run: %d %s", code, out)
	}
	out, _, code = sluice(t, nil, "runs", "--project", dir)
	if code != 0 || strings.Count(out, "orders") != 2 {
		t.Errorf("runs: %d\n%s", code, out)
	}
	out, _, code = sluice(t, nil, "runs", "--project", dir, "--json", "--pipeline", "orders")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Errorf("runs --json: %d\n%s", code, out)
	}
}

func TestRunFailureExitCode(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"pipelines/orders.yaml": ordersSpec + "quality: {max_reject_ratio: 0.1}\n",
		"data/in/a.csv":         "id,amount\n1,x\n",
	})
	out, errOut, code := sluice(t, nil, "run", "-p", dir, "orders")
	if code != 1 || !strings.Contains(errOut+out, "max_reject_ratio") {
		t.Errorf("code %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = sluice(t, nil, "run", "-p", dir)
	if code != 2 || !strings.Contains(errOut, "--all") {
		t.Errorf("no pipelines: %d %s", code, errOut)
	}
	_, errOut, code = sluice(t, nil, "run", "-p", dir, "nope")
	if code != 1 || !strings.Contains(errOut, `no pipeline named "nope"`) {
		t.Errorf("unknown pipeline: %d %s", code, errOut)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"pipelines/bad.yaml": `version: 1
name: bad
source: {path: in/, pattren: "*.csv"}
transform:
  - cast: {id: bigintt}
  - derive: {x: "upper("}
  - frobnicate: {}
target: {table: bad}
`,
		"pipelines/good.yaml": ordersSpec,
	})
	out, _, code := sluice(t, nil, "validate", "-p", dir)
	if code != 1 {
		t.Fatalf("validate: code %d\n%s", code, out)
	}
	for _, want := range []string{"bad.yaml:3:", "pattren", "bad.yaml:5:", "bigintt", "bad.yaml:6:", "derive x", "bad.yaml:7:", "frobnicate"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	dir2 := writeProject(t, map[string]string{"pipelines/good.yaml": ordersSpec})
	out, _, code = sluice(t, nil, "validate", "-p", dir2)
	if code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("valid project: %d %s", code, out)
	}
}

func TestPlanShowsFilesAndDDL(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"pipelines/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n",
	})
	out, errOut, code := sluice(t, nil, "plan", "-p", dir, "orders")
	if code != 0 || !strings.Contains(out, "a.csv") || !strings.Contains(out, "CREATE TABLE") {
		t.Fatalf("plan: %d\n%s\n%s", code, out, errOut)
	}
	// The plan committed nothing: a run still loads the file.
	out, _, code = sluice(t, nil, "run", "-p", dir, "orders", "--json")
	if code != 0 || !strings.Contains(out, `"rows_loaded":1`) {
		t.Errorf("run after plan: %d %s", code, out)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	out, errOut, code := sluice(t, nil, "demo", "--dir", dir, "--no-serve")
	if code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	// The demo's counts (examples/demo/README.md): read, loaded, rejected, filtered.
	for _, want := range []string{"customers", "orders", "events", "succeeded", "Table orders",
		"402     376       376        0         5        21", "2000    1998      1998        0         2         0", "6037    5973      5973        0        18        46"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = sluice(t, nil, "demo", "--dir", dir, "--no-serve")
	if code != 0 || !strings.Contains(out, "nothing new to load") {
		t.Errorf("second demo: %d\n%s", code, out)
	}
}

func TestDryRunCommitsNothing(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"pipelines/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n",
	})
	out, _, code := sluice(t, nil, "run", "-p", dir, "orders", "--dry-run")
	if code != 0 || !strings.Contains(out, "succeeded (dry run)") || !strings.Contains(out, "CREATE TABLE") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	out, _, _ = sluice(t, nil, "runs", "-p", dir)
	if !strings.Contains(out, "no runs yet") {
		t.Errorf("a dry run was recorded:\n%s", out)
	}
	out, _, code = sluice(t, nil, "run", "-p", dir, "orders", "--json")
	if code != 0 || !strings.Contains(out, `"rows_loaded":1`) {
		t.Errorf("run after dry run: %d %s", code, out)
	}
}

func TestRunSpecFileByPath(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"elsewhere/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n",
	})
	out, errOut, code := sluice(t, nil, "run", "-p", dir, filepath.Join(dir, "elsewhere", "orders.yaml"), "--json")
	if code != 0 || !strings.Contains(out, `"rows_loaded":1`) {
		t.Errorf("run by path: %d %s %s", code, out, errOut)
	}
}

func TestProgressBar(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	bar := newProgressBar(&b)
	bar.update(engine.Progress{Pipeline: "orders", File: "a.csv", FileIndex: 1, Files: 2, Rows: 12345, Bytes: 2 << 20})
	got := b.String()
	for _, want := range []string{"orders", "[1/2]", "a.csv", "12,345 rows", "rows/s", "2.1 MB"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress line %q lacks %q", got, want)
		}
	}
	bar.update(engine.Progress{Pipeline: "orders", Rows: 12346}) // throttled
	if b.String() != got {
		t.Errorf("progress not throttled: %q", b.String())
	}
	bar.clear()
	if !strings.HasSuffix(b.String(), "\r\033[K") {
		t.Errorf("clear: %q", b.String())
	}
}
