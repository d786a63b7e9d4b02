package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
)

// TestLedgerLongURLs: S3 URLs can pass InnoDB's index limit; the ledger still
// keeps one entry per URL, replaced when the file is loaded again, and URLs that
// share a long prefix stay apart. A file without a modification time is stored.
func TestLedgerLongURLs(t *testing.T) {
	ctx := context.Background()
	db, err := mysql.Open(ctx, sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	prefix := "s3://bucket/" + strings.Repeat("k", 1500)
	now := time.Now().UTC().Truncate(time.Microsecond)
	put := func(run string, size int64) {
		t.Helper()
		tx, err := db.Begin(ctx, "p", run, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		files := []catalog.File{
			{Pipeline: "p", URL: prefix + "/a", Size: size, RunID: run, LoadedAt: now},
			{Pipeline: "p", URL: prefix + "/b", Size: size, ModTime: now, RunID: run, LoadedAt: now},
		}
		if err := tx.Record(ctx, files, nil, &catalog.Run{ID: run, Pipeline: "p", Trigger: "manual", Status: catalog.StatusSucceeded, StartedAt: now, FinishedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	put("run-1", 1)
	put("run-2", 2)
	got, err := db.Catalog().Ledger(ctx, db.SQL(), "p")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("ledger has %d entries, want 2", len(got))
	}
	a, b := got[prefix+"/a"], got[prefix+"/b"]
	if a.Size != 2 || a.RunID != "run-2" || !a.ModTime.IsZero() || b.Size != 2 || !b.ModTime.Equal(now) {
		t.Errorf("entries: %+v %+v", a, b)
	}
}
