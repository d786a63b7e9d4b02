package format

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/charmap"
)

// jsonlDecoder reads JSON Lines: one object per line. Lines holding only white
// space are skipped; any other line that is not one JSON object (an array, two
// objects, invalid JSON) is a RecordError. Offset is exact for UTF-8 input and
// approximate for single-byte encodings, which are decoded before parsing.
type jsonlDecoder struct {
	objectReader
	in   *lineReader
	max  int
	done bool
}

func newJSONL(r io.Reader, opts Options) (*jsonlDecoder, error) {
	cm, err := charmapFor(opts.Encoding)
	if err != nil {
		return nil, err
	}
	max := opts.maxRecordBytes()
	return &jsonlDecoder{objectReader: newObjectReader(), in: newLineReader(decodeText(r, cm), max), max: max}, nil
}

// Offset returns the number of input bytes consumed.
func (d *jsonlDecoder) Offset() int64 { return d.in.offset() }

// Next decodes the next non-blank line.
func (d *jsonlDecoder) Next(rec *Record) error {
	if d.done {
		return io.EOF
	}
	for {
		line, tooLong, err := d.in.next()
		if err != nil {
			d.done = true
			if err == io.EOF {
				return io.EOF
			}
			return fmt.Errorf("reading line %d: %w", d.in.line+1, err)
		}
		if tooLong || len(line) > d.max {
			return &RecordError{Loc: d.in.line, Reason: fmt.Sprintf("line is longer than %d bytes", d.max), Raw: rawText(line)}
		}
		b := trimSpace(line)
		if len(b) == 0 {
			continue
		}
		if reason := d.object(b, false, rec); reason != "" {
			return &RecordError{Loc: d.in.line, Reason: reason, Raw: rawText(b)}
		}
		rec.Loc = d.in.line
		return nil
	}
}

// jsonArrayDecoder streams a top-level JSON array of objects element by element:
// json.Decoder holds one element at a time, never the whole array. A file that
// starts with an object instead is read as a sequence of objects (usually just
// one). An element that is not an object is a RecordError; invalid JSON ends the
// file with an error that gives the element and the byte offset.
type jsonArrayDecoder struct {
	objectReader
	src   *counter
	cm    *charmap.Charmap
	dec   *json.Decoder
	base  int64 // input bytes before the JSON decoder's first
	array bool  // in a top-level array, rather than a sequence of objects
	n     int64 // elements read
	raw   json.RawMessage
	max   int
	done  bool
}

func newJSONArray(r io.Reader, opts Options) (*jsonArrayDecoder, error) {
	cm, err := charmapFor(opts.Encoding)
	if err != nil {
		return nil, err
	}
	br, src := newInput(decodeText(r, cm))
	d := &jsonArrayDecoder{objectReader: newObjectReader(), src: src, cm: cm, max: opts.maxRecordBytes()}
	first, err := firstByte(br)
	if err == io.EOF {
		d.done = true // an empty file: no records
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading JSON: %w", err)
	}
	d.base = src.n - int64(br.Buffered())
	d.dec = json.NewDecoder(br)
	d.dec.UseNumber()
	switch first {
	case '[':
		d.array = true
		if _, err := d.dec.Token(); err != nil {
			return nil, d.fail("at the start", err)
		}
	case '{':
	default:
		return nil, fmt.Errorf("expected a JSON array of objects, found %q at byte %d; for one object per line use format jsonl", first, d.base)
	}
	return d, nil
}

// firstByte skips white space and returns the next byte, leaving it unread.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !isSpace(c) {
			return c, br.UnreadByte()
		}
	}
}

// Offset returns the number of input bytes consumed: exact for UTF-8 input,
// approximate for single-byte encodings.
func (d *jsonArrayDecoder) Offset() int64 {
	if d.dec == nil || d.cm != nil {
		return d.src.n
	}
	return d.base + d.dec.InputOffset()
}

// Next decodes the next element.
func (d *jsonArrayDecoder) Next(rec *Record) error {
	if d.done {
		return io.EOF
	}
	if !d.dec.More() {
		d.done = true
		return d.end()
	}
	d.n++
	if err := d.dec.Decode(&d.raw); err != nil {
		d.done = true
		return d.fail(fmt.Sprintf("in element %d", d.n), err)
	}
	if len(d.raw) > d.max {
		return &RecordError{Loc: d.n, Reason: fmt.Sprintf("element is longer than %d bytes", d.max), Raw: rawText(d.raw)}
	}
	if reason := d.object(trimSpace(d.raw), true, rec); reason != "" {
		return &RecordError{Loc: d.n, Reason: reason, Raw: rawText(d.raw)}
	}
	rec.Loc = d.n
	return nil
}

// end checks the end of the input: the array's closing bracket, then only white
// space.
func (d *jsonArrayDecoder) end() error {
	where := fmt.Sprintf("after element %d", d.n)
	if d.array {
		if _, err := d.dec.Token(); err != nil {
			return d.fail(where, err)
		}
	}
	switch tok, err := d.dec.Token(); {
	case err == io.EOF:
		return io.EOF
	case err != nil:
		return d.fail(where, err)
	default:
		return fmt.Errorf("invalid JSON %s at byte %d: unexpected %v after the end of the array", where, d.base+d.dec.InputOffset(), tok)
	}
}

// fail describes invalid JSON or a read error, either of which ends the file.
func (d *jsonArrayDecoder) fail(where string, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON %s at byte %d: %w", where, d.base+se.Offset, err)
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return fmt.Errorf("invalid JSON %s: %w at byte %d", where, io.ErrUnexpectedEOF, d.src.n)
	}
	return fmt.Errorf("reading JSON %s: %w", where, err)
}
