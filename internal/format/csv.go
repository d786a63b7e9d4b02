package format

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// csvDecoder reads CSV and TSV: RFC 4180 with a configurable delimiter, quote
// and escape character, line by line from a buffered reader (see parse).
//
// Each record's unescaped text lies in the read buffer (no quotes) or is built
// in one reused buffer, and becomes a single string from which the fields are
// sliced: decoding allocates that string per record, plus what storing a
// non-empty string in an interface costs, and nothing else.
//
// Choices beyond RFC 4180, all lenient like Python's csv module:
//   - A quote opens a quoted field only at the start of a field. Anywhere else it
//     is ordinary text (5"2 reads 5"2), and the text between a closing quote and
//     the next delimiter is kept ("x"y reads xy).
//   - Line breaks inside quotes are kept as written (LF or CRLF). The record's own
//     line break (LF, CRLF, or a CR ending the file) is not part of its last field.
//   - Blank lines are skipped, as pandas does.
//   - Null values are compared after unquoting, so with the default null values
//     both an empty field and "" are NULL (as in pandas); NullValues: []string{}
//     keeps every field a string.
//
// A record is a RecordError, and decoding goes on, when its number of fields
// differs from the header's (or the first record's, without a header), when it
// is not valid UTF-8 (UTF-8 files only), when a quote is still open at the end of
// the file (the rest of the file is that one record), or when it is longer than
// MaxRecordBytes (decoding resumes on the next line).
type csvDecoder struct {
	in       *lineReader
	delim    []byte           // in the file's encoding
	quote    []byte           // nil: no quoting
	escape   []byte           // nil: no escape character
	cm       *charmap.Charmap // nil: UTF-8
	nulls    []string
	maxBytes int

	cols  []string
	width int // fields per record; -1 until the first record without a header
	done  bool

	// The record being decoded.
	start   int64  // line on which it starts
	first   []byte // its first line, in the read buffer: valid until the next read
	multi   bool   // whether it spans lines; raw then holds its text
	raw     []byte // its raw text up to maxRawBytes, when multi
	size    int    // its raw size so far
	buf     []byte // its unescaped text, when it contains quotes
	text    []byte // its unescaped text: first's body or buf
	fields  []span // its fields in text
	decoded []byte // text converted to UTF-8 (single-byte encodings)
}

// span is a field's bounds in a record's text.
type span struct{ start, end int }

func newCSV(r io.Reader, opts Options) (*csvDecoder, error) {
	cm, err := charmapFor(opts.Encoding)
	if err != nil {
		return nil, err
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
		if opts.Format == "tsv" {
			delim = '\t'
		}
	}
	d := &csvDecoder{cm: cm, maxBytes: opts.maxRecordBytes(), width: -1}
	if d.delim, err = special("delimiter", delim, cm); err != nil {
		return nil, err
	}
	if !opts.NoQuote {
		quote := opts.Quote
		if quote == 0 {
			quote = '"'
		}
		if quote == delim {
			return nil, fmt.Errorf("csv: the quote %q is also the delimiter", quote)
		}
		if d.quote, err = special("quote", quote, cm); err != nil {
			return nil, err
		}
		if opts.Escape != 0 && opts.Escape != quote {
			if d.escape, err = special("escape", opts.Escape, cm); err != nil {
				return nil, err
			}
		}
	}
	d.nulls = opts.NullValues
	if d.nulls == nil {
		d.nulls = []string{""}
	}
	d.in = newLineReader(r, d.maxBytes)
	if !opts.NoHeader {
		if err := d.readHeader(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// special encodes a delimiter, quote or escape character for the file.
func special(what string, r rune, cm *charmap.Charmap) ([]byte, error) {
	if r == '\n' || r == '\r' {
		return nil, fmt.Errorf("csv: the %s cannot be a line break", what)
	}
	b, ok := encodeRune(r, cm)
	if !ok {
		return nil, fmt.Errorf("csv: the %s %q cannot be written in the file's encoding", what, r)
	}
	return b, nil
}

func (d *csvDecoder) readHeader() error {
	err := d.parse()
	if err == io.EOF {
		d.done = true
		return nil
	}
	if re, ok := err.(*RecordError); ok {
		return fmt.Errorf("csv header on line %d: %s", re.Loc, re.Reason)
	}
	if err != nil {
		return fmt.Errorf("reading the csv header: %w", err)
	}
	text, bad := d.utf8Text()
	if bad >= 0 {
		return fmt.Errorf("csv header on line %d: %s", d.start, invalidUTF8)
	}
	s := string(text)
	d.cols = make([]string, len(d.fields))
	for i, f := range d.fields {
		if d.cols[i] = s[f.start:f.end]; d.cols[i] == "" {
			d.cols[i] = "column_" + strconv.Itoa(i+1)
		}
	}
	d.width = len(d.fields)
	return nil
}

const invalidUTF8 = "invalid UTF-8; if the file is not UTF-8, set its encoding (latin-1 or windows-1252)"

// Columns returns the header's names (an empty one is column_N), or column_1 …
// column_N without a header.
func (d *csvDecoder) Columns() []string { return d.cols }

// Offset returns the number of input bytes consumed.
func (d *csvDecoder) Offset() int64 { return d.in.offset() }

// Next decodes the next record.
func (d *csvDecoder) Next(rec *Record) error {
	if d.done {
		return io.EOF
	}
	if err := d.parse(); err != nil {
		var re *RecordError
		if errors.As(err, &re) {
			return err
		}
		d.done = true
		if err == io.EOF {
			return io.EOF
		}
		return fmt.Errorf("reading line %d: %w", d.in.line+1, err)
	}
	if d.width < 0 {
		d.width = len(d.fields)
		d.cols = make([]string, d.width)
		for i := range d.cols {
			d.cols[i] = "column_" + strconv.Itoa(i+1)
		}
	}
	if len(d.fields) != d.width {
		return d.reject("", fmt.Sprintf("expected %d %s, found %d", d.width, plural(d.width, "field"), len(d.fields)))
	}
	text, bad := d.utf8Text()
	if bad >= 0 {
		return d.reject(d.cols[bad], invalidUTF8)
	}
	s := string(text)
	vals := rec.Values[:0]
	for _, f := range d.fields {
		if v := s[f.start:f.end]; d.isNull(v) {
			vals = append(vals, nil)
		} else {
			vals = append(vals, v)
		}
	}
	rec.Values, rec.Loc = vals, d.start
	return nil
}

func (d *csvDecoder) isNull(v string) bool {
	for _, n := range d.nulls {
		if v == n {
			return true
		}
	}
	return false
}

// utf8Text returns the record's text in UTF-8, converting it (and its fields'
// bounds) from a single-byte encoding. In a UTF-8 file it checks the text and
// returns the index of the first field that is not valid UTF-8, or -1.
func (d *csvDecoder) utf8Text() (text []byte, bad int) {
	if d.cm == nil {
		if utf8.Valid(d.text) {
			return d.text, -1
		}
		for i, f := range d.fields {
			if !utf8.Valid(d.text[f.start:f.end]) {
				return nil, i
			}
		}
		return nil, 0 // unreachable: delimiters are valid UTF-8
	}
	if isASCII(d.text) {
		return d.text, -1
	}
	d.decoded = d.decoded[:0]
	for i, f := range d.fields {
		start := len(d.decoded)
		d.decoded = appendDecoded(d.decoded, d.text[f.start:f.end], d.cm)
		d.fields[i] = span{start, len(d.decoded)}
	}
	return d.decoded, -1
}

// reject returns a RecordError for the current record.
func (d *csvDecoder) reject(column, reason string) *RecordError {
	raw := d.first
	if d.multi {
		raw = d.raw
	}
	re := &RecordError{Loc: d.start, Column: column, Reason: reason}
	if d.cm != nil {
		re.Raw = rawText(appendDecoded(nil, trimEOL(raw), d.cm))
	} else {
		re.Raw = rawText(raw)
	}
	return re
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
