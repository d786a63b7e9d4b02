package mysql_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
	tx.Rollback(ctx)
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows after rollback: %d %v", n, err)
	}
}
