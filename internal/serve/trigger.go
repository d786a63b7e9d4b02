package serve

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// Schedule computes a pipeline's next run (the schedule package's Schedule).
type Schedule interface {
	Next(after time.Time) time.Time
}

// Scheduler starts every pipeline that has a schedule: when it is due, as
// EventBridge would, in UTC.
type Scheduler struct {
	Worker *Worker
	Parse  func(expr string, anchor time.Time) (Schedule, error)
	Logger *slog.Logger
	Now    func() time.Time
	// MaxSleep is the longest the scheduler sleeps before it looks at the clock
	// again (suspends, clock changes); default a minute.
	MaxSleep time.Duration

	mu   sync.Mutex
	next map[string]time.Time
}

// Next returns the pipeline's next scheduled run.
func (s *Scheduler) Next(pipeline string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.next[pipeline]
	return t, ok
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Run schedules the pipelines until ctx ends.
func (s *Scheduler) Run(ctx context.Context, pipelines []*spec.Pipeline) error {
	scheds := map[string]Schedule{}
	start := s.now()
	s.mu.Lock()
	s.next = map[string]time.Time{}
	for _, p := range pipelines {
		if p.Schedule == "" {
			continue
		}
		sc, err := s.Parse(p.Schedule, start)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("pipeline %s: schedule %s: %w", p.Name, p.Schedule, err)
		}
		scheds[p.Name] = sc
		if t := sc.Next(start); !t.IsZero() {
			s.next[p.Name] = t
		}
	}
	s.mu.Unlock()
	for name := range scheds {
		t, _ := s.Next(name)
		s.Logger.Info("pipeline scheduled", "pipeline", name, "next_run", t)
	}
	for {
		s.mu.Lock()
		var soonest time.Time
		for _, t := range s.next {
			if soonest.IsZero() || t.Before(soonest) {
				soonest = t
			}
		}
		s.mu.Unlock()
		if soonest.IsZero() {
			<-ctx.Done()
			return nil
		}
		wait := soonest.Sub(s.now())
		maxSleep := s.MaxSleep
		if maxSleep <= 0 {
			maxSleep = time.Minute
		}
		wait = min(wait, maxSleep)
		if wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			continue
		}
		now := s.now()
		s.mu.Lock()
		var due []string
		for name, t := range s.next {
			if !t.After(now) {
				due = append(due, name)
				if n := scheds[name].Next(now); !n.IsZero() {
					s.next[name] = n
				} else {
					delete(s.next, name)
				}
			}
		}
		s.mu.Unlock()
		for _, name := range due {
			if s.Worker.Busy(name) {
				s.Logger.Warn("scheduled run skipped: the previous one is still going", "pipeline", name)
				continue
			}
			id, _ := uuid.NewV7()
			if err := s.Worker.Submit(Job{Pipeline: name, RunID: id.String(), Trigger: "schedule"}); err != nil {
				s.Logger.Error("scheduling a run", "pipeline", name, "error", err)
			}
		}
	}
}

// Watcher starts a pipeline without a schedule when files land in its local
// source folder: it lists the folder every Interval and, once a changed listing
// has been stable for one interval (the files are complete), queues a run. The
// ledger makes the run load only the new files.
type Watcher struct {
	Worker     *Worker
	Storage    *source.Router
	StorageURL string
	Interval   time.Duration // default 2s
	Logger     *slog.Logger
}

type watchState struct {
	seen    string // fingerprint of the last listing acted on
	pending string // fingerprint seen once, waiting to be stable
}

// Watchable reports whether the watcher serves the pipeline: no schedule and a
// local source.
func Watchable(p *spec.Pipeline, storageURL string) bool {
	root := source.Join(storageURL, p.Source.Path)
	return p.Schedule == "" && (strings.HasPrefix(root, "file://") || !strings.Contains(root, "://"))
}

// Run watches until ctx ends. The first listing is taken as already handled
// only when the pipeline has run before; otherwise its files start a run.
func (w *Watcher) Run(ctx context.Context, pipelines []*spec.Pipeline) {
	if w.Interval <= 0 {
		w.Interval = 2 * time.Second
	}
	var watched []*spec.Pipeline
	for _, p := range pipelines {
		if Watchable(p, w.StorageURL) {
			watched = append(watched, p)
			w.Logger.Info("watching for new files", "pipeline", p.Name, "path", source.Join(w.StorageURL, p.Source.Path), "pattern", p.Source.Pattern)
		}
	}
	if len(watched) == 0 {
		return
	}
	state := map[string]*watchState{}
	for _, p := range watched {
		state[p.Name] = &watchState{}
	}
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		for _, p := range watched {
			st := state[p.Name]
			objs, err := w.Storage.List(ctx, source.Join(w.StorageURL, p.Source.Path), p.Source.Pattern)
			if err != nil {
				continue // the folder may not exist yet
			}
			var b strings.Builder
			for _, o := range objs {
				fmt.Fprintf(&b, "%s\x00%d\x00%d\n", o.Key, o.Size, o.ModTime.UnixNano())
			}
			fp := b.String()
			switch {
			case fp == st.seen:
				st.pending = ""
			case fp != st.pending:
				st.pending = fp // changed: wait one interval for writes to finish
			case w.Worker.Busy(p.Name):
				// try again next tick
			default:
				id, _ := uuid.NewV7()
				if err := w.Worker.Submit(Job{Pipeline: p.Name, RunID: id.String(), Trigger: "watch"}); err != nil {
					w.Logger.Error("starting a run for new files", "pipeline", p.Name, "error", err)
					continue
				}
				w.Logger.Info("new files: run queued", "pipeline", p.Name, "run_id", id.String(), "files", len(objs))
				st.seen, st.pending = fp, ""
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
