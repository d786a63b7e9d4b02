package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/source"
)

// Reject is one line of a run's rejects file.
type Reject struct {
	RunID    string `json:"run_id"`
	Pipeline string `json:"pipeline"`
	File     string `json:"file"`
	Line     int64  `json:"line,omitempty"`   // line-based formats (CSV, TSV, JSON Lines)
	Record   int64  `json:"record,omitempty"` // JSON arrays and Parquet: the 1-based record index
	Column   string `json:"column,omitempty"`
	Reason   string `json:"reason"`
	Value    string `json:"value,omitempty"`
	Raw      string `json:"raw"` // the source record: its text, or its fields as a JSON object
}

// rejectsURL is where a run's rejects go: <storage>/_rejects/<pipeline>/<run-id>.jsonl.
func rejectsURL(storage, pipeline, runID string) string {
	return source.Join(storage, "_rejects/"+pipeline+"/"+runID+".jsonl")
}

// rejectWriter writes rejects as JSON Lines, creating the file on the first one.
type rejectWriter struct {
	storage  Storage
	url      string
	runID    string
	pipeline string
	wc       io.WriteCloser
	bw       *bufio.Writer
	enc      *json.Encoder
	closed   bool
}

func newRejectWriter(s Storage, url, runID, pipeline string) *rejectWriter {
	return &rejectWriter{storage: s, url: url, runID: runID, pipeline: pipeline}
}

func (w *rejectWriter) write(ctx context.Context, rj *Reject) error {
	if w.closed {
		return fmt.Errorf("rejects file %s is closed", w.url)
	}
	if w.wc == nil {
		wc, err := w.storage.Create(ctx, w.url)
		if err != nil {
			return fmt.Errorf("creating the rejects file %s: %w", w.url, err)
		}
		w.wc, w.bw = wc, bufio.NewWriterSize(wc, 64<<10)
		w.enc = json.NewEncoder(w.bw)
		w.enc.SetEscapeHTML(false)
	}
	rj.RunID, rj.Pipeline = w.runID, w.pipeline
	return w.enc.Encode(rj)
}

// Close flushes and completes the rejects file. It is safe to call twice.
func (w *rejectWriter) Close() error {
	if w.closed || w.wc == nil {
		w.closed = true
		return nil
	}
	w.closed = true
	if err := w.bw.Flush(); err != nil {
		w.wc.Close()
		return err
	}
	return w.wc.Close()
}

// reject records one rejected row and counts it.
func (r *run) reject(ctx context.Context, file string, loc int64, formatName, column, reason, value, raw string) error {
	r.res.RowsRejected++
	r.countReason(column, reason, value)
	rj := &Reject{File: file, Column: column, Reason: reason, Value: value, Raw: raw}
	if formatName == "json" || formatName == "parquet" { // records, not lines
		rj.Record = loc
	} else {
		rj.Line = loc
	}
	if err := r.rejects.write(ctx, rj); err != nil {
		return fmt.Errorf("writing a reject: %w", err)
	}
	return nil
}

// rawJSON renders a source record as a JSON object of its fields.
func rawJSON(cols []string, vals []any) string {
	m := make(map[string]any, len(cols))
	for i, c := range cols {
		var v any
		if i < len(vals) {
			v = vals[i]
		}
		switch x := v.(type) {
		case record.JSON:
			v = json.RawMessage(x)
		}
		m[c] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprint(vals)
	}
	return string(b)
}
