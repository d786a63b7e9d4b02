// Package format decodes source files into a stream of records: CSV and TSV, JSON
// Lines and JSON arrays, with gzip or zstd compression and latin-1/windows-1252
// text encodings. Every decoder streams: memory depends on the longest record, not
// on the file.
package format

import (
	"errors"
	"fmt"
	"io"
)

// Record is one decoded source record. Values are aligned with the decoder's
// Columns() at the time the record was read; a record may be shorter than the
// column list (missing trailing values are NULL). A value is nil (NULL), string,
// json.Number, bool or record.JSON (nested objects and arrays).
type Record struct {
	Values []any
	// Loc locates the record in its file: the line on which it starts (CSV, TSV,
	// JSON Lines) or its 1-based index (JSON arrays).
	Loc int64
}

// Decoder reads records from one file.
type Decoder interface {
	// Columns returns the column names seen so far. The list only grows: a new key
	// in a later JSON record is appended at the end.
	Columns() []string
	// Next decodes the next record into rec, reusing rec.Values' storage. It
	// returns io.EOF after the last record, a *RecordError for a record that cannot
	// be decoded (the caller rejects it and calls Next again), or any other error,
	// which ends the file.
	Next(rec *Record) error
	// Offset returns the number of input bytes consumed so far (after decompression
	// and before character decoding), for progress reporting.
	Offset() int64
}

// RecordError is a record that could not be decoded. Decoding continues with the
// next record.
type RecordError struct {
	Loc    int64  // line or record number, as Record.Loc
	Column string // column concerned, if any
	Reason string // what is wrong, for a human
	Raw    string // the raw text of the record (truncated to 64 KiB)
}

func (e *RecordError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("record %d, column %q: %s", e.Loc, e.Column, e.Reason)
	}
	return fmt.Sprintf("record %d: %s", e.Loc, e.Reason)
}

// IsRecordError reports whether err is a *RecordError.
func IsRecordError(err error) bool {
	var re *RecordError
	return errors.As(err, &re)
}

// Options configures decoding. The zero value reads UTF-8 CSV with a header,
// comma-separated, double-quoted, with "" read as NULL.
type Options struct {
	Format         string   // csv | tsv | jsonl | json; required (see Detect)
	Delimiter      rune     // CSV: default ','; TSV: default '\t'
	Quote          rune     // default '"'; set NoQuote to disable quoting
	NoQuote        bool     // fields are never quoted
	Escape         rune     // 0: a doubled quote escapes a quote (RFC 4180); else this rune escapes the next one inside quotes
	NoHeader       bool     // the first row is data; columns are named column_1, column_2, …
	NullValues     []string // values read as NULL; nil means [""]
	Encoding       string   // utf-8 (default), latin-1 (iso-8859-1), windows-1252 (cp1252)
	MaxRecordBytes int      // a record longer than this is a RecordError; default 16 MiB
}

// Open returns a decoder reading r, which must already be decompressed (see
// Decompress).
func Open(r io.Reader, opts Options) (Decoder, error) {
	return open(r, opts)
}

func open(r io.Reader, opts Options) (Decoder, error) {
	switch opts.Format {
	case "csv", "tsv", "":
		return newCSV(r, opts)
	case "jsonl":
		return newJSONL(r, opts), nil
	case "json":
		return newJSONArray(r)
	}
	return nil, fmt.Errorf("unknown format %q: use csv, tsv, jsonl or json", opts.Format)
}
