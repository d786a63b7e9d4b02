package format

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// The parser works on physical lines, which the read buffer holds whole unless
// they are longer than it. A line without a quote character is a record by
// itself and its text is used where it lies; only records with quotes are
// unescaped into a buffer, and only records spanning lines have their raw text
// copied (for RecordError.Raw). Delimiters, quotes and escapes are searched with
// bytes.Index, which uses the vectorised IndexByte for one-byte characters.

// parse reads the next record: its text into d.text, its fields into d.fields and
// the line on which it starts into d.start. Blank lines are skipped. It returns
// io.EOF at the end of the input, a *RecordError for a record that the end of
// the input leaves inside quotes or that is longer than d.maxBytes, or a read
// error.
func (d *csvDecoder) parse() error {
	line, tooLong, err := d.nextNonBlank()
	if err != nil {
		return err
	}
	d.start, d.first, d.multi, d.size = d.in.line, line, false, len(line)
	d.fields = d.fields[:0]
	if tooLong || d.size > d.maxBytes {
		return d.tooLong()
	}
	if d.quote == nil || bytes.Index(line, d.quote) < 0 {
		d.text = trimEOL(line)
		d.splitPlain()
		return nil
	}
	if err := d.parseQuoted(line); err != nil {
		return err
	}
	d.text = d.buf
	return nil
}

// nextNonBlank returns the next line that holds more than a line break.
func (d *csvDecoder) nextNonBlank() ([]byte, bool, error) {
	for {
		line, tooLong, err := d.in.next()
		if err != nil || tooLong || len(trimEOL(line)) > 0 {
			return line, tooLong, err
		}
	}
}

// splitPlain splits d.text, which has no quotes, at the delimiters.
func (d *csvDecoder) splitPlain() {
	text, start := d.text, 0
	for {
		i := bytes.Index(text[start:], d.delim)
		if i < 0 {
			d.fields = append(d.fields, span{start, len(text)})
			return
		}
		d.fields = append(d.fields, span{start, start + i})
		start += i + len(d.delim)
	}
}

// parseQuoted unescapes a record that holds quote characters into d.buf,
// reading more lines while a quoted field is open.
func (d *csvDecoder) parseQuoted(line []byte) error {
	d.buf = d.buf[:0]
	pos := 0
	// The next quote and escape in the line: each is searched again only once
	// passed, so that a line of many escapes or quoted fields takes linear time.
	quoteAt, escapeAt := unknown, unknown
	for {
		fieldStart := len(d.buf)
		if bytes.HasPrefix(line[pos:], d.quote) {
			pos += len(d.quote)
			for { // inside the quotes, until the closing quote
				quoteAt = find(line, pos, quoteAt, d.quote)
				if d.escape != nil {
					escapeAt = find(line, pos, escapeAt, d.escape)
				}
				if d.escape != nil && escapeAt >= 0 && (quoteAt < 0 || escapeAt < quoteAt) {
					d.buf = append(d.buf, line[pos:escapeAt]...)
					pos = escapeAt + len(d.escape)
					n := d.charLen(line[pos:])
					d.buf = append(d.buf, line[pos:pos+n]...)
					pos += n
					continue
				}
				if quoteAt >= 0 {
					d.buf = append(d.buf, line[pos:quoteAt]...)
					pos = quoteAt + len(d.quote)
					if bytes.HasPrefix(line[pos:], d.quote) { // a doubled quote
						d.buf = append(d.buf, d.quote...)
						pos += len(d.quote)
						continue
					}
					break
				}
				d.buf = append(d.buf, line[pos:]...) // the field goes on on the next line
				next, err := d.nextLine()
				if err != nil {
					return err
				}
				line, pos = next, 0
				quoteAt, escapeAt = unknown, unknown
			}
		}
		// Unquoted text, or what follows a closing quote, up to the delimiter.
		rest := line[pos:]
		if i := bytes.Index(rest, d.delim); i >= 0 {
			d.buf = append(d.buf, rest[:i]...)
			d.fields = append(d.fields, span{fieldStart, len(d.buf)})
			pos += i + len(d.delim)
			continue
		}
		d.buf = append(d.buf, trimEOL(rest)...)
		d.fields = append(d.fields, span{fieldStart, len(d.buf)})
		return nil
	}
}

// unknown is a position not searched for yet; see find.
const unknown = -2

// find returns the index of the first sep in line at or after pos, given the
// last answer at: -1 (none left in the line), unknown, or an index, which is
// searched again only once pos has passed it.
func find(line []byte, pos, at int, sep []byte) int {
	if at == -1 || at >= pos {
		return at
	}
	if i := bytes.Index(line[pos:], sep); i >= 0 {
		return pos + i
	}
	return -1
}

// nextLine reads the next line of a record that spans lines, keeping its raw
// text.
func (d *csvDecoder) nextLine() ([]byte, error) {
	if !d.multi {
		// d.first lies in the read buffer, which the next read may overwrite.
		d.multi = true
		d.raw = append(d.raw[:0], d.first[:min(len(d.first), maxRawBytes)]...)
	}
	line, tooLong, err := d.in.next()
	if err == io.EOF {
		return nil, d.reject("", fmt.Sprintf("unterminated quoted field: the quote opened on line %d is still open at the end of the file (line %d)", d.start, d.in.line))
	}
	if err != nil {
		return nil, err
	}
	d.raw = append(d.raw, line[:min(len(line), maxRawBytes-len(d.raw))]...)
	d.size += len(line)
	if tooLong || d.size > d.maxBytes {
		return nil, d.tooLong()
	}
	return line, nil
}

// tooLong rejects a record longer than d.maxBytes. Decoding resumes on the next
// line, which may lie inside the record's quotes.
func (d *csvDecoder) tooLong() error {
	hint := ""
	if d.multi {
		hint = " (an unclosed quote?)"
	}
	return d.reject("", fmt.Sprintf("record is longer than %d bytes%s; decoding resumes on line %d", d.maxBytes, hint, d.in.line+1))
}

// charLen returns the length of the character starting b: the escaped one.
func (d *csvDecoder) charLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	if d.cm != nil {
		return 1
	}
	_, n := utf8.DecodeRune(b)
	return n
}
