// Package serve runs what `sluice serve` runs beside the API: a worker that
// executes pipeline runs, a scheduler for the pipelines' schedule: and a watcher
// that starts a pipeline when files land in its local source folder.
package serve

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sluice-data/sluice/internal/api"
	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/spec"
)

// Job is one run to execute.
type Job struct {
	Pipeline    string
	RunID       string
	FullRefresh bool
	Trigger     string // api, schedule, watch
}

// Worker executes runs, Concurrency at a time. Runs of one pipeline are
// serialised by the engine's lock; the worker also never starts a pipeline that
// is already queued or running for the same trigger twice.
type Worker struct {
	Engine      *engine.Engine
	Pipelines   func(ctx context.Context) ([]*spec.Pipeline, error)
	Logger      *slog.Logger
	Concurrency int // default 2
	QueueSize   int // default 64
	// Done, when set, is called after every run (to refresh caches, evaluate
	// alerts, record metrics).
	Done func(*engine.Result, error)

	once   sync.Once
	queue  chan Job
	mu     sync.Mutex
	active map[string]*catalog.Run // by run id: queued or running
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Concurrency < 1 {
			w.Concurrency = 2
		}
		if w.QueueSize < 1 {
			w.QueueSize = 64
		}
		if w.Logger == nil {
			w.Logger = slog.New(slog.DiscardHandler)
		}
		w.queue = make(chan Job, w.QueueSize)
		w.active = map[string]*catalog.Run{}
	})
}

// Start runs the worker's goroutines until Stop. Runs get a context that Stop
// cancels once its grace period is over.
func (w *Worker) Start() {
	w.init()
	w.ctx, w.cancel = context.WithCancel(context.Background())
	for range w.Concurrency {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for job := range w.queue {
				w.execute(job)
			}
		}()
	}
}

// Stop stops taking jobs, lets running runs finish for up to grace, then
// cancels them: a cancelled run rolls back and leaves the target as it was.
// Queued runs that have not started are dropped.
func (w *Worker) Stop(grace time.Duration) {
	w.init()
	w.mu.Lock()
	for id, r := range w.active {
		if r.Status == "queued" {
			delete(w.active, id)
			w.Logger.Warn("dropping a queued run at shutdown", "run_id", id, "pipeline", r.Pipeline)
		}
	}
	close(w.queue)
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		w.Logger.Warn("runs still going at the end of the shutdown grace period: abandoning them (they roll back)", "grace", grace.String())
		w.cancel()
		<-done
	}
	if w.cancel != nil {
		w.cancel()
	}
}

// ErrQueueFull is returned by Submit when the queue is full.
var ErrQueueFull = errors.New("the run queue is full")

// Submit queues a job.
func (w *Worker) Submit(job Job) error {
	w.init()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil || w.ctx.Err() != nil {
		return errors.New("the server is shutting down")
	}
	r := &catalog.Run{ID: job.RunID, Pipeline: job.Pipeline, Trigger: job.Trigger, Status: "queued", StartedAt: time.Now().UTC()}
	select {
	case w.queue <- job:
		w.active[job.RunID] = r
		return nil
	default:
		return ErrQueueFull
	}
}

// Busy reports whether the pipeline has a queued or running run.
func (w *Worker) Busy(pipeline string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.active {
		if r.Pipeline == pipeline {
			return true
		}
	}
	return false
}

func (w *Worker) execute(job Job) {
	w.mu.Lock()
	r, ok := w.active[job.RunID]
	if ok {
		r.Status = "running"
	}
	w.mu.Unlock()
	if !ok {
		return
	}
	defer func() {
		w.mu.Lock()
		delete(w.active, job.RunID)
		w.mu.Unlock()
	}()
	res, err := w.run(job)
	if w.Done != nil {
		w.Done(res, err)
	}
}

func (w *Worker) run(job Job) (*engine.Result, error) {
	ps, err := w.Pipelines(w.ctx)
	if err != nil {
		w.Logger.Error("loading pipelines for a run", "pipeline", job.Pipeline, "run_id", job.RunID, "error", err)
		return nil, err
	}
	for _, p := range ps {
		if p.Name == job.Pipeline {
			res, err := w.Engine.Run(w.ctx, p, engine.Options{FullRefresh: job.FullRefresh, Trigger: job.Trigger, RunID: job.RunID})
			if err != nil {
				w.Logger.Error("run failed", "pipeline", job.Pipeline, "run_id", job.RunID, "error", err)
			}
			return res, err
		}
	}
	err = errors.New("pipeline " + job.Pipeline + " no longer exists")
	w.Logger.Error("run not started", "pipeline", job.Pipeline, "run_id", job.RunID, "error", err)
	return nil, err
}

// Start implements api.Runner.
func (w *Worker) StartRun(_ context.Context, pipeline, runID string, fullRefresh bool) error {
	err := w.Submit(Job{Pipeline: pipeline, RunID: runID, FullRefresh: fullRefresh, Trigger: "api"})
	if errors.Is(err, ErrQueueFull) {
		p := &api.Problem{Type: api.ProblemBase + "queue-full", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
			Detail: "the server's run queue is full: retry in a minute"}
		return p
	}
	return err
}

// Active implements api.Runner.
func (w *Worker) Active(runID string) (*catalog.Run, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.active[runID]
	if !ok {
		return nil, false
	}
	c := *r
	return &c, true
}

// Runner adapts the worker to api.Runner.
func (w *Worker) Runner() api.Runner { return runner{w} }

type runner struct{ w *Worker }

func (r runner) Start(ctx context.Context, pipeline, runID string, fullRefresh bool) error {
	return r.w.StartRun(ctx, pipeline, runID, fullRefresh)
}

func (r runner) Active(runID string) (*catalog.Run, bool) { return r.w.Active(runID) }
