package format

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/sluice-data/sluice/internal/record"
)

// objectReader turns JSON objects into records aligned with a growing column
// list: keys keep the order of their first appearance, a key missing from a
// record is NULL, and a key repeated within an object keeps its last value (as
// encoding/json does).
//
// Values follow encoding/json with UseNumber: null is nil, strings are strings
// (invalid UTF-8 replaced by U+FFFD), numbers are json.Number as written, true
// and false are bools, and nested objects and arrays are record.JSON, compacted
// and with their key order kept. An empty key is named column_N, N being its
// position among the columns.
//
// The object is first checked with json.Valid; it is then walked by hand, which
// needs no error handling and, unlike json.Unmarshal into a map, keeps key order
// and allocates only the values.
type objectReader struct {
	cols  []string
	index map[string]int
}

func newObjectReader() objectReader { return objectReader{index: map[string]int{}} }

// Columns returns the union of the keys seen so far.
func (o *objectReader) Columns() []string { return o.cols }

// object decodes one JSON value, without surrounding space, into rec.Values. It
// returns why when b is not a JSON object: "expected a JSON object" when b does
// not start like one (whatever else it is), or the syntax error. Unless valid
// says b was already checked, it checks that b is valid JSON.
func (o *objectReader) object(b []byte, valid bool, rec *Record) (reason string) {
	if len(b) == 0 || b[0] != '{' {
		return "expected a JSON object"
	}
	if !valid && !json.Valid(b) {
		if err := json.Unmarshal(b, new(json.RawMessage)); err != nil {
			return "invalid JSON: " + err.Error()
		}
		return "invalid JSON" // unreachable: json.Valid and json.Unmarshal agree
	}
	vals := rec.Values[:0]
	for range o.cols {
		vals = append(vals, nil)
	}
	i := skipSpace(b, 1)
	for b[i] != '}' {
		end, plain := stringEnd(b, i)
		key := b[i+1 : end]
		col, ok := -1, false
		if plain {
			col, ok = o.index[string(key)] // no allocation
		}
		if !ok {
			name := string(key)
			if !plain {
				name = unquote(b[i : end+1])
			}
			if col, ok = o.index[name]; !ok {
				col = o.add(name)
				vals = append(vals, nil)
			}
		}
		i = skipSpace(b, end+1) + 1 // the colon
		i = skipSpace(b, i)
		vals[col], i = value(b, i)
		if i = skipSpace(b, i); b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	rec.Values = vals
	return ""
}

// add appends a column named for key.
func (o *objectReader) add(key string) int {
	col := len(o.cols)
	o.index[key] = col
	if key == "" {
		key = "column_" + strconv.Itoa(col+1)
	}
	o.cols = append(o.cols, key)
	return col
}

// value decodes the valid JSON value at b[i:] and returns it with the index
// that follows it.
func value(b []byte, i int) (any, int) {
	switch b[i] {
	case '"':
		end, plain := stringEnd(b, i)
		if plain {
			return string(b[i+1 : end]), end + 1
		}
		return unquote(b[i : end+1]), end + 1
	case '{', '[':
		end := compositeEnd(b, i)
		return record.JSON(compact(make([]byte, 0, end-i), b[i:end])), end
	case 't':
		return true, i + len("true")
	case 'f':
		return false, i + len("false")
	case 'n':
		return nil, i + len("null")
	}
	end := i
	for end < len(b) && isNumberByte(b[end]) {
		end++
	}
	return json.Number(b[i:end]), end
}

// stringEnd returns the index of the quote closing the valid JSON string that
// starts at b[i], and whether the string is plain: valid UTF-8 without escapes,
// so that its bytes are its value.
func stringEnd(b []byte, i int) (end int, plain bool) {
	i++
	if q := bytes.IndexByte(b[i:], '"'); q >= 0 && bytes.IndexByte(b[i:i+q], '\\') < 0 {
		return i + q, utf8.Valid(b[i : i+q])
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i, false
		}
	}
	return len(b), false // unreachable on valid JSON
}

// compositeEnd returns the index after the valid object or array at b[i].
func compositeEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i, _ = stringEnd(b, i)
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return len(b) // unreachable on valid JSON
}

// compact appends the valid JSON src to dst without insignificant space.
func compact(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case ' ', '\t', '\r', '\n':
		case '"':
			end, _ := stringEnd(src, i)
			dst = append(dst, src[i:end+1]...)
			i = end
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// unquote decodes a valid JSON string literal with escapes or invalid UTF-8.
func unquote(lit []byte) string {
	var s string
	_ = json.Unmarshal(lit, &s) // cannot fail on a valid literal
	return s
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// isSpace reports whether c is JSON white space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// trimSpace removes JSON white space around b.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}
