package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/sluice-data/sluice/internal/record"
)

// objectReader turns JSON objects into records aligned with a growing column list:
// keys keep the order of their first appearance; a key missing from a record is
// NULL; nested objects and arrays become record.JSON.
type objectReader struct {
	cols  []string
	index map[string]int
}

func newObjectReader() objectReader { return objectReader{index: map[string]int{}} }

// Columns returns the union of keys seen so far.
func (o *objectReader) Columns() []string { return o.cols }

// object decodes one JSON object (raw) into rec.Values. It returns a reason when
// raw is not an object.
func (o *objectReader) object(raw []byte, rec *Record) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return "expected a JSON object", nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return "invalid JSON: " + err.Error(), nil
	}
	clear(rec.Values)
	rec.Values = rec.Values[:0]
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "invalid JSON: " + err.Error(), nil
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "invalid JSON: " + err.Error(), nil
		}
		i, ok := o.index[key]
		if !ok {
			i = len(o.cols)
			o.index[key] = i
			o.cols = append(o.cols, key)
		}
		for len(rec.Values) <= i {
			rec.Values = append(rec.Values, nil)
		}
		val, err := scalar(v)
		if err != nil {
			return "invalid JSON: " + err.Error(), nil
		}
		rec.Values[i] = val
	}
	if _, err := dec.Token(); err != nil {
		return "invalid JSON: " + err.Error(), nil
	}
	if dec.More() {
		return "unexpected data after the JSON object", nil
	}
	if _, err := dec.Token(); err != io.EOF {
		return "unexpected data after the JSON object", nil
	}
	return "", nil
}

// scalar converts one raw JSON value to a record value.
func scalar(v json.RawMessage) (any, error) {
	switch v[0] {
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return nil, err
		}
		return record.JSON(b.Bytes()), nil
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	}
	return json.Number(v), nil
}

// jsonlDecoder reads JSON Lines: one object per line; blank lines are skipped.
type jsonlDecoder struct {
	objectReader
	br   *bufio.Reader
	raw  *counter
	line int64
	max  int
}

func newJSONL(r io.Reader, opts Options) *jsonlDecoder {
	c := &counter{r: r}
	d := &jsonlDecoder{objectReader: newObjectReader(), br: bufio.NewReaderSize(c, 64<<10), raw: c, max: opts.MaxRecordBytes}
	if d.max <= 0 {
		d.max = 16 << 20
	}
	if b, err := d.br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		d.br.Discard(3)
	}
	return d
}

// Offset returns the input bytes consumed.
func (d *jsonlDecoder) Offset() int64 { return d.raw.n - int64(d.br.Buffered()) }

// Next decodes the next line.
func (d *jsonlDecoder) Next(rec *Record) error {
	for {
		line, err := d.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			full := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				if len(full) > d.max {
					return fmt.Errorf("line %d is longer than %d bytes", d.line+1, d.max)
				}
				line, err = d.br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(line) == 0 && err == io.EOF {
			return io.EOF
		}
		d.line++
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				return io.EOF
			}
			continue
		}
		rec.Loc = d.line
		reason, _ := d.object(line, rec)
		if reason != "" {
			return &RecordError{Loc: d.line, Reason: reason, Raw: truncate(line)}
		}
		return nil
	}
}

// jsonArrayDecoder streams a top-level JSON array of objects element by element
// (a single top-level object is one record).
type jsonArrayDecoder struct {
	objectReader
	dec    *json.Decoder
	raw    *counter
	n      int64
	single bool
	done   bool
	first  json.RawMessage
}

func newJSONArray(r io.Reader) (*jsonArrayDecoder, error) {
	c := &counter{r: r}
	br := bufio.NewReaderSize(c, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	d := &jsonArrayDecoder{objectReader: newObjectReader(), dec: json.NewDecoder(br), raw: c}
	d.dec.UseNumber()
	tok, err := d.dec.Token()
	if err == io.EOF {
		d.done = true
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("invalid JSON at byte %d: %w", d.dec.InputOffset(), err)
	}
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		// A single object: re-read it whole as the only record.
		d.single = true
	default:
		return nil, fmt.Errorf("expected a JSON array of objects, found %v; use format jsonl for one object per line", tok)
	}
	return d, nil
}

// Offset returns the input bytes consumed (approximately, by the JSON decoder).
func (d *jsonArrayDecoder) Offset() int64 { return d.dec.InputOffset() }

// Next decodes the next element.
func (d *jsonArrayDecoder) Next(rec *Record) error {
	if d.done {
		return io.EOF
	}
	if d.single {
		d.done = true
		d.n = 1
		raw, err := d.restOfObject()
		if err != nil {
			return err
		}
		rec.Loc = 1
		if reason, _ := d.object(raw, rec); reason != "" {
			return &RecordError{Loc: 1, Reason: reason, Raw: truncate(raw)}
		}
		return nil
	}
	if !d.dec.More() {
		d.done = true
		if _, err := d.dec.Token(); err != nil {
			return fmt.Errorf("invalid JSON after record %d (byte %d): %w", d.n, d.dec.InputOffset(), err)
		}
		return io.EOF
	}
	var raw json.RawMessage
	if err := d.dec.Decode(&raw); err != nil {
		d.done = true
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON in record %d at byte %d: %w", d.n+1, se.Offset, err)
		}
		return fmt.Errorf("invalid JSON in record %d at byte %d: %w", d.n+1, d.dec.InputOffset(), err)
	}
	d.n++
	rec.Loc = d.n
	if reason, _ := d.object(raw, rec); reason != "" {
		return &RecordError{Loc: d.n, Reason: reason, Raw: truncate(raw)}
	}
	return nil
}

// restOfObject rebuilds the single top-level object whose '{' was consumed.
func (d *jsonArrayDecoder) restOfObject() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON at byte %d: %w", d.dec.InputOffset(), err)
		}
		var v json.RawMessage
		if err := d.dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("invalid JSON at byte %d: %w", d.dec.InputOffset(), err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(tok)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	if _, err := d.dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON at byte %d: %w", d.dec.InputOffset(), err)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
