package serve

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/schedule"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

func pipeline(t *testing.T, yaml string) *spec.Pipeline {
	t.Helper()
	p, err := spec.LoadPipeline("p.yaml", []byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSchedulerFires: a rate(1 minute) schedule on a fake clock queues runs
// when due, and the next run is reported.
func TestSchedulerFires(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	os.MkdirAll(filepath.Join(dir, "in"), 0o755)
	os.WriteFile(filepath.Join(dir, "in", "a.csv"), []byte("x\n1\n"), 0o644)
	p := pipeline(t, "version: 1\nname: every\nschedule: rate(1 minute)\nsource: {path: in/}\ntarget: {table: t}\n")
	var mu sync.Mutex
	var results []*engine.Result
	w := &Worker{
		Engine:    &engine.Engine{DB: db, Storage: source.NewRouter(), StorageURL: source.FileURL(dir)},
		Pipelines: func(context.Context) ([]*spec.Pipeline, error) { return []*spec.Pipeline{p}, nil },
		Done: func(r *engine.Result, err error) {
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		},
	}
	w.Start()
	// The clock runs 60× faster than real time from 10:00:30.
	start := time.Now()
	base := time.Date(2026, 11, 28, 10, 0, 30, 0, time.UTC)
	now := func() time.Time { return base.Add(time.Since(start) * 60) }
	s := &Scheduler{Worker: w, Logger: slog.New(slog.DiscardHandler), Now: now, MaxSleep: 10 * time.Millisecond,
		Parse: func(e string, a time.Time) (Schedule, error) { return schedule.Parse(e, a) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, []*spec.Pipeline{p}); close(done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(results)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d scheduled runs", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	next, ok := s.Next("every")
	if !ok || !next.After(base) || next.Second() != 0 {
		t.Errorf("next run %v %v", next, ok)
	}
	cancel()
	<-done
	w.Stop(time.Second)
	if results[0].Trigger != "schedule" || results[0].RowsLoaded != 1 || results[1].RowsLoaded != 0 {
		t.Errorf("runs: %+v %+v", results[0].Run, results[1].Run)
	}
}

// TestWorkerStopDropsQueued: runs queued but not started are dropped at
// shutdown, and nothing more is taken.
func TestWorkerStopDropsQueued(t *testing.T) {
	w := &Worker{Concurrency: 1}
	w.init()
	w.ctx, w.cancel = context.WithCancel(context.Background())
	if err := w.Submit(Job{Pipeline: "p", RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if !w.Busy("p") {
		t.Error("queued pipeline not busy")
	}
	if _, ok := w.Active("r1"); !ok {
		t.Error("queued run not active")
	}
	w.Stop(time.Second)
	if w.Busy("p") {
		t.Error("queued run kept after stop")
	}
	if err := w.Submit(Job{Pipeline: "p", RunID: "r2"}); err == nil {
		t.Error("submit after stop")
	}
}

// TestWorkerStopAbandons: a run still going when the grace period ends is
// cancelled and rolls back: the table stays as it was.
func TestWorkerStopAbandons(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	os.MkdirAll(filepath.Join(dir, "in"), 0o755)
	var sb strings.Builder
	sb.WriteString("id,v\n")
	for i := range 400000 {
		fmt.Fprintf(&sb, "%d,value %d\n", i, i)
	}
	os.WriteFile(filepath.Join(dir, "in", "big.csv"), []byte(sb.String()), 0o644)
	p := pipeline(t, "version: 1\nname: big\nsource: {path: in/}\ntarget: {table: big}\n")
	started := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	w := &Worker{
		Engine: &engine.Engine{DB: db, Storage: source.NewRouter(), StorageURL: source.FileURL(dir),
			Progress: func(engine.Progress) { once.Do(func() { close(started) }) }},
		Pipelines: func(context.Context) ([]*spec.Pipeline, error) { return []*spec.Pipeline{p}, nil },
		Done:      func(r *engine.Result, err error) { done <- err },
	}
	w.Start()
	if err := w.Submit(Job{Pipeline: "big", RunID: "01900000-0000-7000-8000-000000000001", Trigger: "api"}); err != nil {
		t.Fatal(err)
	}
	<-started
	w.Stop(time.Millisecond)
	if err := <-done; err == nil {
		t.Fatal("the abandoned run succeeded")
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'big'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table big exists after an abandoned run (%d, %v)", n, err)
	}
}
