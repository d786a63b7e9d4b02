package main

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/sink/sinktest"
	"github.com/sluice-data/sluice/internal/source/s3test"
)

// The specs of the Lambda tests, read by the function from s3://lake/config/pipelines/.
var lambdaSpecs = map[string]string{
	"orders.yaml": `version: 1
name: orders
source: {path: incoming/orders/, pattern: "*.csv"}
transform:
  - cast: {order_id: bigint, amount: 'decimal(10,2)'}
target: {table: orders, mode: merge, key: [order_id]}
`,
	"events.yaml": `version: 1
name: events
source: {path: incoming/events/, pattern: "**/*.jsonl"}
target: {table: events}
`,
	"customers.yaml": `version: 1
name: customers
schedule: cron(0 2 * * ? *)
source: {path: incoming/customers/, pattern: "*.parquet"}
target: {table: customers, mode: replace}
`,
	"big.yaml": `version: 1
name: big
source: {path: incoming/big/, pattern: "*.csv.gz"}
transform:
  - cast: {id: bigint}
  - derive: {label: "upper(trim(name)) + ':' + lower(note)"}
  - validate: {note: [{regex: '^some text .* [0-9]+$'}]}
target: {table: big}
`,
}

// lambdaEnv starts the fake S3 with the specs and returns the environment of
// an etl function over it and a fresh PostgreSQL database.
func lambdaEnv(t *testing.T, handler string) (*s3test.Server, map[string]string, *sql.DB) {
	t.Helper()
	lambdaTools(t) // skip before starting servers
	s3 := s3test.Start(t)
	s3.CreateBucket(t, "lake")
	for name, spec := range lambdaSpecs {
		s3.Put(t, "lake", "config/pipelines/"+name, []byte(spec))
	}
	dbURL := sinktest.PostgresDatabase(t, "pgx")
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := map[string]string{
		"_HANDLER":                    handler,
		"SLUICE_DATABASE_URL":         dbURL,
		"SLUICE_STORAGE_URL":          "s3://lake/data",
		"SLUICE_PIPELINES":            "s3://lake/config/pipelines/",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "120",
		"AWS_LAMBDA_LOG_FORMAT":       "JSON",
	}
	for k, v := range s3.Env() {
		env[k] = v
	}
	return s3, env, db
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "lambdarun", "testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary is the etl function's answer.
type summary struct {
	Status string `json:"status"`
	Runs   []struct {
		ID         string `json:"run_id"`
		Pipeline   string `json:"pipeline"`
		Trigger    string `json:"trigger"`
		Status     string `json:"status"`
		Files      int    `json:"files"`
		RowsLoaded int    `json:"rows_loaded"`
		Rejected   int    `json:"rows_rejected"`
		RejectsURL string `json:"rejects_url"`
	} `json:"runs"`
	Errors       map[string]string `json:"errors"`
	ErrorMessage string            `json:"errorMessage"`
}

func decodeSummary(t *testing.T, b []byte) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("answer is not a run summary: %v\n%s", err, b)
	}
	return s
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLambdaETL runs the built bootstrap under the Runtime Interface Emulator
// with every event shape the etl function takes, against S3 (a fake, through
// the real SDK) and PostgreSQL.
func TestLambdaETL(t *testing.T) {
	t.Parallel()
	s3, env, db := lambdaEnv(t, "etl")
	s3.Put(t, "lake", "data/incoming/orders/orders 2026-12-04.csv", []byte("order_id,amount\n1,10.50\n2,oops\n3,7\n"))
	s3.Put(t, "lake", "data/incoming/events/2026-12-04/events.jsonl", []byte(`{"id": 1, "kind": "click"}`+"\n"+`{"id": 2, "kind": "view", "extra": {"a": 1}}`+"\n"))
	pq, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", "parquet", "data", "orders", "orders.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	s3.Put(t, "lake", "data/incoming/customers/customers.parquet", pq)
	fn := startFunction(t, env)

	// An S3 notification: the orders file loads, its bad row goes to the rejects in S3.
	s := decodeSummary(t, fn.invoke(t, readFixture(t, "s3_put.json")))
	if s.Status != "succeeded" || len(s.Runs) != 1 || s.Runs[0].Pipeline != "orders" || s.Runs[0].Trigger != "s3" || s.Runs[0].RowsLoaded != 2 || s.Runs[0].Rejected != 1 {
		t.Fatalf("S3 notification: %+v", s)
	}
	if got := count(t, db, "orders"); got != 2 {
		t.Errorf("orders has %d rows, want 2", got)
	}
	rejects := s3.Get(t, "lake", "data/_rejects/orders/"+s.Runs[0].ID+".jsonl")
	if !bytes.Contains(rejects, []byte("oops")) {
		t.Errorf("rejects in S3: %s", rejects)
	}
	// The same notification again (S3 delivers at least once): nothing loads twice.
	s = decodeSummary(t, fn.invoke(t, readFixture(t, "s3_put.json")))
	if s.Status != "succeeded" || s.Runs[0].Files != 0 {
		t.Errorf("repeated notification: %+v", s)
	}
	// SQS: the S3 message and the S3 test event succeed; the undecodable one is
	// reported for redelivery, alone.
	var batch struct {
		Failures []struct {
			ID string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(fn.invoke(t, readFixture(t, "sqs_s3.json")), &batch); err != nil {
		t.Fatal(err)
	}
	if len(batch.Failures) != 1 || batch.Failures[0].ID != "a3c1b0e2-0000-4d3b-9c1e-000000000bad" {
		t.Errorf("batch item failures: %+v", batch)
	}
	// EventBridge's S3 event.
	s = decodeSummary(t, fn.invoke(t, readFixture(t, "eventbridge_s3.json")))
	if s.Status != "succeeded" || len(s.Runs) != 1 || s.Runs[0].Pipeline != "events" || s.Runs[0].RowsLoaded != 2 {
		t.Errorf("EventBridge S3 event: %+v", s)
	}
	// A scheduled event: the rule's name names the pipeline; Parquet is read
	// from S3 by ranged GETs.
	s = decodeSummary(t, fn.invoke(t, readFixture(t, "scheduled.json")))
	if s.Status != "succeeded" || len(s.Runs) != 1 || s.Runs[0].Pipeline != "customers" || s.Runs[0].Trigger != "schedule" || s.Runs[0].RowsLoaded != 10 {
		t.Errorf("scheduled event: %+v", s)
	}
	ranged := 0
	for _, r := range s3.Requests() {
		if strings.HasSuffix(r.Path, "customers.parquet") && r.Header.Get("Range") != "" {
			ranged++
		}
	}
	if ranged == 0 {
		t.Error("the Parquet file was not read with ranged GETs")
	}
	// A direct invoke with a full refresh reloads; an unknown pipeline is an error.
	s = decodeSummary(t, fn.invoke(t, map[string]any{"pipeline": "orders", "full_refresh": true}))
	if s.Status != "succeeded" || s.Runs[0].Trigger != "invoke" || s.Runs[0].Files != 1 {
		t.Errorf("direct invoke: %+v", s)
	}
	s = decodeSummary(t, fn.invoke(t, `{"pipeline": "nope"}`))
	if !strings.Contains(s.ErrorMessage, `no pipeline named "nope"`) {
		t.Errorf("unknown pipeline: %+v", s)
	}
	if got := count(t, db, "orders"); got != 2 {
		t.Errorf("orders has %d rows after a full refresh, want 2", got)
	}

	// Command invokes: the first API key of a deployment whose database only
	// the functions reach.
	var cmd struct {
		ExitCode     int    `json:"exit_code"`
		Stdout       string `json:"stdout"`
		Stderr       string `json:"stderr"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(fn.invoke(t, `{"command": ["keys", "create", "--name", "ci", "--scope", "read"]}`), &cmd); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(cmd.Stdout)
	if cmd.ExitCode != 0 || !strings.HasPrefix(key, "sk_") {
		t.Fatalf("keys create: %+v", cmd)
	}
	if strings.Contains(fn.Output(), key) {
		t.Error("the new key was logged")
	}
	if err := json.Unmarshal(fn.invoke(t, `{"command": ["runs", "--json", "--pipeline", "orders"]}`), &cmd); err != nil || cmd.ExitCode != 0 || strings.Count(cmd.Stdout, "\n") != 4 { // s3, s3 again, sqs, invoke
		t.Errorf("runs: %+v (%v)", cmd, err)
	}
	if err := json.Unmarshal(fn.invoke(t, `{"command": ["serve"]}`), &cmd); err != nil || !strings.Contains(cmd.ErrorMessage, "cannot run in Lambda") {
		t.Errorf("serve: %+v (%v)", cmd, err)
	}

	checkLambdaOutput(t, fn, map[string]bool{"RowsLoaded": true, "RunSucceeded": true, "ColdStart": true})
	if d := fn.initDurations(); len(d) != 1 {
		t.Errorf("init durations %v, want one (one cold start)", d)
	} else {
		t.Logf("etl init duration under the emulator: %.2f ms", d[0])
	}
}

// checkLambdaOutput checks the function's log lines and its Embedded Metric
// Format documents, as OPERATIONS.md and the EMF specification say.
func checkLambdaOutput(t *testing.T, fn *function, wantMetrics map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	var logs, emf int
	for _, l := range fn.jsonLines(t) {
		if aws, ok := l["_aws"].(map[string]any); ok {
			emf++
			if _, ok := aws["Timestamp"].(float64); !ok {
				t.Errorf("EMF document without a numeric Timestamp: %v", l)
			}
			dirs, _ := aws["CloudWatchMetrics"].([]any)
			if len(dirs) == 0 {
				t.Errorf("EMF document without directives: %v", l)
			}
			for _, d := range dirs {
				dir := d.(map[string]any)
				if dir["Namespace"] != "Sluice" {
					t.Errorf("namespace %v", dir["Namespace"])
				}
				metrics, _ := dir["Metrics"].([]any)
				if len(metrics) == 0 || len(metrics) > 100 {
					t.Errorf("%d metrics in a directive", len(metrics))
				}
				for _, m := range metrics {
					name := m.(map[string]any)["Name"].(string)
					seen[name] = true
					if _, ok := l[name]; !ok {
						t.Errorf("metric %s has no value at the top level: %v", name, l)
					}
				}
				for _, set := range dir["Dimensions"].([]any) {
					dims := set.([]any)
					if len(dims) > 30 {
						t.Errorf("%d dimensions", len(dims))
					}
					for _, d := range dims {
						if _, ok := l[d.(string)].(string); !ok {
							t.Errorf("dimension %s has no string value: %v", d, l)
						}
					}
				}
			}
			continue
		}
		if _, ok := l["msg"]; !ok {
			continue // the emulator's own lines
		}
		logs++
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := l[k]; !ok {
				t.Errorf("log line without %s: %v", k, l)
			}
		}
		if l["run_id"] != nil || l["msg"] == "invocation" {
			for _, k := range []string{"aws_request_id", "function_name", "cold_start"} {
				if _, ok := l[k]; !ok {
					t.Errorf("invocation line without %s: %v", k, l)
				}
			}
		}
		if l["run_id"] != nil && l["pipeline"] == nil {
			t.Errorf("run line without pipeline: %v", l)
		}
	}
	if logs == 0 || emf == 0 {
		t.Errorf("%d log lines and %d EMF documents", logs, emf)
	}
	for m := range wantMetrics {
		if !seen[m] {
			t.Errorf("metric %s never written", m)
		}
	}
	if out := fn.Output(); strings.Contains(out, "postgres://") && strings.Contains(out, "password") {
		t.Error("a database URL with a password appears in the output")
	}
}

// TestLambdaDeadline gives the function too little time for its backlog: it
// stops taking files before the timeout, commits what it read as a partial
// run, and the next invocations go on from there until every row is loaded
// exactly once.
func TestLambdaDeadline(t *testing.T) {
	t.Parallel()
	s3, env, db := lambdaEnv(t, "etl")
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = "3"
	const files, rows = 60, 50000
	for f := range files {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		fmt.Fprintln(zw, "id,name,note")
		for r := range rows {
			fmt.Fprintf(zw, "%d,name %d,some text to make the rows a little longer %d\n", f*rows+r, r, f)
		}
		zw.Close()
		s3.Put(t, "lake", fmt.Sprintf("data/incoming/big/part-%03d.csv.gz", f), b.Bytes())
	}
	fn := startFunction(t, env)
	var statuses []string
	loaded := 0
	for i := 0; i < 30; i++ {
		s := decodeSummary(t, fn.invoke(t, `{"pipeline": "big"}`))
		if s.ErrorMessage != "" || len(s.Runs) != 1 {
			t.Fatalf("invocation %d: %+v", i+1, s)
		}
		statuses = append(statuses, s.Status)
		loaded += s.Runs[0].RowsLoaded
		if s.Status == "succeeded" {
			break
		}
		if s.Status != "partial" {
			t.Fatalf("invocation %d: status %s: %+v", i+1, s.Status, s)
		}
	}
	t.Logf("statuses: %v", statuses)
	if statuses[0] != "partial" || statuses[len(statuses)-1] != "succeeded" {
		t.Fatalf("statuses %v: want partial first, succeeded last", statuses)
	}
	if strings.Contains(fn.Output(), "Task timed out") {
		t.Error("an invocation timed out instead of stopping in time")
	}
	var n, distinct, ledger int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT id) FROM big").Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM sluice.files WHERE pipeline = 'big'").Scan(&ledger); err != nil {
		t.Fatal(err)
	}
	if n != files*rows || distinct != n || loaded != n || ledger != files {
		t.Errorf("big: %d rows (%d distinct), runs loaded %d, ledger %d files; want %d rows, %d files", n, distinct, loaded, ledger, files*rows, files)
	}
	var partial int
	if err := db.QueryRow("SELECT count(*) FROM sluice.runs WHERE pipeline = 'big' AND status = 'partial'").Scan(&partial); err != nil {
		t.Fatal(err)
	}
	if partial != len(statuses)-1 || !slices.Contains(statuses, "partial") {
		t.Errorf("%d partial runs recorded, statuses %v", partial, statuses)
	}
}
