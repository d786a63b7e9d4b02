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

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/sluice-data/sluice/internal/cli"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
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

// backend is a database the subprocess tests run against.
type backend struct {
	name   string
	prefix string // of Sluice's tables: sluice_ or sluice.
	driver string // database/sql driver to read the state
	// url returns the database URL of a new project in dir, and a DSN to read it.
	url func(t *testing.T, dir string) (url, dsn string)
}

var backends = []backend{
	{name: "sqlite", prefix: "sluice_", driver: "sqlite", url: func(t *testing.T, dir string) (string, string) {
		return "sqlite://./sluice.db", "file:" + filepath.Join(dir, "sluice.db") + "?_pragma=busy_timeout(10000)"
	}},
	{name: "postgres", prefix: "sluice.", driver: "pgx", url: func(t *testing.T, dir string) (string, string) {
		u := sinktest.PostgresDatabase(t, "pgx")
		return u, u
	}},
	{name: "mysql", prefix: "sluice_", driver: "mysql", url: func(t *testing.T, dir string) (string, string) {
		u := sinktest.MySQLDatabase(t, "mysql", mysql.DSN)
		dsn, err := mysql.DSN(u)
		if err != nil {
			t.Fatal(err)
		}
		return u, dsn
	}},
}

// project writes a project whose pipeline "big" appends data/in/*.csv, with a
// first file of first rows, and returns the DSN to read its database.
func (b backend) project(t *testing.T, first int) (dir, dsn string) {
	t.Helper()
	dir = t.TempDir()
	url, dsn := b.url(t, dir)
	os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755)
	os.WriteFile(filepath.Join(dir, "sluice.yaml"), []byte("version: 1\ndatabase: "+url+"\nstorage: file://./data\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pipelines", "big.yaml"), []byte(`version: 1
name: big
source: {path: in/, pattern: "*.csv"}
transform:
  - cast: {id: bigint, amount: 'decimal(10,2)', created: timestamp('%Y-%m-%d %H:%M:%S')}
target: {table: big, mode: append}
`), 0o644)
	writeBigCSV(t, filepath.Join(dir, "data", "in", "a.csv"), 1, first)
	return dir, dsn
}

type dbState struct {
	rows, distinct, sum int64
	ledger, runs        int64
}

func readState(t *testing.T, b backend, dsn string) dbState {
	t.Helper()
	db, err := sql.Open(b.driver, dsn)
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
	q(`SELECT count(*) FROM `+b.prefix+`files`, &s.ledger)
	q(`SELECT count(*) FROM `+b.prefix+`runs`, &s.runs)
	return s
}

// TestKillDuringRun kills `sluice run` with SIGKILL at random points of a large
// load and checks that the table, the ledger and the run history are exactly as
// before each kill; the final run then loads every row exactly once.
func TestKillDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testKillDuringRun(t, b) })
	}
}

func testKillDuringRun(t *testing.T, b backend) {
	const bigRows = 200_000
	setup := func() (string, string) {
		dir, dsn := b.project(t, 1000)
		if out, err := sluiceCmd(t, dir, "run", "big").CombinedOutput(); err != nil {
			t.Fatalf("first run: %v\n%s", err, out)
		}
		writeBigCSV(t, filepath.Join(dir, "data", "in", "b.csv"), 1001, bigRows)
		return dir, dsn
	}
	dir, dsn := setup()
	before := readState(t, b, dsn)
	if before.rows != 1000 || before.ledger != 1 || before.runs != 1 {
		t.Fatalf("state after the first run: %+v", before)
	}
	// Calibrate: time a complete run of a twin project, then kill at random points of it.
	calib, _ := setup()
	start := time.Now()
	if out, err := sluiceCmd(t, calib, "run", "big").CombinedOutput(); err != nil {
		t.Fatalf("calibration run: %v\n%s", err, out)
	}
	full := time.Since(start)
	t.Logf("a complete run takes %s", full)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills, runs := 0, int64(2)
	complete := dbState{rows: 1000 + bigRows, distinct: 1000 + bigRows, sum: int64(1000+bigRows) * int64(1001+bigRows) / 2, ledger: 2, runs: 2}
	for i := 0; i < 8; i++ {
		// Kill at a random point after the run has started reading the big file.
		cmd := sluiceCmd(t, dir, "run", "big", "--log-level", "info")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		reading := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			signalled := false
			for sc.Scan() {
				if !signalled && strings.Contains(sc.Text(), "reading file") && strings.Contains(sc.Text(), "b.csv") {
					close(reading)
					signalled = true
				}
			}
		}()
		delay := time.Duration(rng.Int64N(int64(full / 3)))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-reading:
		case err := <-done:
			t.Fatalf("run %d ended before reading the file: %v", i, err)
		}
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
		after := readState(t, b, dsn)
		if after == complete {
			// The run committed just before the kill: all of it, which is as atomic.
			t.Logf("kill %d after %s came after the commit", i, delay)
			kills--
			runs = 3
			goto final
		}
		if after != before {
			t.Fatalf("kill %d after %s left a partial state: before %+v, after %+v", i, delay, before, after)
		}
	}
final:
	t.Logf("%d kills during the run left the database unchanged", kills)
	if kills == 0 {
		t.Fatal("no kill happened during a run: the test proved nothing")
	}
	out, err := sluiceCmd(t, dir, "run", "big", "--json").Output()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	end := readState(t, b, dsn)
	want := complete
	want.runs = runs
	if end != want {
		t.Fatalf("after the final run: %+v, want %+v\n%s", end, want, out)
	}
	if !strings.Contains(string(out), `"status":"succeeded"`) {
		t.Errorf("final run summary: %s", out)
	}
}

// TestConcurrentRunsAreSerialised starts two runs of one pipeline at once: one
// loads the file, the other waits for it and then finds nothing new; no row is
// loaded twice.
func TestConcurrentRunsAreSerialised(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dir, dsn := b.project(t, 100_000)
			// Create the database first, so that both runs only race for the run lock.
			if out, err := sluiceCmd(t, dir, "runs").CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			type result struct {
				out []byte
				err error
			}
			results := make(chan result, 2)
			for i := 0; i < 2; i++ {
				go func() {
					out, err := sluiceCmd(t, dir, "run", "big", "--json").Output()
					results <- result{out, err}
				}()
			}
			var outs []string
			for i := 0; i < 2; i++ {
				r := <-results
				if r.err != nil {
					t.Fatalf("a concurrent run failed: %v\n%s", r.err, r.out)
				}
				outs = append(outs, string(r.out))
			}
			loaded := 0
			for _, o := range outs {
				if strings.Contains(o, `"rows_loaded":100000`) {
					loaded++
				} else if !strings.Contains(o, "nothing new to load") {
					t.Errorf("unexpected summary: %s", o)
				}
			}
			if loaded != 1 {
				t.Errorf("%d runs loaded the file, want 1:\n%s", loaded, strings.Join(outs, ""))
			}
			st := readState(t, b, dsn)
			if st.rows != 100_000 || st.distinct != 100_000 || st.ledger != 1 || st.runs != 2 {
				t.Errorf("state %+v", st)
			}
		})
	}
}

// TestLockWaitTimeout holds the database's write lock and checks that a run gives
// up after --lock-wait with a clear message and commits nothing.
func TestLockWaitTimeout(t *testing.T) {
	dir, _ := backends[0].project(t, 10)
	if out, err := sluiceCmd(t, dir, "runs").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := sluiceCmd(t, dir, "run", "big", "--lock-wait", "300ms").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "locked") {
		t.Fatalf("run under a held lock: %v\n%s", err, out)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("gave up after %s, before --lock-wait", waited)
	}
	conn.ExecContext(context.Background(), "ROLLBACK")
	var files int
	if err := db.QueryRow("SELECT count(*) FROM sluice_files").Scan(&files); err != nil || files != 0 {
		t.Errorf("ledger after the failed run: %d files, %v", files, err)
	}
}
