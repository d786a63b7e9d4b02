// Package format decodes source files into a stream of records: CSV and TSV, JSON
// Lines and JSON arrays, with gzip or zstd compression and latin-1/windows-1252
// text encodings, and Parquet (OpenParquet, read through random access). Every
// decoder streams: memory depends on the longest record (for Parquet, on one row
// group's pages), not on the file.
//
// A record that cannot be decoded is returned as a *RecordError that locates it
// (line or element number, column, raw text); the caller rejects it and goes on.
// Any other error ends the file. A UTF-8 byte order mark at the start of a file
// is skipped, whatever the format and encoding.
package format

import (
	"errors"
	"fmt"
	"io"
)

// Record is one decoded source record. Values are aligned with the decoder's
// Columns() at the time the record was read; a record may be shorter than the
// column list (missing trailing values are NULL). A value is nil (NULL), string,
// json.Number, bool or record.JSON (nested objects and arrays); Parquet decimals
// (and unsigned integers beyond int64) are record.Decimal, so that inference
// types them decimal(p,s) exactly rather than double, and Parquet's signed
// integers and doubles stay binary, int64 and float64 (no text to format and
// parse again on the way to the database).
type Record struct {
	Values []any
	// Loc locates the record in its file: the line on which it starts (CSV, TSV,
	// JSON Lines) or its 1-based index (JSON arrays, Parquet rows).
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

// Error formats the location, column and reason.
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
	// Format is csv, tsv, jsonl or json (see Detect); "" means csv. Parquet
	// needs random access: see OpenParquet.
	Format string
	// Delimiter separates fields; default ',' for csv and '\t' for tsv. It may be
	// any character of the file's encoding except a line break or the quote.
	Delimiter rune
	// Quote encloses fields that hold delimiters, quotes or line breaks; default
	// '"'. A doubled quote inside a quoted field is one quote character.
	Quote rune
	// NoQuote turns quoting off: quote characters are ordinary text.
	NoQuote bool
	// Escape, when not 0, escapes the next character inside a quoted field
	// (`\"` is a quote, `\\` a backslash); doubled quotes keep working. Outside
	// quotes it is ordinary text. Default 0: RFC 4180, only doubled quotes.
	Escape rune
	// NoHeader says that the first row is data; columns are then named
	// column_1 … column_N after the first record's width. Default false: the
	// first row holds the column names.
	NoHeader bool
	// NullValues are the field texts read as NULL; nil means [""], an empty
	// non-nil slice means none. A quoted field is compared like an unquoted one,
	// so with the default both an empty field and "" are NULL (as in pandas).
	NullValues []string
	// Encoding is the text encoding: utf-8 (default), latin-1 (also iso-8859-1,
	// latin1) or windows-1252 (cp1252). JSON formats accept it too, though JSON
	// is UTF-8 by definition.
	Encoding string
	// MaxRecordBytes bounds one record's raw size: a longer record is a
	// RecordError and its memory is not kept. Default 16 MiB.
	MaxRecordBytes int
}

// defaultMaxRecordBytes is Options.MaxRecordBytes' default.
const defaultMaxRecordBytes = 16 << 20

func (o Options) maxRecordBytes() int {
	if o.MaxRecordBytes > 0 {
		return o.MaxRecordBytes
	}
	return defaultMaxRecordBytes
}

// Open returns a decoder reading r, which must already be decompressed (see
// Decompress). A CSV header is read at once, so Open may return a read error or
// an error about the header; an empty input is no error, it gives no columns and
// no records.
func Open(r io.Reader, opts Options) (Decoder, error) {
	switch opts.Format {
	case "csv", "tsv", "":
		return newCSV(r, opts)
	case "jsonl":
		return newJSONL(r, opts)
	case "json":
		return newJSONArray(r, opts)
	}
	return nil, fmt.Errorf("unknown format %q: use csv, tsv, jsonl or json", opts.Format)
}
