package timefmt

import (
	"fmt"
	"strconv"
	"time"
)

// ParseError says where and why a value does not match a layout.
type ParseError struct {
	Value  string // the text being parsed
	Format string // the layout's format
	Offset int    // byte offset in Value where the problem is
	Msg    string // what was expected, or what is out of range
}

// Error renders the problem with a 1-based character position, for example
// `parsing "2024-13-01" as "%Y-%m-%d": month 13 out of range at position 6`.
func (e *ParseError) Error() string {
	return fmt.Sprintf("parsing %q as %q: %s at position %d", e.Value, e.Format, e.Msg, e.Offset+1)
}

// fields collects what the directives found; zero values mean "not given".
type fields struct {
	year, month, day, yday    int
	hour, min, sec, nsec      int
	pm, hour12                bool
	offset                    int // seconds east of UTC
	unix                      int64
	monthSet, daySet, ydaySet bool
}

// Parse parses s with the layout. Literal text must match exactly. Times without
// a zone are UTC; an offset parsed by %z (or an absolute %s) is applied, so the
// result is always the instant in UTC. Missing date parts default to 1900-01-01,
// as in Python. The error is a *ParseError.
func (l *Layout) Parse(s string) (time.Time, error) {
	f := fields{year: 1900, month: 1, day: 1}
	pos := 0
	for i := range l.items {
		it := &l.items[i]
		var msg string
		pos, msg = l.parseItem(it, s, pos, &f)
		if msg != "" {
			return time.Time{}, &ParseError{Value: s, Format: l.src, Offset: pos, Msg: msg}
		}
	}
	if pos < len(s) {
		return time.Time{}, &ParseError{Value: s, Format: l.src, Offset: pos, Msg: fmt.Sprintf("unexpected trailing text %q", s[pos:])}
	}
	return l.assemble(s, &f)
}

// assemble checks the combination of fields and builds the time.
func (l *Layout) assemble(s string, f *fields) (time.Time, error) {
	if l.hasUnix {
		return time.Unix(f.unix, int64(f.nsec)).UTC(), nil
	}
	hour := f.hour
	if f.hour12 {
		hour %= 12
		if f.pm {
			hour += 12
		}
	}
	month, day := f.month, f.day
	if f.ydaySet && !f.monthSet && !f.daySet {
		if f.yday > daysInYear(f.year) {
			return time.Time{}, &ParseError{Value: s, Format: l.src, Msg: fmt.Sprintf("day of year %d out of range for %d", f.yday, f.year)}
		}
		t := time.Date(f.year, 1, f.yday, hour, f.min, f.sec, f.nsec, time.UTC)
		return t.Add(-time.Duration(f.offset) * time.Second), nil
	}
	if day > DaysIn(time.Month(month), f.year) {
		return time.Time{}, &ParseError{Value: s, Format: l.src, Msg: fmt.Sprintf("day %d out of range for %s %d", day, time.Month(month), f.year)}
	}
	t := time.Date(f.year, time.Month(month), day, hour, f.min, f.sec, f.nsec, time.UTC)
	return t.Add(-time.Duration(f.offset) * time.Second), nil
}

// parseItem consumes one item at s[pos:] and returns the new position, or the
// position of the problem and a message.
func (l *Layout) parseItem(it *item, s string, pos int, f *fields) (int, string) {
	var ok bool
	switch it.op {
	case opLiteral:
		if len(s)-pos < len(it.lit) || s[pos:pos+len(it.lit)] != it.lit {
			return pos, "expected " + strconv.Quote(it.lit) + ", found " + found(s, pos)
		}
		return pos + len(it.lit), ""
	case opYear:
		if f.year, pos, ok = digits(s, pos, 4, 4); !ok {
			return pos, "expected 4-digit year, found " + found(s, pos)
		}
	case opYear2:
		if f.year, pos, ok = digits(s, pos, 2, 2); !ok {
			return pos, "expected 2-digit year, found " + found(s, pos)
		}
		if f.year < 69 {
			f.year += 2000
		} else {
			f.year += 1900
		}
	case opMonth:
		return rangeField(s, pos, &f.month, 1, 2, 1, 12, "month", &f.monthSet)
	case opDay:
		return rangeField(s, pos, &f.day, 1, 2, 1, 31, "day", &f.daySet)
	case opDaySpace:
		if pos < len(s) && s[pos] == ' ' {
			pos++
		}
		return rangeField(s, pos, &f.day, 1, 2, 1, 31, "day", &f.daySet)
	case opHour:
		return rangeField(s, pos, &f.hour, 1, 2, 0, 23, "hour", nil)
	case opHour12:
		f.hour12 = true
		return rangeField(s, pos, &f.hour, 1, 2, 1, 12, "hour (1-12)", nil)
	case opMinute:
		return rangeField(s, pos, &f.min, 1, 2, 0, 59, "minute", nil)
	case opSecond:
		return rangeField(s, pos, &f.sec, 1, 2, 0, 59, "second", nil)
	case opYearDay:
		return rangeField(s, pos, &f.yday, 1, 3, 1, 366, "day of year", &f.ydaySet)
	case opFraction:
		start := pos
		var v int
		if v, pos, ok = digits(s, pos, 1, 9); !ok {
			return pos, "expected fractional seconds (1-9 digits), found " + found(s, pos)
		}
		for n := pos - start; n < 9; n++ {
			v *= 10
		}
		f.nsec = v
	case opAMPM:
		switch {
		case hasFoldPrefix(s[pos:], "AM"):
			f.pm = false
		case hasFoldPrefix(s[pos:], "PM"):
			f.pm = true
		default:
			return pos, "expected AM or PM, found " + found(s, pos)
		}
		return pos + 2, ""
	case opMonthAbbr, opMonthName:
		n, w := matchName(s[pos:], monthNames[:])
		if n < 0 {
			return pos, "expected month name, found " + found(s, pos)
		}
		f.month, f.monthSet = n+1, true
		return pos + w, ""
	case opDayAbbr, opDayName:
		n, w := matchName(s[pos:], dayNames[:])
		if n < 0 {
			return pos, "expected weekday name, found " + found(s, pos)
		}
		return pos + w, "" // the weekday is not checked against the date, as in Python
	case opOffset:
		return parseOffset(s, pos, &f.offset)
	case opZoneName:
		end := pos
		for end < len(s) && isLetter(s[end]) {
			end++
		}
		switch z := s[pos:end]; {
		case z == "":
			return pos, "expected time zone name, found " + found(s, pos)
		case equalFold(z, "UTC"), equalFold(z, "GMT"), equalFold(z, "UT"), equalFold(z, "Z"):
		default:
			return pos, "time zone " + strconv.Quote(z) + " is not supported (only UTC or GMT; use %z for offsets)"
		}
		return end, ""
	case opUnix:
		neg := pos < len(s) && s[pos] == '-'
		p := pos
		if neg {
			p++
		}
		start := p
		var v int64
		for p < len(s) && isDigit(s[p]) && p-start < 18 {
			v = v*10 + int64(s[p]-'0')
			p++
		}
		if p == start {
			return pos, "expected unix seconds, found " + found(s, pos)
		}
		if neg {
			v = -v
		}
		f.unix = v
		return p, ""
	}
	return pos, ""
}

// rangeField parses between minW and maxW digits into *dst and checks the range.
func rangeField(s string, pos int, dst *int, minW, maxW, lo, hi int, name string, set *bool) (int, string) {
	v, end, ok := digits(s, pos, minW, maxW)
	if !ok {
		return pos, "expected " + name + ", found " + found(s, pos)
	}
	if v < lo || v > hi {
		return pos, name + " " + s[pos:end] + " out of range"
	}
	*dst = v
	if set != nil {
		*set = true
	}
	return end, ""
}

// parseOffset parses Z, ±hh, ±hhmm or ±hh:mm.
func parseOffset(s string, pos int, dst *int) (int, string) {
	if pos < len(s) && (s[pos] == 'Z' || s[pos] == 'z') {
		*dst = 0
		return pos + 1, ""
	}
	if pos >= len(s) || (s[pos] != '+' && s[pos] != '-') {
		return pos, "expected UTC offset (+hhmm, +hh:mm or Z), found " + found(s, pos)
	}
	off, end, ok := offsetAt(s, pos)
	if !ok {
		return pos, "expected UTC offset (+hhmm, +hh:mm or Z), found " + found(s, pos)
	}
	*dst = off
	return end, ""
}

// offsetAt parses ±hh[[:]mm] at s[pos] (which is the sign) and returns seconds
// east of UTC.
func offsetAt(s string, pos int) (int, int, bool) {
	sign := 1
	if s[pos] == '-' {
		sign = -1
	}
	h, p, ok := digits(s, pos+1, 2, 2)
	if !ok || h > 23 {
		return 0, pos, false
	}
	m := 0
	q := p
	if q < len(s) && s[q] == ':' {
		q++
	}
	if mm, e, ok := digits(s, q, 2, 2); ok {
		if mm > 59 {
			return 0, pos, false
		}
		m, p = mm, e
	} else if q != p {
		return 0, pos, false // a colon must be followed by minutes
	}
	return sign * (h*3600 + m*60), p, true
}

// digits reads between minW and maxW ASCII digits at s[pos:].
func digits(s string, pos, minW, maxW int) (int, int, bool) {
	v, p := 0, pos
	for p < len(s) && p-pos < maxW && isDigit(s[p]) {
		v = v*10 + int(s[p]-'0')
		p++
	}
	if p-pos < minW {
		return 0, pos, false
	}
	return v, p, true
}

// matchName matches a full name or its three-letter abbreviation, ignoring case;
// it returns the index and the width matched, or -1.
func matchName(s string, names []string) (int, int) {
	for i, n := range names {
		if hasFoldPrefix(s, n) {
			return i, len(n)
		}
	}
	for i, n := range names {
		if hasFoldPrefix(s, n[:3]) {
			return i, 3
		}
	}
	return -1, 0
}

// found quotes what is at s[pos:] for an error message, shortened.
func found(s string, pos int) string {
	if pos >= len(s) {
		return "end of text"
	}
	rest := s[pos:]
	if len(rest) > 12 {
		rest = rest[:12] + "…"
	}
	return strconv.Quote(rest)
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// DaysIn returns the number of days in month m of year y.
func DaysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}
