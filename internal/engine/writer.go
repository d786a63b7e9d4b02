package engine

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/sluice-data/sluice/internal/sink"
)

// writer stages batches on its own goroutine, so that decoding and transforming
// the next batch overlaps with the database taking the previous one. Stage
// operations (adding or widening a column) go through the same queue, so they
// keep their order with the writes. Two batch buffers rotate between the engine
// and the writer; memory stays at two batches.
type writer struct {
	stage  sink.Stage
	jobs   chan job
	free   chan buffer
	done   chan struct{}
	err    error // the first error; read only after failed is set or done is closed
	failed atomic.Bool
	once   sync.Once
}

// buffer is one batch: its rows are slices of backing.
type buffer struct {
	rows    [][]any
	backing []any
}

type job struct {
	buf   *buffer
	fn    func() error
	reply chan error
}

func newWriter(ctx context.Context, st sink.Stage) *writer {
	w := &writer{stage: st, jobs: make(chan job, 1), free: make(chan buffer, 2), done: make(chan struct{})}
	w.free <- buffer{}
	go w.loop(ctx)
	return w
}

func (w *writer) loop(ctx context.Context) {
	defer close(w.done)
	for j := range w.jobs {
		var err error
		switch {
		case w.failed.Load():
			err = w.err
		case j.fn != nil:
			err = j.fn()
		default:
			err = w.stage.Write(ctx, j.buf.rows)
		}
		if err != nil && !w.failed.Load() {
			w.err = err
			w.failed.Store(true)
		}
		if j.buf != nil {
			w.free <- buffer{rows: j.buf.rows[:0], backing: j.buf.backing[:0]}
		}
		if j.reply != nil {
			j.reply <- err
		}
	}
}

// write hands a full batch to the writer and returns an empty buffer to fill.
func (w *writer) write(buf buffer) (buffer, error) {
	if w.failed.Load() {
		return buf, w.err
	}
	w.jobs <- job{buf: &buf}
	return <-w.free, nil
}

// do runs fn on the writer, after the writes queued before it.
func (w *writer) do(fn func() error) error {
	reply := make(chan error, 1)
	w.jobs <- job{fn: fn, reply: reply}
	return <-reply
}

// close waits for the queued writes and returns the first error.
func (w *writer) close() error {
	w.once.Do(func() { close(w.jobs) })
	<-w.done
	return w.err
}
