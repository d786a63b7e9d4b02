package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/source"
)

// TestStopAtCommitsWholeFiles: a run past its StopAt commits the files it read
// as a partial run, and the next run loads exactly the others.
func TestStopAtCommitsWholeFiles(t *testing.T) {
	t.Parallel()
	eng, p, _, _ := setup(t, nil)
	dir, err := source.PathOf(eng.StorageURL)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		var b strings.Builder
		b.WriteString("id,amount\n")
		for j := range 100 {
			fmt.Fprintf(&b, "%d,%d.25\n", 1000+i*100+j, j)
		}
		if err := os.WriteFile(filepath.Join(dir, "in", fmt.Sprintf("b%d.csv", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// A StopAt already past: only the first file is read.
	res, err := eng.Run(ctx, p, engine.Options{StopAt: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != catalog.StatusPartial || res.Files != 1 || len(res.FileList) != 1 {
		t.Fatalf("first run: status %s, %d files (%d listed), want partial with 1: %s", res.Status, res.Files, len(res.FileList), res.Message)
	}
	if res.RowsRead != res.RowsLoaded+res.RowsRejected+res.RowsFiltered {
		t.Errorf("counts do not reconcile: %+v", res.Run)
	}
	first := res.FileList[0].Key
	var loaded int64 = res.RowsLoaded
	// A generous StopAt: every other file.
	res, err = eng.Run(ctx, p, engine.Options{StopAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != catalog.StatusSucceeded || res.Files != 5 {
		t.Fatalf("second run: status %s, %d files, want succeeded with 5: %s", res.Status, res.Files, res.Message)
	}
	for _, f := range res.FileList {
		if f.Key == first {
			t.Errorf("%s loaded twice", first)
		}
	}
	loaded += res.RowsLoaded
	var n int64
	if err := eng.DB.Catalog().DB().QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != loaded || n != 500+2 { // a.csv keeps 2 of its 6 rows
		t.Errorf("orders has %d rows, runs loaded %d, want 502", n, loaded)
	}
	runs, err := eng.DB.Catalog().Runs(ctx, catalog.RunFilter{Pipeline: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].Status != catalog.StatusPartial {
		t.Errorf("run history: %+v", runs)
	}
}
