package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
	"github.com/sluice-data/sluice/internal/transform"
)

// run is the state of one pipeline run.
type run struct {
	e        *Engine
	p        *spec.Pipeline
	opts     Options
	log      *slog.Logger
	res      *Result
	prog     *transform.Program
	tx       sink.Tx
	target   *sink.Table
	schema   *schema
	rejects  *rejectWriter
	files    []catalog.File
	staged   bool       // never write straight into the target
	final    sink.Table // the target after apply
	rowCount int64
	reasons  map[rejectReason]int64 // rejected rows by reason, logged when the run ends
}

func (r *run) execute(ctx context.Context) error {
	prog, err := transform.Compile(r.p)
	if err != nil {
		return fmt.Errorf("compiling %s: %w", r.p.File, err)
	}
	r.prog = prog

	root := source.Join(r.e.StorageURL, r.p.Source.Path)
	objs, err := r.e.Storage.List(ctx, root, r.p.Source.Pattern)
	if err != nil {
		return fmt.Errorf("listing source files: %w", err)
	}

	lockWait := r.e.LockWait
	if lockWait == 0 {
		lockWait = spec.DefaultLockWait
	}
	tx, err := r.e.DB.Begin(ctx, r.p.Name, r.res.ID, lockWait)
	if err != nil {
		return fmt.Errorf("starting run of pipeline %s: %w", r.p.Name, err)
	}
	r.tx = tx
	defer tx.Rollback(context.WithoutCancel(ctx))

	todo, err := r.selectFiles(ctx, objs)
	if err != nil {
		return err
	}
	r.res.Files = int64(len(todo))
	if len(todo) == 0 {
		r.res.Status = catalog.StatusSucceeded
		r.res.Message = fmt.Sprintf("nothing new to load: %d file(s) match and all are in the ledger", len(objs))
		if len(objs) == 0 {
			r.res.Message = fmt.Sprintf("no file matches %s under %s", r.p.Source.Pattern, source.Redact(root))
		}
		r.log.Info(r.res.Message)
		r.res.FinishedAt = r.e.now()
		if r.opts.DryRun {
			return nil
		}
		if err := tx.Record(ctx, r.files, nil, &r.res.Run); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}

	r.target, err = tx.Table(ctx, r.p.Target.Schema, r.p.Target.Table)
	if err != nil {
		return err
	}
	r.schema = newSchema(r, r.target)
	defer r.schema.close()
	r.rejects = newRejectWriter(r.e.Storage, rejectsURL(r.e.StorageURL, r.p.Name, r.res.ID), r.res.ID, r.p.Name)
	defer r.rejects.Close()

	loaded := len(todo)
	var slowest time.Duration
	for i, obj := range todo {
		if r.stopBefore(i, slowest) {
			loaded = i
			break
		}
		start := time.Now()
		if err := r.loadFile(ctx, i, len(todo), obj); err != nil {
			return err
		}
		slowest = max(slowest, time.Since(start))
	}
	if err := r.schema.flush(ctx); err != nil {
		return err
	}
	if r.e.Progress != nil {
		r.e.Progress(Progress{Pipeline: r.p.Name, Files: len(todo), FileIndex: len(todo), Rows: r.res.RowsRead, Bytes: r.res.BytesRead, Done: true})
	}
	if err := r.rejects.Close(); err != nil {
		return fmt.Errorf("writing rejects: %w", err)
	}
	if r.res.RowsRejected > 0 {
		r.res.RejectsURL = r.rejects.url
	}
	if err := r.checkQuality(); err != nil {
		return err
	}
	if err := r.apply(ctx); err != nil {
		return err
	}
	r.res.Status = catalog.StatusSucceeded
	if loaded < len(todo) {
		r.res.Status = catalog.StatusPartial
		r.res.Files = int64(loaded)
		r.res.Message = fmt.Sprintf("stopped before the deadline: %d of %d file(s) loaded and committed; the next run loads the other %d", loaded, len(todo), len(todo)-loaded)
		r.log.Warn(r.res.Message, "files_left", len(todo)-loaded)
	}
	r.res.FinishedAt = r.e.now()
	if r.opts.DryRun {
		r.log.Info("dry run: rolled back", "rows_read", r.res.RowsRead, "rows_loaded", r.res.RowsLoaded)
		return nil
	}
	var ds *catalog.Dataset
	if r.schema.stage != nil {
		ds = r.dataset()
	}
	if err := tx.Record(ctx, r.files, ds, &r.res.Run); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	return nil
}

// stopBefore reports whether the run should stop before file i because of
// Options.StopAt: the first file always starts (so every run makes progress),
// and a later one only when the slowest file so far would still end in time.
func (r *run) stopBefore(i int, slowest time.Duration) bool {
	if r.opts.StopAt.IsZero() || i == 0 || r.p.Target.Mode == string(sink.Replace) {
		return false
	}
	return time.Now().Add(slowest).After(r.opts.StopAt)
}

func (r *run) checkQuality() error {
	q := r.p.Quality.MaxRejectRatio
	if q == nil || r.res.RowsRead == 0 {
		return nil
	}
	ratio := float64(r.res.RowsRejected) / float64(r.res.RowsRead)
	if ratio > *q {
		where := ""
		if r.res.RejectsURL != "" {
			where = "; the rejected rows are in " + r.res.RejectsURL
		}
		return fmt.Errorf("reject ratio %.2f%% (%d of %d rows) is above quality.max_reject_ratio %.2f%%: nothing was committed%s",
			ratio*100, r.res.RowsRejected, r.res.RowsRead, *q*100, where)
	}
	return nil
}

// apply plans the schema changes and moves the staged rows into the target.
func (r *run) apply(ctx context.Context) error {
	st := r.schema
	if st.stage == nil { // no rows and no columns: nothing to apply
		return nil
	}
	key := idents(r.p.Target.Key)
	want := sink.Table{Schema: r.p.Target.Schema, Name: r.p.Target.Table, Columns: st.finalColumns(), Key: key}
	mode := sink.Mode(r.p.Target.Mode)
	if mode == "" {
		mode = sink.Append
	}
	changes, err := sink.Diff(r.target, want.Columns, key, mode, r.p.Target.SchemaEvolution == "strict")
	if err != nil {
		return fmt.Errorf("table %s: %w", want.Name, err)
	}
	plan := &sink.Plan{
		Target: want, Existing: r.target, Changes: changes, Stage: st.stage, Mode: mode,
	}
	if d := r.prog.Dedupe(); d != nil {
		plan.DedupeKey, plan.KeepFirst = d.Key, d.Keep == "first"
	} else if mode == sink.Merge {
		plan.DedupeKey = key // a key may appear once per merge: the last row wins
	}
	if dc, ok := r.tx.(sink.DDLCommitter); ok && dc.DDLCommits() && r.opts.DryRun {
		// The DDL would commit by itself: show it, change nothing.
		r.res.DDL = r.tx.DDL(plan)
		r.res.Message = "dry run: this database commits DDL immediately, so the DDL was not applied and rows_loaded counts staged rows before deduplication"
		r.res.RowsLoaded = r.res.RowsRead - r.res.RowsRejected - r.res.RowsFiltered
		r.final = sink.Final(r.target, want, changes)
		return nil
	}
	applied, err := r.tx.Apply(ctx, plan)
	if err != nil {
		return err
	}
	r.res.DDL = applied.DDL
	r.res.RowsLoaded = applied.Loaded
	r.res.RowsInserted = applied.Inserted
	r.res.RowsUpdated = applied.Updated
	r.res.Deduped = applied.Deduped
	r.res.RowsFiltered += applied.Deduped
	r.final = sink.Final(r.target, want, changes)
	r.rowCount = applied.RowCount
	return nil
}

func (r *run) dataset() *catalog.Dataset {
	ds := &catalog.Dataset{
		Name: r.final.Name, Schema: r.final.Schema, Pipeline: r.p.Name, Key: r.final.Key,
		RowCount: r.rowCount, LastLoadAt: r.e.now(), LastRunID: r.res.ID,
	}
	for _, c := range r.final.Columns {
		ds.Columns = append(ds.Columns, catalog.DatasetColumn{Name: c.Name, Type: c.Type.Base().String()})
	}
	return ds
}

func idents(ids []spec.Ident) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Name
	}
	return out
}
