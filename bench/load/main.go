// Command load measures `sluice run` end to end: it writes a CSV file of N rows,
// loads it into a fresh SQLite database with the real binary, and reports rows/s
// and the process's peak RSS. Run it for several sizes to show that memory does
// not grow with the file:
//
//	go run ./bench/load -rows 1000000 -rows 2000000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type sizes []int

func (s *sizes) String() string { return fmt.Sprint(*s) }
func (s *sizes) Set(v string) error {
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	*s = append(*s, n)
	return err
}

func main() {
	var rows sizes
	flag.Var(&rows, "rows", "rows to load (repeatable); default 1000000")
	repeat := flag.Int("repeat", 1, "runs per size (the best is reported)")
	flag.Parse()
	if len(rows) == 0 {
		rows = sizes{1_000_000}
	}
	if err := run(rows, *repeat); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(rows []int, repeat int) error {
	tmp, err := os.MkdirTemp("", "sluice-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "sluice")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/sluice")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building sluice: %w", err)
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Printf("%10s %10s %10s %12s %12s\n", "rows", "MB", "seconds", "rows/s", "peak RSS MB")
	for _, n := range rows {
		dir := filepath.Join(tmp, strconv.Itoa(n))
		size, err := project(dir, n)
		if err != nil {
			return err
		}
		best := time.Duration(0)
		var rss int64
		for i := 0; i < repeat; i++ {
			os.Remove(filepath.Join(dir, "sluice.db"))
			os.Remove(filepath.Join(dir, "sluice.db-wal"))
			cmd := exec.Command(bin, "run", "--project", dir, "--all", "--json")
			cmd.Stderr = os.Stderr
			start := time.Now()
			out, err := cmd.Output()
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("sluice run: %w\n%s", err, out)
			}
			if !strings.Contains(string(out), fmt.Sprintf(`"rows_loaded":%d`, n)) {
				return fmt.Errorf("unexpected summary: %s", out)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			if best == 0 || d < best {
				best = d
			}
			rss = max(rss, ru.Maxrss/1024)
		}
		fmt.Printf("%10d %10.1f %10.2f %12.0f %12d\n", n, float64(size)/1e6, best.Seconds(), float64(n)/best.Seconds(), rss)
	}
	return nil
}

// project writes a project with one pipeline over a CSV file of n rows.
func project(dir string, n int) (int64, error) {
	if err := os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "data", "in"), 0o755); err != nil {
		return 0, err
	}
	spec := `version: 1
name: orders
source: {path: in/, pattern: "*.csv"}
transform:
  - cast: {order_id: bigint, customer_id: bigint, amount: 'decimal(12,2)', ordered_at: timestamp('%Y-%m-%d %H:%M:%S')}
  - derive: {country: "upper(country)"}
target: {table: orders, mode: append}
`
	if err := os.WriteFile(filepath.Join(dir, "pipelines", "orders.yaml"), []byte(spec), 0o644); err != nil {
		return 0, err
	}
	f, err := os.Create(filepath.Join(dir, "data", "in", "orders.csv"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "order_id,customer_id,amount,status,country,ordered_at")
	countries := []string{"fr", "de", "es", "it", "pt", "nl"}
	statuses := []string{"placed", "shipped", "delivered", "cancelled"}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "%d,%d,%d.%02d,%s,%s,2026-%02d-%02d %02d:%02d:%02d\n", i, i%50000, i%10000, i%100,
			statuses[i%4], countries[i%6], i%12+1, i%28+1, i%24, i%60, (i*7)%60)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
