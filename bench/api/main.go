// Command api measures the REST API: `sluice serve` on PostgreSQL holding N
// rows, driven by wrk with 32 connections, for a lookup by key and a filtered
// 100-row page; side by side, the same two queries served by Flask + psycopg2
// under gunicorn. Run from the repository root:
//
//	go run ./bench/api -rows 1000000
//
// Each of the four measurements runs -runs times (default 3), alternating
// sluice and Flask, and the summary gives the median of each.
//
// It needs PostgreSQL on 127.0.0.1 (make services) and Debian's wrk,
// python3-flask, python3-psycopg2 and gunicorn.
package main

import (
	"bufio"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sluice-data/sluice/bench/harness"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows in the table")
	duration := flag.Duration("duration", 15*time.Second, "how long each wrk run lasts")
	conns := flag.Int("connections", 32, "wrk connections")
	threads := flag.Int("threads", 2, "wrk threads")
	admin := flag.String("pg", "postgres://root@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL admin URL")
	workers := flag.Int("gunicorn-workers", 5, "gunicorn workers (2 × cores + 1)")
	runs := flag.Int("runs", 3, "measurements of each target, alternating sluice and Flask")
	flag.Parse()
	if err := run(*rows, *duration, *conns, *threads, *admin, *workers, max(*runs, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "bench/api:", err)
		os.Exit(1)
	}
}

func run(rows int, duration time.Duration, conns, threads int, adminURL string, workers, runs int) error {
	for _, tool := range []string{"wrk", "gunicorn"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is missing: apt-get install wrk gunicorn python3-flask python3-psycopg2", tool)
		}
	}
	work, err := os.MkdirTemp("", "sluice-bench-api-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin, err := harness.BuildSluice(work)
	if err != nil {
		return err
	}
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	const dbName = "sluice_bench_api"
	db.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)")
	if _, err := db.Exec("CREATE DATABASE " + dbName); err != nil {
		return err
	}
	defer db.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)")
	dbURL := strings.Replace(adminURL, "/postgres?", "/"+dbName+"?", 1)

	// The data: N orders, loaded by sluice itself.
	proj := filepath.Join(work, "proj")
	os.MkdirAll(filepath.Join(proj, "pipelines"), 0o755)
	os.MkdirAll(filepath.Join(proj, "data", "orders"), 0o755)
	os.WriteFile(filepath.Join(proj, "sluice.yaml"), []byte(fmt.Sprintf(
		"version: 1\ndatabase: %s\nstorage: file://./data\npipelines: ./pipelines\napi:\n  addr: 127.0.0.1:18181\n  rate_limit: 0\n", dbURL)), 0o644)
	os.WriteFile(filepath.Join(proj, "pipelines", "orders.yaml"), []byte(`version: 1
name: bench_orders
source: {path: orders/, pattern: "*.csv"}
transform:
  - cast: {id: bigint, customer_id: bigint, status: text, amount: "decimal(12,2)", created_at: timestamptz}
target: {table: bench_orders, mode: merge, key: [id]}
`), 0o644)
	if err := writeOrders(filepath.Join(proj, "data", "orders", "orders.csv"), rows); err != nil {
		return err
	}
	fmt.Printf("loading %d rows into PostgreSQL...\n", rows)
	start := time.Now()
	if out, err := exec.Command(bin, "run", "--project", proj, "--all").CombinedOutput(); err != nil {
		return fmt.Errorf("sluice run: %v\n%s", err, out)
	}
	fmt.Printf("loaded in %s\n", time.Since(start).Round(time.Millisecond))
	db2, _ := sql.Open("pgx", dbURL)
	db2.Exec("CREATE INDEX ON bench_orders (status, id)")
	db2.Exec("ANALYZE bench_orders")
	db2.Close()
	out, err := exec.Command(bin, "keys", "create", "--project", proj, "--name", "bench", "--scope", "read").Output()
	if err != nil {
		return fmt.Errorf("keys create: %v", err)
	}
	key := strings.TrimSpace(string(out))

	lookup := `request = function() return wrk.format("GET", PREFIX .. math.random(1, ROWS) .. SUFFIX) end`
	pageScript := `local s = {"new","paid","shipped","delivered","cancelled"}
request = function() return wrk.format("GET", PREFIX .. s[math.random(1,5)] .. SUFFIX .. math.random(0, 400)) end`
	report := `done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %.1f %.1f %.1f\n", summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status, summary.duration, latency:percentile(50)/1000, latency:percentile(99)/1000, latency.mean/1000))
end`

	type target struct {
		name, base, prefix, suffix, script string
		headers                            []string
	}
	// sluice serve
	serve := exec.Command(bin, "serve", "--project", proj, "--no-scheduler", "--no-watch", "--log-level", "error")
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() }()
	if err := waitHTTP("http://127.0.0.1:18181/healthz"); err != nil {
		return err
	}
	// Flask + psycopg2 under gunicorn.
	here, _ := filepath.Abs("bench/api")
	gun := exec.Command("gunicorn", "--workers", strconv.Itoa(workers), "--bind", "127.0.0.1:18182", "--log-level", "warning", "--chdir", here, "flask_app:app")
	gun.Env = append(os.Environ(), "BENCH_DSN="+strings.Replace(dbURL, "?sslmode=disable", "", 1)+"?sslmode=disable")
	gun.Stderr = os.Stderr
	gun.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := gun.Start(); err != nil {
		return err
	}
	defer func() { syscall.Kill(-gun.Process.Pid, syscall.SIGTERM); gun.Wait() }()
	if err := waitHTTP("http://127.0.0.1:18182/orders/1"); err != nil {
		return err
	}
	auth := []string{"Authorization: Bearer " + key}
	targets := []target{
		{"sluice   lookup by key", "http://127.0.0.1:18181", "/v1/datasets/bench_orders/rows/", "", lookup, auth},
		{"flask    lookup by key", "http://127.0.0.1:18182", "/orders/", "", lookup, nil},
		{"sluice   filtered 100-row page", "http://127.0.0.1:18181", "/v1/datasets/bench_orders/rows?limit=100&order=id&status=eq.", "&amount=gt.", pageScript, auth},
		{"flask    filtered 100-row page", "http://127.0.0.1:18182", "/orders?status=", "&amount_gt=", pageScript, nil},
	}
	fmt.Printf("\n%s, PostgreSQL %d rows, wrk -c%d -t%d -d%s, %d runs\n\n", harness.Machine(), rows, conns, threads, duration, runs)
	fmt.Printf("%-4s %-32s %10s %9s %9s %9s %7s %7s\n", "run", "target", "req/s", "p50 ms", "p99 ms", "mean ms", "socket", "http≥400")
	type sample struct{ rps, p50, p99 float64 }
	samples := map[string][]sample{}
	errs := map[string][2]int{}
	for r := 1; r <= runs; r++ {
		for _, tg := range targets {
			script := filepath.Join(work, "s.lua")
			body := strings.ReplaceAll(tg.script, "PREFIX", strconv.Quote(tg.prefix))
			body = strings.ReplaceAll(body, "SUFFIX", strconv.Quote(tg.suffix))
			body = strings.ReplaceAll(body, "ROWS", strconv.Itoa(rows))
			os.WriteFile(script, []byte(body+"\n"+report), 0o644)
			args := []string{"-c", strconv.Itoa(conns), "-t", strconv.Itoa(threads), "-d", duration.String(), "-s", script, "--timeout", "5s"}
			args = append(args, headerArgs(tg.headers)...)
			// Warm up, then measure.
			exec.Command("wrk", append([]string{"-c", "8", "-t", "1", "-d", "2s", "-s", script}, append(headerArgs(tg.headers), tg.base)...)...).Run()
			out, err := exec.Command("wrk", append(args, tg.base)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("wrk %s: %v\n%s", tg.name, err, out)
			}
			m := regexp.MustCompile(`RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)`).FindStringSubmatch(string(out))
			if m == nil {
				return fmt.Errorf("wrk %s: no result in\n%s", tg.name, out)
			}
			n, _ := strconv.ParseFloat(m[1], 64)
			us, _ := strconv.ParseFloat(m[4], 64)
			sockErr, _ := strconv.Atoi(m[2])
			statusErr, _ := strconv.Atoi(m[3])
			p50, _ := strconv.ParseFloat(m[5], 64)
			p99, _ := strconv.ParseFloat(m[6], 64)
			rps := n / (us / 1e6)
			samples[tg.name] = append(samples[tg.name], sample{rps, p50, p99})
			e := errs[tg.name]
			errs[tg.name] = [2]int{e[0] + sockErr, e[1] + statusErr}
			fmt.Printf("%-4d %-32s %10.0f %9s %9s %9s %7d %7d\n", r, tg.name, rps, m[5], m[6], m[7], sockErr, statusErr)
		}
	}
	median := func(name string, f func(sample) float64) float64 {
		var v []float64
		for _, s := range samples[name] {
			v = append(v, f(s))
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	fmt.Printf("\nmedians of %d runs\n%-32s %10s %9s %9s %7s %7s\n", runs, "target", "req/s", "p50 ms", "p99 ms", "socket", "http≥400")
	for _, tg := range targets {
		fmt.Printf("%-32s %10.0f %9.1f %9.1f %7d %7d\n", tg.name,
			median(tg.name, func(s sample) float64 { return s.rps }),
			median(tg.name, func(s sample) float64 { return s.p50 }),
			median(tg.name, func(s sample) float64 { return s.p99 }),
			errs[tg.name][0], errs[tg.name][1])
	}
	rps := func(name string) float64 { return median(name, func(s sample) float64 { return s.rps }) }
	fmt.Printf("\nsluice / flask (median req/s): lookup %.1f×, page %.1f×\n",
		rps("sluice   lookup by key")/rps("flask    lookup by key"),
		rps("sluice   filtered 100-row page")/rps("flask    filtered 100-row page"))
	return nil
}

func headerArgs(hs []string) []string {
	var out []string
	for _, h := range hs {
		out = append(out, "-H", h)
	}
	return out
}

func waitHTTP(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer", url)
}

func writeOrders(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	statuses := []string{"new", "paid", "shipped", "delivered", "cancelled"}
	fmt.Fprintln(w, "id,customer_id,status,amount,created_at")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "%d,%d,%s,%d.%02d,%s\n", i, r.IntN(50000), statuses[r.IntN(5)], r.IntN(500), r.IntN(100),
			base.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
