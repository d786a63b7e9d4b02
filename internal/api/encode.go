package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sluice-data/sluice/internal/record"
)

// Value text forms, the same in JSON, CSV and NDJSON and on every database:
// dates as 2006-01-02, timestamps as RFC 3339 (with Z for timestamptz, without a
// zone for timestamp), decimals exactly as stored, json as its JSON.

func appendTime(b []byte, t time.Time, k record.Kind) []byte {
	t = t.UTC()
	switch k {
	case record.KindDate:
		return t.AppendFormat(b, "2006-01-02")
	case record.KindTimestamp:
		return t.AppendFormat(b, "2006-01-02T15:04:05.999999999")
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05.999999999Z07:00")
}

// appendJSON appends v (a value of type t, as FromSQL returns it) as JSON.
func appendJSON(b []byte, v any, t record.Type) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case record.Decimal:
		return append(b, x...)
	case record.JSON:
		return appendCompactJSON(b, x)
	case time.Time:
		b = append(b, '"')
		b = appendTime(b, x, t.Kind)
		return append(b, '"')
	case string:
		return appendString(b, x)
	}
	return appendString(b, record.String(v))
}

// appendText appends v's text form (CSV); NULL is the empty string.
func appendText(b []byte, v any, t record.Type) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case string:
		return append(b, x...)
	case time.Time:
		return appendTime(b, x, t.Kind)
	case record.JSON:
		return appendCompactJSON(b, x)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return append(b, record.String(v)...)
}

// appendCompactJSON appends JSON without insignificant space (PostgreSQL's
// jsonb adds some), so every database gives the same bytes.
func appendCompactJSON(b []byte, x record.JSON) []byte {
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, x); err != nil {
		return appendString(b, string(x))
	}
	return buf.Bytes()
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does
// (including <, > and & for HTML safety, and invalid UTF-8 as U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCSV appends one CSV field (RFC 4180): quoted when it holds a comma, a
// quote, a line break or leading/trailing space, or is empty but not NULL.
func appendCSVField(b []byte, field []byte, null bool) []byte {
	if null {
		return b
	}
	needs := len(field) == 0 || field[0] == ' ' || field[len(field)-1] == ' '
	for _, c := range field {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			needs = true
			break
		}
	}
	if !needs {
		return append(b, field...)
	}
	b = append(b, '"')
	for _, c := range field {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}
