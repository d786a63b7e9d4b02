// Package engine runs pipelines: plan → extract → transform → stage → commit.
// It lists the source objects, skips those the file ledger has already loaded,
// streams the others through the format decoders and the compiled transform into
// the sink's staging area in batches, and applies, records and commits the run in
// one transaction. Bad rows go to the rejects file; nothing is half-written.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/obs/metrics"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
	"github.com/sluice-data/sluice/internal/transform"
)

// Storage lists and reads source objects and writes rejects. OpenAt opens an
// object for random access, as Parquet files need; *source.Router is one.
type Storage interface {
	List(ctx context.Context, root, pattern string) ([]source.Object, error)
	Open(ctx context.Context, obj source.Object) (io.ReadCloser, error)
	OpenAt(ctx context.Context, obj source.Object) (source.File, error)
	Create(ctx context.Context, rawURL string) (io.WriteCloser, error)
}

// Engine runs pipelines against one database and one storage.
type Engine struct {
	DB         sink.DB
	Storage    Storage
	StorageURL string        // the project's storage root (for relative source paths and rejects)
	Logger     *slog.Logger  // default: discard
	LockWait   time.Duration // how long a run waits for its pipeline's lock; default 30s
	BatchRows  int           // rows per staging write; default 10000
	SampleRows int           // rows buffered to infer types; default 5000
	// Progress, when set, is called as rows flow (about every 10,000 rows and at
	// each file's end) from the goroutine running the pipeline.
	Progress func(Progress)
	Now      func() time.Time // default time.Now
	// Metrics records every finished run that is not a dry run; default none.
	Metrics RunRecorder
}

// RunRecorder records finished runs; *metrics.Metrics is one.
type RunRecorder interface {
	RunFinished(pipeline, status string, c metrics.RunCounts, d time.Duration)
}

// Progress is a snapshot of a running pipeline.
type Progress struct {
	Pipeline  string
	File      string // key of the file being read
	FileIndex int    // 1-based
	Files     int
	Rows      int64 // rows read so far in the run
	Bytes     int64 // bytes read so far in the run
	Done      bool  // the run has finished reading
}

// Options change one run.
type Options struct {
	FullRefresh bool   // reload every file, whatever the ledger says
	DryRun      bool   // do everything, then roll back
	Trigger     string // what started the run: cli, schedule, s3, api; default cli
	// RunID names the run; default a new UUIDv7. A caller that must answer before
	// the run starts (the API's 202) chooses the id itself.
	RunID string
	// StopAt, when set, is the time after which the run takes no new file: the
	// files read by then are applied and committed as a partial run (status
	// partial) and the others are left, still absent from the ledger, for the
	// next run. A file is not started when the slowest file of the run so far
	// would end past StopAt. A replace run is one unit and ignores StopAt.
	StopAt time.Time
}

// Result is a run's outcome.
type Result struct {
	catalog.Run
	DurationMS int64        `json:"duration_ms"`
	Deduped    int64        `json:"rows_deduped"`
	DDL        []string     `json:"ddl,omitempty"`
	FileList   []FileResult `json:"file_list,omitempty"`
	Table      string       `json:"table"`
	DryRun     bool         `json:"dry_run,omitempty"`
	Message    string       `json:"message,omitempty"`
}

// FileResult is one source file of a run.
type FileResult struct {
	URL      string `json:"url"`
	Key      string `json:"key"`
	Size     int64  `json:"size"`
	Rows     int64  `json:"rows"`
	Rejected int64  `json:"rejected"`
	Reason   string `json:"reason"` // new, changed, full refresh, replace
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Run runs one pipeline. The returned Result is filled even when err is not nil
// (its Status is failed and Error says why); the failed run is recorded in the
// run history.
func (e *Engine) Run(ctx context.Context, p *spec.Pipeline, opts Options) (*Result, error) {
	runID := opts.RunID
	if runID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		runID = id.String()
	}
	var err error
	if opts.Trigger == "" {
		opts.Trigger = "cli"
	}
	// Every line of the run carries its id and pipeline, and what the context
	// carries (the API request or Lambda invocation that started it).
	log := obs.With(ctx, e.logger(), slog.String(obs.KeyRunID, runID), slog.String(obs.KeyPipeline, p.Name))
	var r *run
	staged := false // set when a direct stage asked for a staging table
	for attempt := 1; ; attempt++ {
		r = &run{
			e:      e,
			p:      p,
			opts:   opts,
			staged: staged,
			log:    log,
			res: &Result{Run: catalog.Run{
				ID: runID, Pipeline: p.Name, Trigger: opts.Trigger, StartedAt: e.now(),
			}, Table: p.Target.Table, DryRun: opts.DryRun},
		}
		err = r.execute(ctx)
		if errors.Is(err, sink.ErrRestage) && !staged {
			r.log.Info("the run needs a staging table; running again, staged", "reason", err)
			staged, attempt = true, attempt-1
			continue
		}
		// A run is atomic, so a transient database failure (lost connection,
		// failover, serialization failure, deadlock) is safe to retry whole.
		if err == nil || !sink.IsTransient(err) || ctx.Err() != nil {
			break
		}
		if attempt == maxAttempts {
			err = fmt.Errorf("the database failed %d times in a row, so the run gave up; nothing was committed: run it again once the database is reachable: %w", attempt, err)
			break
		}
		wait := time.Duration(attempt*attempt) * 500 * time.Millisecond
		r.log.Warn("transient database error; retrying the run", "attempt", attempt, "wait", wait, "error", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	res := r.res
	res.FinishedAt = e.now()
	res.DurationMS = res.FinishedAt.Sub(res.StartedAt).Milliseconds()
	if err != nil {
		// Errors can quote a database URL with its password: never store or
		// print one.
		err = redactedError{err}
		res.Status = catalog.StatusFailed
		res.Error = err.Error()
		defer r.finish(err)
		// A run that never got its lock did not start: it is not recorded (with
		// SQLite, the lock holder would also block the write).
		if !opts.DryRun && !errors.Is(err, sink.ErrLocked) {
			// Recorded outside the rolled-back transaction, so the failure is visible.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if rerr := e.DB.Catalog().InsertRun(rctx, e.DB.Catalog().DB(), &res.Run); rerr != nil {
				r.log.Error("recording the failed run", "error", rerr)
			}
		}
		return res, err
	}
	r.finish(nil)
	return res, nil
}

// Compile checks a pipeline's transform without running it.
func Compile(p *spec.Pipeline) error {
	_, err := transform.Compile(p)
	return err
}

// maxAttempts bounds the retries of a run that failed transiently.
const maxAttempts = 3
