package mysql_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// TestConnectionCut kills the run's connections again and again while it loads:
// the run fails with a clear error after its retries, nothing is committed, and
// the next run loads every row exactly once.
func TestConnectionCut(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 200k rows")
	}
	ctx := context.Background()
	url := sinktest.MySQLDatabase(t, "mysql", mysql.DSN)
	db, err := mysql.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	const rows = 200_000
	os.MkdirAll(filepath.Join(dir, "in"), 0o755)
	f, _ := os.Create(filepath.Join(dir, "in", "a.csv"))
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,name")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(w, "%d,name %d\n", i, i)
	}
	w.Flush()
	f.Close()
	p, err := spec.LoadPipeline("cut.yaml", []byte("version: 1\nname: cut\nsource: {path: in/}\ntransform:\n  - cast: {id: bigint}\ntarget: {table: cut, mode: merge, key: [id]}\n"), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	eng := &engine.Engine{DB: db, Storage: source.NewRouter(), StorageURL: source.FileURL(dir)}
	dsn, _ := mysql.DSN(url)
	admin, err := sql.Open("mysql", dsn)
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
			ids, err := admin.Query(`SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()`)
			if err != nil {
				continue
			}
			var list []int64
			for ids.Next() {
				var id int64
				ids.Scan(&id)
				list = append(list, id)
			}
			ids.Close()
			for _, id := range list {
				if _, err := admin.Exec(fmt.Sprintf("KILL CONNECTION %d", id)); err == nil {
					cuts.Add(1)
				}
			}
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
	if err := admin.QueryRow("SELECT COUNT(*) FROM sluice_files").Scan(&n); err != nil || n != 0 {
		t.Errorf("ledger after the failed run: %d, %v", n, err)
	}
	admin.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cut'").Scan(&n)
	if n == 1 { // MySQL's DDL commits by itself: the table may exist, but empty
		if err := admin.QueryRow("SELECT COUNT(*) FROM cut").Scan(&n); err != nil || n != 0 {
			t.Errorf("rows after the failed run: %d, %v", n, err)
		}
	}
	res, err = eng.Run(ctx, p, engine.Options{})
	if err != nil || res.RowsLoaded != rows {
		t.Fatalf("re-run: %v %+v", err, res)
	}
	if err := admin.QueryRow("SELECT COUNT(DISTINCT id) FROM cut").Scan(&n); err != nil || n != rows {
		t.Errorf("rows after the re-run: %d, %v", n, err)
	}
}

// TestDryRunChangesNothing: MySQL's DDL commits by itself, so a dry run (and
// `sluice plan`) must show the DDL without running it.
func TestDryRunChangesNothing(t *testing.T) {
	ctx := context.Background()
	url := sinktest.MySQLDatabase(t, "mysql", mysql.DSN)
	db, err := mysql.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "in"), 0o755)
	os.WriteFile(filepath.Join(dir, "in", "a.csv"), []byte("id,name\n1,a\n2,b\n"), 0o644)
	for _, mode := range []string{"append", "merge, key: [id]"} {
		p, err := spec.LoadPipeline("dry.yaml", []byte("version: 1\nname: dry\nsource: {path: in/}\ntarget: {table: dry, mode: "+mode+"}\n"), os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		eng := &engine.Engine{DB: db, Storage: source.NewRouter(), StorageURL: source.FileURL(dir)}
		res, err := eng.Run(ctx, p, engine.Options{DryRun: true})
		if err != nil || len(res.DDL) == 0 || res.RowsLoaded != 2 {
			t.Fatalf("%s: dry run: %v %+v", mode, err, res)
		}
		var n int
		db.SQL().QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'dry'").Scan(&n)
		if n != 0 {
			t.Errorf("%s: the dry run created the table", mode)
		}
	}
}
