package mysql_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
)

// TestLockNamesTheHolder: a second run of a pipeline waits for the lock, then
// fails with ErrLocked and the id of the run that holds it.
func TestLockNamesTheHolder(t *testing.T) {
	ctx := context.Background()
	db, err := mysql.Open(ctx, sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first, err := db.Begin(ctx, "orders", "run-one", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Begin(ctx, "orders", "run-two", time.Second)
	if !errors.Is(err, sink.ErrLocked) || !strings.Contains(err.Error(), "run run-one holds the lock of pipeline orders") {
		t.Fatalf("second Begin: %v", err)
	}
	other, err := db.Begin(ctx, "customers", "run-three", time.Second)
	if err != nil {
		t.Fatalf("other pipeline: %v", err)
	}
	other.Rollback(ctx)
	first.Rollback(ctx)
	again, err := db.Begin(ctx, "orders", "run-four", time.Second)
	if err != nil {
		t.Fatalf("after the holder rolled back: %v", err)
	}
	again.Rollback(ctx)
}

// TestRollbackLeavesNothing stages rows, applies them, records the run, then
// rolls back: no table, no ledger, no run.
func TestRollbackLeavesNothing(t *testing.T) {
	ctx := context.Background()
	db, err := mysql.Open(ctx, sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The table exists first, so that Apply runs no DDL (which would commit).
	if _, err := db.SQL().Exec(`CREATE TABLE t (id BIGINT PRIMARY KEY, name LONGTEXT)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx, "p", "run-x", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	cols := []record.Column{{Name: "id", Type: record.Bigint}, {Name: "name", Type: record.Text}}
	st, err := tx.Stage(ctx, cols, sink.StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(ctx, [][]any{{int64(1), "a\tb\\c\nd"}, {int64(2), nil}}); err != nil {
		t.Fatal(err)
	}
	existing, err := tx.Table(ctx, "", "t")
	if err != nil || existing == nil {
		t.Fatal(existing, err)
	}
	want := sink.Table{Name: "t", Columns: cols, Key: []string{"id"}}
	res, err := tx.Apply(ctx, &sink.Plan{Target: want, Existing: existing, Stage: st, Mode: sink.Merge, DedupeKey: []string{"id"}})
	if err != nil || res.Loaded != 2 {
		t.Fatalf("apply: %+v %v", res, err)
	}
	var name string
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM t`).Scan(&name); err != nil || name != "0" {
		t.Errorf("another session sees %s rows before the commit (%v)", name, err)
	}
	now := time.Now().UTC()
	files := []catalog.File{{Pipeline: "p", URL: "file:///in/a.csv", Size: 10, Rows: 2, RunID: "run-x", LoadedAt: now}} // no ModTime: NULL
	ds := &catalog.Dataset{Name: "t", Pipeline: "p", Key: []string{"id"}, RowCount: 2, LastLoadAt: now, LastRunID: "run-x"}
	run := &catalog.Run{ID: "run-x", Pipeline: "p", Trigger: "manual", Status: catalog.StatusSucceeded, StartedAt: now, FinishedAt: now, RowsLoaded: 2}
	if err := tx.Record(ctx, files, ds, run); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"t", "sluice_files", "sluice_datasets", "sluice_runs", "sluice_locks"} {
		var n int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s after rollback: %d rows, %v", table, n, err)
		}
	}
	// The lock is free again at once.
	again, err := db.Begin(ctx, "p", "run-y", 0)
	if err != nil {
		t.Fatalf("Begin after rollback: %v", err)
	}
	again.Rollback(ctx)
}

// TestLoadRefusesMangledValues: LOAD DATA LOCAL turns a bad value into a warning
// and a changed value; the stage must fail instead.
func TestLoadRefusesMangledValues(t *testing.T) {
	ctx := context.Background()
	db, err := mysql.Open(ctx, sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin(ctx, "p", "run-x", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	st, err := tx.Stage(ctx, []record.Column{{Name: "name", Type: record.Text}}, sink.StageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(ctx, [][]any{{"fine"}}); err != nil {
		t.Fatalf("valid text: %v", err)
	}
	err = st.Write(ctx, [][]any{{"caf\xe9 latin-1"}})
	if err == nil || !strings.Contains(err.Error(), "did not fit") {
		t.Fatalf("invalid UTF-8 was staged: %v", err)
	}
}

// TestLockNameLimit: GET_LOCK names stop at 64 characters; long pipeline names
// sharing a prefix still get different locks.
func TestLockNameLimit(t *testing.T) {
	long := strings.Repeat("x", 80)
	names := map[string]bool{}
	for _, n := range []string{
		mysql.LockName("shop", long+"a"), mysql.LockName("shop", long+"b"),
		mysql.LockName(long, "orders"), mysql.LockName(long+"y", "orders"),
		mysql.LockName("shop", "orders"), mysql.LockName("crm", "orders"), mysql.LockName("shop", ""),
	} {
		if len(n) > 64 || names[n] {
			t.Errorf("lock name %q: too long or shared", n)
		}
		names[n] = true
	}
	if got := mysql.LockName("shop", "orders"); got != "sluice:shop:orders" {
		t.Errorf("short name: %q", got)
	}
}
