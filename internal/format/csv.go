package format

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// csvDecoder is a streaming RFC 4180 reader with configurable delimiter, quote
// and escape characters. Each record's unescaped text is built in one reused
// buffer and turned into a single string, from which the fields are sliced, so
// decoding allocates once per record.
//
// Leniency, as Python's csv module: a quote inside an unquoted field is a literal
// character, and text after a closing quote up to the delimiter is kept. Blank
// lines are skipped. A quoted empty field ("") is matched against the null values
// like an unquoted one.
type csvDecoder struct {
	br        *bufio.Reader
	raw       *counter
	delim     []byte
	quote     []byte
	escape    []byte
	checkUTF8 bool
	nulls     map[string]bool
	maxBytes  int

	cols   []string
	width  int // expected fields per record; -1 until the header is read
	line   int64
	buf    []byte // unescaped text of the current record
	ends   []int  // field end offsets in buf
	rawRec []byte // raw text of the current record
	first  *Record
	eof    bool
}

func newCSV(r io.Reader, opts Options) (*csvDecoder, error) {
	c := &counter{r: r}
	text, err := decodeText(c, opts.Encoding)
	if err != nil {
		return nil, err
	}
	d := &csvDecoder{
		br:        bufio.NewReaderSize(text, 64<<10),
		raw:       c,
		checkUTF8: isUTF8(opts.Encoding),
		maxBytes:  opts.MaxRecordBytes,
		width:     -1,
	}
	if d.maxBytes <= 0 {
		d.maxBytes = 16 << 20
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
		if opts.Format == "tsv" {
			delim = '\t'
		}
	}
	d.delim = utf8.AppendRune(nil, delim)
	if !opts.NoQuote {
		q := opts.Quote
		if q == 0 {
			q = '"'
		}
		d.quote = utf8.AppendRune(nil, q)
	}
	if opts.Escape != 0 {
		d.escape = utf8.AppendRune(nil, opts.Escape)
	}
	if bytes.Equal(d.delim, d.quote) || bytes.ContainsAny(d.delim, "\r\n") {
		return nil, fmt.Errorf("csv: the delimiter %q cannot be the quote or a line break", delim)
	}
	nulls := opts.NullValues
	if nulls == nil {
		nulls = []string{""}
	}
	d.nulls = make(map[string]bool, len(nulls))
	for _, n := range nulls {
		d.nulls[n] = true
	}
	if b, err := d.br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		d.br.Discard(3)
	}
	if err := d.readHeader(opts.NoHeader); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *csvDecoder) readHeader(noHeader bool) error {
	line, err := d.readRecord()
	if err == io.EOF {
		d.eof = true
		return nil
	}
	var re *RecordError
	if errors.As(err, &re) && !noHeader {
		return fmt.Errorf("header on line %d: %s", re.Loc, re.Reason)
	}
	if err != nil && re == nil {
		return err
	}
	s := string(d.buf)
	n := len(d.ends)
	if noHeader {
		for i := 1; i <= n; i++ {
			d.cols = append(d.cols, "column_"+strconv.Itoa(i))
		}
		d.width = n
		if re != nil {
			return nil // the first row is bad; Next reports nothing special about it
		}
		rec := &Record{Loc: line}
		d.fill(rec, s)
		d.first = rec
		return nil
	}
	start := 0
	for i, end := range d.ends {
		name := s[start:end]
		if name == "" {
			name = "column_" + strconv.Itoa(i+1)
		}
		d.cols = append(d.cols, name)
		start = end
	}
	d.width = n
	return nil
}

// Columns returns the header names (or column_1…).
func (d *csvDecoder) Columns() []string { return d.cols }

// Offset returns the input bytes consumed.
func (d *csvDecoder) Offset() int64 { return d.raw.n - int64(d.br.Buffered()) }

// Next decodes the next record.
func (d *csvDecoder) Next(rec *Record) error {
	if d.first != nil {
		rec.Values = append(rec.Values[:0], d.first.Values...)
		rec.Loc = d.first.Loc
		d.first = nil
		return nil
	}
	if d.eof {
		return io.EOF
	}
	line, err := d.readRecord()
	if err != nil {
		if err == io.EOF {
			d.eof = true
		}
		return err
	}
	if len(d.ends) != d.width {
		return &RecordError{Loc: line, Reason: fmt.Sprintf("expected %d fields, found %d", d.width, len(d.ends)), Raw: truncate(d.rawRec)}
	}
	s := string(d.buf)
	if d.checkUTF8 && !utf8.ValidString(s) {
		start := 0
		for i, end := range d.ends {
			if !utf8.ValidString(s[start:end]) {
				return &RecordError{Loc: line, Column: d.cols[i], Reason: "invalid UTF-8; set source.csv.encoding (latin-1, windows-1252) if the file is not UTF-8", Raw: truncate(d.rawRec)}
			}
			start = end
		}
	}
	rec.Loc = line
	d.fill(rec, s)
	return nil
}

func (d *csvDecoder) fill(rec *Record, s string) {
	rec.Values = rec.Values[:0]
	start := 0
	for _, end := range d.ends {
		f := s[start:end]
		if d.nulls[f] {
			rec.Values = append(rec.Values, nil)
		} else {
			rec.Values = append(rec.Values, f)
		}
		start = end
	}
}

// readLine reads one physical line, with its line break.
func (d *csvDecoder) readLine() ([]byte, error) {
	line, err := d.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		full := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(full) > d.maxBytes {
				return nil, fmt.Errorf("line %d is longer than %d bytes", d.line+1, d.maxBytes)
			}
			line, err = d.br.ReadSlice('\n')
			full = append(full, line...)
		}
		line = full
	}
	if err == io.EOF && len(line) > 0 {
		err = nil
	}
	if err == nil {
		d.line++
	}
	return line, err
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// readRecord reads one logical record into d.buf/d.ends and returns the line on
// which it starts. Blank lines are skipped.
func (d *csvDecoder) readRecord() (int64, error) {
	var line []byte
	var err error
	for {
		line, err = d.readLine()
		if err != nil {
			return 0, err
		}
		if len(trimEOL(line)) > 0 {
			break
		}
	}
	start := d.line
	d.buf, d.ends = d.buf[:0], d.ends[:0]
	d.rawRec = append(d.rawRec[:0], line...)
	pos := 0
	for {
		// One field starting at line[pos].
		if len(d.quote) > 0 && bytes.HasPrefix(line[pos:], d.quote) {
			pos += len(d.quote)
		quoted:
			for {
				rest := line[pos:]
				qi := bytes.Index(rest, d.quote)
				ei := -1
				if len(d.escape) > 0 {
					ei = bytes.Index(rest, d.escape)
				}
				switch {
				case ei >= 0 && (qi < 0 || ei < qi):
					d.buf = append(d.buf, rest[:ei]...)
					pos += ei + len(d.escape)
					if pos < len(line) {
						_, size := utf8.DecodeRune(line[pos:])
						d.buf = append(d.buf, line[pos:pos+size]...)
						pos += size
					}
				case qi >= 0:
					d.buf = append(d.buf, rest[:qi]...)
					pos += qi + len(d.quote)
					if len(d.escape) == 0 && bytes.HasPrefix(line[pos:], d.quote) {
						d.buf = append(d.buf, d.quote...)
						pos += len(d.quote)
						continue
					}
					break quoted
				default: // the field goes on on the next line
					d.buf = append(d.buf, rest...)
					if len(d.rawRec) > d.maxBytes {
						return start, fmt.Errorf("record at line %d is longer than %d bytes (an unclosed quote?)", start, d.maxBytes)
					}
					next, err := d.readLine()
					if err == io.EOF {
						d.ends = append(d.ends, len(d.buf))
						return start, &RecordError{Loc: start, Reason: "unterminated quoted field at end of file", Raw: truncate(d.rawRec)}
					}
					if err != nil {
						return start, err
					}
					d.rawRec = append(d.rawRec, next...)
					line, pos = next, 0
				}
			}
			// After the closing quote: up to the delimiter or the end of the line.
			rest := trimEOL(line[pos:])
			if i := bytes.Index(rest, d.delim); i >= 0 {
				d.buf = append(d.buf, rest[:i]...)
				d.ends = append(d.ends, len(d.buf))
				pos += i + len(d.delim)
				continue
			}
			d.buf = append(d.buf, rest...)
			d.ends = append(d.ends, len(d.buf))
			return start, nil
		}
		rest := line[pos:]
		if i := bytes.Index(rest, d.delim); i >= 0 {
			d.buf = append(d.buf, rest[:i]...)
			d.ends = append(d.ends, len(d.buf))
			pos += i + len(d.delim)
			continue
		}
		d.buf = append(d.buf, trimEOL(rest)...)
		d.ends = append(d.ends, len(d.buf))
		return start, nil
	}
}

func truncate(b []byte) string {
	b = trimEOL(b)
	if len(b) > 64<<10 {
		b = b[:64<<10]
	}
	return string(b)
}
