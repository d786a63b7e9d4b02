// Command lambda measures the Lambda binary: its size (the host build and the
// arm64 dist/bootstrap and dist/bootstrap.zip of `make lambda`) and its init
// duration as AWS defines it, from process start until the runtime's first
// GET /2018-06-01/runtime/invocation/next. Run from the repository root
// (make bench-lambda):
//
//	go run ./bench/lambda -n 30
//
// The benchmark serves a minimal Lambda Runtime API itself, on 127.0.0.1, and
// execs the bootstrap with AWS_LAMBDA_RUNTIME_API pointing at it, N times per
// handler: it records when the first /next request arrives (init), answers it
// with one invocation (api: an API Gateway HTTP API event for GET /healthz;
// etl: the direct invoke {"pipeline":"nope"}) and times it until the
// /response or /error POST (the cold invocation: it opens the database,
// checks the migrations, reads the pipeline specs), then a second, warm,
// invocation of the same event. It then also runs the bootstrap under AWS's
// Runtime Interface Emulator (aws-lambda-rie, from the Go module proxy) and
// prints the Init Duration of its REPORT lines, for comparison.
//
// PostgreSQL must listen on 127.0.0.1 (make services); -db sets the URL.
package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-data/sluice/internal/syncbuf"
)

const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

var (
	n        = flag.Int("n", 30, "runs (fresh processes) per handler")
	dbURL    = flag.String("db", "postgres://127.0.0.1:5432/test?sslmode=disable", "SLUICE_DATABASE_URL of the functions")
	makeLmb  = flag.Bool("make", true, "run `make lambda` and report the arm64 dist/bootstrap and dist/bootstrap.zip sizes")
	rieRuns  = flag.Int("rie", 5, "runs under aws-lambda-rie (0: skip the emulator)")
	verbose  = flag.Bool("v", false, "print every run")
	topPkgs  = flag.Int("sizes", 15, "print the N largest contributors to the host binary, by module, from its symbol table (0: skip)")
	spec     = "version: 1\nname: orders\nsource: {path: in/, pattern: \"*.csv\"}\ntarget: {table: orders, mode: append}\n"
	handlers = []string{"api", "etl"}
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lambda:", err)
		os.Exit(1)
	}
}

func run() error {
	tmp, err := os.MkdirTemp("", "sluice-bench-lambda-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	boot := filepath.Join(tmp, "bootstrap")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", boot, "./cmd/sluice")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building bootstrap: %w", err)
	}
	fmt.Printf("machine: %s\n\n", machine())
	fmt.Println("| binary | bytes | MB (10^6) | MiB |\n|---|---:|---:|---:|")
	size := func(name, path string) {
		st, err := os.Stat(path)
		if err != nil {
			fmt.Printf("| %s | missing: %v | | |\n", name, err)
			return
		}
		fmt.Printf("| %s | %d | %.1f | %.1f |\n", name, st.Size(), float64(st.Size())/1e6, float64(st.Size())/(1<<20))
	}
	size("bootstrap, host ("+goarch()+")", boot)
	if *makeLmb {
		mk := exec.Command("make", "--no-print-directory", "lambda")
		mk.Stdout, mk.Stderr = io.Discard, os.Stderr
		if err := mk.Run(); err != nil {
			return fmt.Errorf("make lambda: %w", err)
		}
		size("dist/bootstrap (make lambda, linux/arm64)", "dist/bootstrap")
		size("dist/bootstrap.zip (make lambda, linux/arm64)", "dist/bootstrap.zip")
	}

	if *topPkgs > 0 {
		if err := symbolSizes(tmp, *topPkgs); err != nil {
			fmt.Println("symbol sizes:", err)
		}
	}

	// The function's files: the task root holds the pipeline specs.
	task := filepath.Join(tmp, "task")
	if err := os.MkdirAll(filepath.Join(task, "pipelines"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "data", "in"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(task, "pipelines", "orders.yaml"), []byte(spec), 0o644); err != nil {
		return err
	}
	env := func(handler string) []string {
		return []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "TZ=UTC",
			"_HANDLER=" + handler,
			"LAMBDA_TASK_ROOT=" + task,
			"SLUICE_DATABASE_URL=" + *dbURL,
			"SLUICE_STORAGE_URL=" + filepath.Join(tmp, "data"),
			"SLUICE_PIPELINES=" + filepath.Join(task, "pipelines"),
			"AWS_LAMBDA_FUNCTION_NAME=sluice-" + handler,
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
			"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
			"AWS_REGION=us-east-1",
		}
	}

	fmt.Printf("\nRuntime API stub, %d fresh processes per handler (milliseconds):\n\n", *n)
	fmt.Println("| handler | measure | min | median | p90 | max |\n|---|---|---:|---:|---:|---:|")
	for _, h := range handlers {
		var inits, colds, warms []float64
		var first [2]string
		for i := 0; i < *n; i++ {
			r, err := runStub(boot, env(h), event(h))
			if err != nil {
				return fmt.Errorf("%s run %d: %w", h, i+1, err)
			}
			inits, colds, warms = append(inits, ms(r.init)), append(colds, ms(r.cold)), append(warms, ms(r.warm))
			if i == 0 {
				first = r.answers
			}
			if *verbose {
				fmt.Printf("   %s %2d: init %.2f cold %.2f warm %.2f\n", h, i+1, ms(r.init), ms(r.cold), ms(r.warm))
			}
		}
		row(h, "init (start → first /next)", inits)
		row(h, "first invocation (cold)", colds)
		row(h, "second invocation (warm)", warms)
		defer fmt.Printf("%s answers: cold %s\n             warm %s\n", h, first[0], first[1])
	}
	fmt.Println()

	if *rieRuns > 0 {
		if err := runRIE(tmp, boot, env("api")); err != nil {
			fmt.Println("aws-lambda-rie:", err)
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func row(h, what string, v []float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	p90 := s[min(len(s)-1, (len(s)*9+9)/10-1)]
	fmt.Printf("| %s | %s | %.1f | %.1f | %.1f | %.1f |\n", h, what, s[0], s[len(s)/2], p90, s[len(s)-1])
}

func machine() string {
	out, _ := exec.Command("go", "version").Output()
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.*)`).FindSubmatch(b); m != nil {
			cpu = string(m[1])
		}
	}
	nproc, _ := exec.Command("nproc").Output()
	return fmt.Sprintf("%s CPUs (%s), %s", strings.TrimSpace(string(nproc)), cpu, strings.TrimSpace(string(out)))
}

func goarch() string {
	out, _ := exec.Command("go", "env", "GOOS", "GOARCH").Output()
	return strings.Join(strings.Fields(string(out)), "/")
}

// event is the invocation each handler gets, twice.
func event(handler string) []byte {
	if handler == "etl" {
		return []byte(`{"pipeline":"nope"}`)
	}
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": "/healthz", "rawQueryString": "",
		"headers": map[string]string{"host": "abc123.execute-api.us-east-1.amazonaws.com", "user-agent": "bench"},
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abc123",
			"http":      map[string]any{"method": "GET", "path": "/healthz", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "bench"},
			"requestId": "bench", "routeKey": "$default", "stage": "$default", "time": "04/Dec/2026:10:00:00 +0000", "timeEpoch": 1796378400000,
		},
		"isBase64Encoded": false,
	}
	b, _ := json.Marshal(ev)
	return b
}

type stubResult struct {
	init, cold, warm time.Duration
	answers          [2]string // "response: body" or "error: body"
}

// runStub execs the bootstrap against a Runtime API served here and times its
// init and two invocations of ev.
func runStub(boot string, env []string, ev []byte) (stubResult, error) {
	var (
		mu        sync.Mutex
		res       stubResult
		firstNext time.Time
		sent      [2]time.Time
		nexts     int
		done      = make(chan struct{})
		stop      = make(chan struct{})
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		i := nexts
		nexts++
		if i == 0 {
			firstNext = now
		}
		mu.Unlock()
		if i >= 2 { // the process waits for a third invocation: hold until it is killed
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", fmt.Sprintf("req-%d", i))
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(60*time.Second).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:sluice")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		w.Write(ev)
	})
	answer := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			now := time.Now()
			body, _ := io.ReadAll(r.Body)
			i, _ := strconv.Atoi(strings.TrimPrefix(r.PathValue("id"), "req-"))
			mu.Lock()
			if i == 0 {
				res.cold = now.Sub(sent[0])
			} else {
				res.warm = now.Sub(sent[1])
			}
			res.answers[min(i, 1)] = kind + ": " + truncate(string(body), 300)
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			if i == 1 {
				close(done)
			}
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", answer("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", answer("error"))
	initErr := make(chan string, 1)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		select {
		case initErr <- string(body):
		default:
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	defer close(stop)

	var out bytes.Buffer
	cmd := exec.Command(boot)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var failure error
	select {
	case <-done:
	case msg := <-initErr:
		failure = fmt.Errorf("init error: %s", msg)
	case err := <-exited:
		failure = fmt.Errorf("the bootstrap exited: %v", err)
	case <-time.After(60 * time.Second):
		failure = errors.New("timed out")
	}
	cmd.Process.Kill()
	if failure == nil {
		<-exited
	}
	if failure != nil {
		return res, fmt.Errorf("%w\n%s", failure, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	res.init = firstNext.Sub(start)
	return res, nil
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

var initDurationRE = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)

// runRIE runs the api function under aws-lambda-rie, one cold invocation per
// emulator process, and prints the emulator's Init Duration next to what this
// process observes: the time from starting the emulator to the answer.
func runRIE(tmp, boot string, env []string) error {
	rie, err := exec.LookPath("aws-lambda-rie")
	if err != nil {
		install := exec.Command("go", "install", rieModule)
		install.Env = append(os.Environ(), "GOBIN="+tmp)
		if out, err := install.CombinedOutput(); err != nil {
			return fmt.Errorf("installing: %v\n%s", err, out)
		}
		rie = filepath.Join(tmp, "aws-lambda-rie")
	}
	fmt.Printf("aws-lambda-rie (%s), api handler, GET /healthz, %d emulator processes:\n\n", filepath.Base(rie), *rieRuns)
	fmt.Println("| run | REPORT Init Duration (ms) | REPORT Duration (ms) | emulator start → first answer, observed (ms) |\n|---:|---:|---:|---:|")
	durRE := regexp.MustCompile(`REPORT.*?\tDuration: ([0-9.]+) ms`)
	for i := 1; i <= *rieRuns; i++ {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		api, err := freeAddr()
		if err != nil {
			return err
		}
		var out syncbuf.Buffer
		cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, "--log-level", "error", boot)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		var resp *http.Response
		for deadline := time.Now().Add(10 * time.Second); ; {
			resp, err = http.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(event("api")))
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		observed := time.Since(start)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The REPORT line follows the answer.
		var initMS, durMS string
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if m := initDurationRE.FindStringSubmatch(out.String()); m != nil {
				initMS = m[1]
				if d := durRE.FindStringSubmatch(out.String()); d != nil {
					durMS = d[1]
				}
				break
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if initMS == "" {
			initMS = "no REPORT line"
		}
		fmt.Printf("| %d | %s | %s | %.1f |\n", i, initMS, durMS, ms(observed))
		if i == 1 && *verbose {
			fmt.Printf("answer: %s\n%s\n", truncate(string(body), 300), out.String())
		}
	}
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// symbolSizes builds the host bootstrap with its symbol table and sums the
// sizes of its symbols by module (the standard library by package), the
// largest first.
func symbolSizes(tmp string, top int) error {
	bin := filepath.Join(tmp, "bootstrap-symbols")
	build := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", bin, "./cmd/sluice")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return err
	}
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		return err
	}
	sums := map[string]int64{}
	var total int64
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size == 0 || (f[2] != "T" && f[2] != "t") {
			continue // code only: data symbols include zeroed memory (.bss) that takes no room in the file
		}
		total += size
		sums[moduleOf(strings.Join(f[3:], " "))] += size
	}
	type kv struct {
		k string
		v int64
	}
	var list []kv
	for k, v := range sums {
		list = append(list, kv{k, v})
	}
	slices.SortFunc(list, func(a, b kv) int { return int(b.v - a.v) })
	if f, err := elf.Open(bin); err == nil {
		fmt.Printf("\nsections of the host binary (MB):")
		for _, sec := range f.Sections {
			if sec.Type != elf.SHT_NOBITS && sec.Size > 1e6 {
				fmt.Printf(" %s %.1f", sec.Name, float64(sec.Size)/1e6)
			}
		}
		f.Close()
		fmt.Println()
	}
	fmt.Printf("\ncode (.text) of the host binary by module (go tool nm -size, symbols of type T: %.1f MB in all):\n\n| module or package | MB |\n|---|---:|\n", float64(total)/1e6)
	for _, e := range list[:min(top, len(list))] {
		fmt.Printf("| %s | %.1f |\n", e.k, float64(e.v)/1e6)
	}
	return nil
}

// moduleOf maps a symbol name to its module (host/owner/repo, with a major
// version suffix) or, for the standard library and the runtime, its top-level
// package.
func moduleOf(sym string) string {
	sym = strings.TrimPrefix(sym, "type:")
	sym = strings.TrimPrefix(sym, "go:")
	sym = strings.TrimLeft(sym, "*[]()")
	if i := strings.IndexAny(sym, "(["); i > 0 {
		sym = sym[:i]
	}
	parts := strings.Split(sym, "/")
	if !strings.Contains(parts[0], ".") || len(parts) == 1 {
		p := strings.SplitN(parts[0], ".", 2)[0]
		if p == "" {
			return "(other)"
		}
		return "std: " + p
	}
	n := 3
	if parts[0] == "golang.org" || parts[0] == "google.golang.org" || parts[0] == "gopkg.in" {
		n = min(n, len(parts))
	}
	if parts[0] == "github.com" && len(parts) > 3 && (parts[1] == "aws" && parts[2] == "aws-sdk-go-v2") {
		n = 4 // the SDK's service modules
		if parts[3] == "service" && len(parts) > 4 {
			n = 5
		}
	}
	n = min(n, len(parts))
	last := strings.SplitN(parts[n-1], ".", 2)[0]
	mod := strings.Join(append(parts[:n-1:n-1], last), "/")
	if n < len(parts) && regexp.MustCompile(`^v[0-9]+$`).MatchString(strings.SplitN(parts[n], ".", 2)[0]) {
		mod += "/" + strings.SplitN(parts[n], ".", 2)[0]
	}
	return mod
}
