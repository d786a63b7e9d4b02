package format

import (
	"bufio"
	"bytes"
	"io"
)

// readBufferSize is the size of the read buffer: lines up to this length are
// parsed where they lie in the buffer, without a copy.
const readBufferSize = 64 << 10

// maxRawBytes bounds RecordError.Raw.
const maxRawBytes = 64 << 10

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// newInput buffers r, counting the bytes read, and skips a leading UTF-8 byte
// order mark.
func newInput(r io.Reader) (*bufio.Reader, *counter) {
	c := &counter{r: r}
	br := bufio.NewReaderSize(c, readBufferSize)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM)) // cannot fail: the bytes are buffered
	}
	return br, c
}

// lineReader reads physical lines and counts them. A line that fits in the read
// buffer is returned in place; a longer one is gathered in a reused buffer, up to
// max bytes.
type lineReader struct {
	br   *bufio.Reader
	src  *counter
	long []byte
	line int64 // number of the line last returned
	max  int
}

func newLineReader(r io.Reader, max int) *lineReader {
	br, c := newInput(r)
	return &lineReader{br: br, src: c, max: max}
}

// next returns the next line with its line break (a last line may have none).
// The slice is valid until the next call. A line longer than max is cut to max
// bytes, the rest is skipped and tooLong is true. next returns io.EOF at the end
// of the input and any read error as it is.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	b, err := l.br.ReadSlice('\n')
	switch {
	case err == nil:
		l.line++
		return b, false, nil
	case err == io.EOF:
		if len(b) == 0 {
			return nil, false, io.EOF
		}
		l.line++
		return b, false, nil
	case err != bufio.ErrBufferFull:
		return nil, false, err
	}
	l.long = l.long[:0]
	for {
		if room := l.max - len(l.long); len(b) > room {
			b, tooLong = b[:max(room, 0)], true
		}
		l.long = append(l.long, b...)
		if err != bufio.ErrBufferFull {
			break
		}
		b, err = l.br.ReadSlice('\n')
	}
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	l.line++
	return l.long, tooLong, nil
}

// offset returns the number of input bytes consumed.
func (l *lineReader) offset() int64 { return l.src.n - int64(l.br.Buffered()) }

// trimEOL removes a trailing line break: LF, CRLF, or a lone CR at the end of
// the input.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// rawText returns b as a RecordError's Raw: without its line break, cut to
// maxRawBytes.
func rawText(b []byte) string {
	b = trimEOL(b)
	if len(b) > maxRawBytes {
		b = b[:maxRawBytes]
	}
	return string(b)
}
