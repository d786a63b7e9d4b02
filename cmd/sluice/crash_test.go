package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sluice-data/sluice/internal/cli"
)

// TestMain lets the test binary act as the sluice command, so that subprocess
// tests run the real program without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("SLUICE_TEST_AS_MAIN") == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// sluiceCmd returns a command running sluice with args in dir.
func sluiceCmd(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SLUICE_TEST_AS_MAIN=1")
	return cmd
}

// writeBigCSV writes n rows with ids from first.
func writeBigCSV(t *testing.T, path string, first, n int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,name,amount,created")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(w, "%d,customer %d,%d.%02d,2026-01-%02d 10:00:00\n", i, i%977, i%5000, i%100, i%28+1)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

type dbState struct {
	rows, distinct, sum int64
	ledger, runs        int64
}

func readState(t *testing.T, dbPath string) dbState {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s dbState
	q := func(query string, dst *int64) {
		if err := db.QueryRow(query).Scan(dst); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT id), COALESCE(sum(id), 0) FROM big`).Scan(&s.rows, &s.distinct, &s.sum); err != nil {
		t.Fatal(err)
	}
	q(`SELECT count(*) FROM sluice_files`, &s.ledger)
	q(`SELECT count(*) FROM sluice_runs`, &s.runs)
	return s
}

// TestKillDuringRun kills `sluice run` with SIGKILL at random points of a large
// load and checks that the table, the ledger and the run history are exactly as
// before each kill; the final run then loads every row exactly once.
func TestKillDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755)
	os.WriteFile(filepath.Join(dir, "sluice.yaml"), []byte("version: 1\ndatabase: sqlite://./sluice.db\nstorage: file://./data\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pipelines", "big.yaml"), []byte(`version: 1
name: big
source: {path: in/, pattern: "*.csv"}
transform:
  - cast: {id: bigint, amount: 'decimal(10,2)', created: timestamp('%Y-%m-%d %H:%M:%S')}
target: {table: big, mode: append}
`), 0o644)
	writeBigCSV(t, filepath.Join(dir, "data", "in", "a.csv"), 1, 1000)
	if out, err := sluiceCmd(t, dir, "run", "big").CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	const bigRows = 200_000
	writeBigCSV(t, filepath.Join(dir, "data", "in", "b.csv"), 1001, bigRows)
	dbPath := filepath.Join(dir, "sluice.db")
	before := readState(t, dbPath)
	if before.rows != 1000 || before.ledger != 1 || before.runs != 1 {
		t.Fatalf("state after the first run: %+v", before)
	}

	// Calibrate: time a complete run on a copy, then kill at random points of it.
	calib := t.TempDir()
	if err := os.CopyFS(calib, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := sluiceCmd(t, calib, "run", "big").CombinedOutput(); err != nil {
		t.Fatalf("calibration run: %v\n%s", err, out)
	}
	full := time.Since(start)
	t.Logf("a complete run takes %s", full)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills, runs := 0, int64(2)
	for i := 0; i < 8; i++ {
		cmd := sluiceCmd(t, dir, "run", "big")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := full/20 + time.Duration(rng.Int64N(int64(full*17/20)))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		case err := <-done:
			// The run finished before the kill: the test would prove nothing more.
			if err != nil {
				t.Fatalf("run %d failed: %v", i, err)
			}
			t.Logf("run %d finished before its kill at %s", i, delay)
			runs = 3 // the final run below then finds nothing new, and says so
			goto final
		}
		after := readState(t, dbPath)
		if after != before {
			t.Fatalf("kill %d after %s changed the database: before %+v, after %+v", i, delay, before, after)
		}
	}
final:
	t.Logf("%d kills left the database unchanged", kills)
	out, err := sluiceCmd(t, dir, "run", "big", "--json").Output()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	end := readState(t, dbPath)
	want := dbState{rows: 1000 + bigRows, distinct: 1000 + bigRows, sum: int64(1000+bigRows) * int64(1001+bigRows) / 2, ledger: 2, runs: runs}
	if end != want {
		t.Fatalf("after the final run: %+v, want %+v\n%s", end, want, out)
	}
	if !strings.Contains(string(out), `"status":"succeeded"`) {
		t.Errorf("final run summary: %s", out)
	}
}
