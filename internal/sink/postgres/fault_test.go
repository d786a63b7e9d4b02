package postgres_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/postgres"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// TestLockNamesTheHolder: a second run of a pipeline waits for the lock, then
// fails with ErrLocked and the id of the run that holds it.
func TestLockNamesTheHolder(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, sinktest.PostgresDatabase(t, "pgx"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first, err := db.Begin(ctx, "orders", "run-one", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	start := time.Now()
	_, err = db.Begin(ctx, "orders", "run-two", 300*time.Millisecond)
	if !errors.Is(err, sink.ErrLocked) || !strings.Contains(err.Error(), "run run-one holds the lock of pipeline orders") {
		t.Fatalf("second Begin: %v", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Errorf("gave up before the lock wait")
	}
	// Another pipeline is not blocked.
	other, err := db.Begin(ctx, "customers", "run-three", 300*time.Millisecond)
	if err != nil {
		t.Fatalf("other pipeline: %v", err)
	}
	other.Rollback(ctx)
	first.Rollback(ctx)
	again, err := db.Begin(ctx, "orders", "run-four", 300*time.Millisecond)
	if err != nil {
		t.Fatalf("after the holder rolled back: %v", err)
	}
	again.Rollback(ctx)
}

func writeRows(t *testing.T, path string, n int) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,name,amount")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "%d,name %d,%d.%02d\n", i, i, i%1000, i%100)
	}
	w.Flush()
	f.Close()
}

// TestConnectionCut terminates the run's database session again and again while
// it loads: the run fails with a clear error after its retries, nothing is
// committed, and the next run loads every row exactly once.
func TestConnectionCut(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 300k rows")
	}
	ctx := context.Background()
	url := sinktest.PostgresDatabase(t, "pgx")
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	const rows = 300_000
	writeRows(t, filepath.Join(dir, "in", "a.csv"), rows)
	p, err := spec.LoadPipeline("cut.yaml", []byte("version: 1\nname: cut\nsource: {path: in/}\ntransform:\n  - cast: {id: bigint}\ntarget: {table: cut, mode: merge, key: [id]}\n"), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	eng := &engine.Engine{DB: db, Storage: source.NewRouter(), StorageURL: source.FileURL(dir)}

	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	stop := make(chan struct{})
	var cuts atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var n int64
			admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND application_name LIKE 'sluice run %' AND pid <> pg_backend_pid()`).Scan(&n)
			cuts.Add(n)
		}
	}()
	res, err := eng.Run(ctx, p, engine.Options{})
	close(stop)
	wg.Wait()
	if err == nil {
		t.Fatalf("the run survived %d connection cuts: %+v", cuts.Load(), res)
	}
	if !sink.IsTransient(err) {
		t.Errorf("error is not marked transient: %v", err)
	}
	t.Logf("%d cuts; the run failed with: %v", cuts.Load(), err)
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM sluice.files").Scan(&n); err != nil || n != 0 {
		t.Errorf("ledger after the failed run: %d, %v", n, err)
	}
	if err := admin.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_name = 'cut'").Scan(&n); err != nil || n != 0 {
		t.Errorf("the target table exists after the failed run (%d, %v)", n, err)
	}
	var status string
	if err := admin.QueryRow("SELECT status FROM sluice.runs").Scan(&status); err != nil || status != "failed" {
		t.Errorf("run record: %q, %v", status, err)
	}
	res, err = eng.Run(ctx, p, engine.Options{})
	if err != nil || res.RowsLoaded != rows {
		t.Fatalf("re-run: %v %+v", err, res)
	}
	if err := admin.QueryRow("SELECT count(DISTINCT id) FROM cut").Scan(&n); err != nil || n != rows {
		t.Errorf("rows after the re-run: %d, %v", n, err)
	}
}

// TestURLSettings: TLS and session settings come from the URL.
func TestURLSettings(t *testing.T) {
	ctx := context.Background()
	base := sinktest.PostgresDatabase(t, "pgx")
	sep := "&"
	if !strings.Contains(base, "?") {
		sep = "?"
	}
	db, err := postgres.Open(ctx, strings.Replace(base, "sslmode=disable", "sslmode=require", 1)+sep+"statement_timeout=200")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ssl bool
	if err := db.SQL().QueryRowContext(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Errorf("sslmode=require: ssl = %v, %v", ssl, err)
	}
	_, err = db.SQL().ExecContext(ctx, "SELECT pg_sleep(2)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" { // query_canceled
		t.Errorf("statement_timeout=200: %v", err)
	}
}
