package api

import (
	"net/http"
	"strconv"
)

// pageWriter writes a page of rows as JSON, CSV or NDJSON. It buffers up to
// flushSize bytes: a page that fits is sent with Content-Length and the Link
// header; a larger one streams (constant memory whatever the page size) and
// sends Link as a trailer. With a response limit (Lambda) it buffers the page
// and refuses one that would pass the limit.
type pageWriter struct {
	w         http.ResponseWriter
	format    string
	max       int
	buf       []byte
	committed bool
	rows      int
	field     []byte
}

const flushSize = 64 << 10

func newPageWriter(w http.ResponseWriter, format string, max int) *pageWriter {
	return &pageWriter{w: w, format: format, max: max, buf: make([]byte, 0, 8<<10)}
}

func (p *pageWriter) begin(cols []*column) {
	switch p.format {
	case formatJSON:
		p.buf = append(p.buf, `{"data":[`...)
	case formatCSV:
		for i, c := range cols {
			if i > 0 {
				p.buf = append(p.buf, ',')
			}
			p.buf = appendCSVField(p.buf, []byte(c.name), false)
		}
		p.buf = append(p.buf, '\r', '\n')
	}
}

func (p *pageWriter) row(vals []any, cols []*column) error {
	switch p.format {
	case formatCSV:
		for i, c := range cols {
			if i > 0 {
				p.buf = append(p.buf, ',')
			}
			p.field = appendText(p.field[:0], vals[i], c.typ)
			p.buf = appendCSVField(p.buf, p.field, vals[i] == nil)
		}
		p.buf = append(p.buf, '\r', '\n')
	default:
		if p.format == formatJSON && p.rows > 0 {
			p.buf = append(p.buf, ',')
		}
		p.buf = append(p.buf, '{')
		for i, c := range cols {
			if i > 0 {
				p.buf = append(p.buf, ',')
			}
			p.buf = appendString(p.buf, c.name)
			p.buf = append(p.buf, ':')
			p.buf = appendJSON(p.buf, vals[i], c.typ)
		}
		p.buf = append(p.buf, '}')
		if p.format == formatNDJSON {
			p.buf = append(p.buf, '\n')
		}
	}
	p.rows++
	if p.max > 0 {
		if len(p.buf) > p.max {
			return tooLarge()
		}
		return nil
	}
	if len(p.buf) >= flushSize {
		if !p.committed {
			p.header()
			p.w.Header().Set("Trailer", "Link")
			p.w.WriteHeader(http.StatusOK)
			p.committed = true
		}
		if _, err := p.w.Write(p.buf); err != nil {
			return err
		}
		p.buf = p.buf[:0]
	}
	return nil
}

func (p *pageWriter) header() {
	h := p.w.Header()
	switch p.format {
	case formatCSV:
		h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	default:
		h.Set("Content-Type", p.format)
	}
}

func (p *pageWriter) end(next, link string) error {
	if p.format == formatJSON {
		p.buf = append(p.buf, `],"next_cursor":`...)
		if next == "" {
			p.buf = append(p.buf, "null"...)
		} else {
			p.buf = appendString(p.buf, next)
		}
		p.buf = append(p.buf, "}\n"...)
	}
	if p.max > 0 && len(p.buf) > p.max {
		return tooLarge()
	}
	h := p.w.Header()
	if !p.committed {
		p.header()
		if link != "" {
			h.Set("Link", link)
		}
		h.Set("Content-Length", strconv.Itoa(len(p.buf)))
		p.w.WriteHeader(http.StatusOK)
	} else if link != "" {
		h.Set("Link", link)
	}
	_, err := p.w.Write(p.buf)
	return err
}
