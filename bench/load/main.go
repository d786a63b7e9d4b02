// Command load measures `sluice run` end to end: it writes a CSV file of N rows,
// loads it into a fresh SQLite database with the real binary, and reports rows/s
// and the process's peak RSS. Run it for several sizes to show that memory does
// not grow with the file:
//
//	go run ./bench/load -rows 1000000 -rows 2000000
package main

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sluice-data/sluice/bench/harness"
)

func main() {
	var rows harness.Sizes
	flag.Var(&rows, "rows", "rows to load (repeatable); default 1000000")
	repeat := flag.Int("repeat", 1, "runs per size (the best is reported)")
	child := flag.String("baseline-child", "", "internal: run the Go baseline loader on this CSV file")
	flag.Parse()
	if *child != "" {
		if err := baselineLoad(*child, flag.Arg(0)); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		return
	}
	if len(rows) == 0 {
		rows = harness.Sizes{1_000_000}
	}
	if err := run(rows, *repeat); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(rows harness.Sizes, repeat int) error {
	tmp, err := os.MkdirTemp("", "sluice-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := harness.BuildSluice(tmp)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %s\n", harness.Machine())
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("%-22s %10s %8s %9s %11s %12s\n", "loader", "rows", "MB", "seconds", "rows/s", "peak RSS MB")
	for _, n := range rows {
		dir := filepath.Join(tmp, strconv.Itoa(n))
		size, err := project(dir, n)
		if err != nil {
			return err
		}
		csvPath := filepath.Join(dir, "data", "in", "orders.csv")
		db := filepath.Join(dir, "sluice.db")
		loaders := []struct {
			name string
			cmd  func() *exec.Cmd
		}{
			{"sluice run", func() *exec.Cmd { return exec.Command(bin, "run", "--project", dir, "--all", "--json") }},
			{"baseline: Go minimal", func() *exec.Cmd { return exec.Command(self, "-baseline-child", csvPath, db) }},
			{"baseline: sqlite3 CLI", func() *exec.Cmd {
				return exec.Command("sqlite3", db, ".mode csv", ".import "+csvPath+" orders")
			}},
		}
		var sluiceTime time.Duration
		for _, l := range loaders {
			if l.name == "baseline: sqlite3 CLI" {
				if _, err := exec.LookPath("sqlite3"); err != nil {
					continue
				}
			}
			r, err := harness.Measure(l.cmd, func() error {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(db + suffix)
				}
				return nil
			}, repeat)
			if err != nil {
				return fmt.Errorf("%s: %w", l.name, err)
			}
			best, rss := r.Wall, r.PeakRSS
			ratio := ""
			if sluiceTime == 0 {
				sluiceTime = best
			} else {
				ratio = fmt.Sprintf("  (sluice takes %.2fx its time)", sluiceTime.Seconds()/best.Seconds())
			}
			fmt.Printf("%-22s %10d %8.1f %9.2f %11.0f %12d%s\n", l.name, n, float64(size)/1e6, best.Seconds(), float64(n)/best.Seconds(), rss, ratio)
		}
	}
	return nil
}

// baselineLoad is the least a Go program can do to load the file with the same
// SQLite driver: encoding/csv, one transaction, batched multi-row prepared
// inserts, no types, no transform, no ledger.
func baselineLoad(csvPath, dbPath string) error {
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if _, err := tx.Exec("CREATE TABLE orders (" + strings.Join(header, ", ") + ")"); err != nil {
		return err
	}
	const per = 256
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(header)), ",") + ")"
	stmt, err := tx.Prepare("INSERT INTO orders VALUES " + strings.TrimSuffix(strings.Repeat(one+",", per), ","))
	if err != nil {
		return err
	}
	args := make([]any, 0, per*len(header))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		for _, v := range rec {
			args = append(args, v)
		}
		if len(args) == cap(args) {
			if _, err := stmt.Exec(args...); err != nil {
				return err
			}
			args = args[:0]
		}
	}
	for i := 0; i < len(args); i += len(header) {
		if _, err := tx.Exec("INSERT INTO orders VALUES "+one, args[i:i+len(header)]...); err != nil {
			return err
		}
	}
	return tx.Commit()
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
