package timefmt

import "time"

// ISOKind says which ISO 8601 form ParseISO recognised.
type ISOKind uint8

// The forms ParseISO accepts.
const (
	ISODate     ISOKind = iota + 1 // 2006-01-02
	ISODateTime                    // 2006-01-02T15:04[:05[.fraction]], T or a space
	ISOZoned                       // the same followed by Z or an offset ±hh[:mm]
)

// ParseISO parses the ISO 8601 forms Sluice accepts when a column has no format:
// a date (2006-01-02), a date and time with T or a space between them, optional
// seconds and fraction (up to nine digits, with a point or a comma), and an
// optional zone (Z, ±hh, ±hhmm or ±hh:mm). The result is the instant in UTC;
// a zoneless time is taken to be UTC. It reports ok=false for anything else,
// without allocating, because inference calls it on every sampled string.
func ParseISO(s string) (t time.Time, kind ISOKind, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, 0, false
	}
	year, p, ok1 := digits(s, 0, 4, 4)
	month, _, ok2 := digits(s, 5, 2, 2)
	day, _, ok3 := digits(s, 8, 2, 2)
	if !ok1 || !ok2 || !ok3 || p != 4 || month < 1 || month > 12 || day < 1 || day > DaysIn(time.Month(month), year) {
		return time.Time{}, 0, false
	}
	if len(s) == 10 {
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), ISODate, true
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return time.Time{}, 0, false
	}
	hour, p, okH := digits(s, 11, 2, 2)
	if !okH || hour > 23 || p >= len(s) || s[p] != ':' {
		return time.Time{}, 0, false
	}
	min, p, okM := digits(s, p+1, 2, 2)
	if !okM || min > 59 {
		return time.Time{}, 0, false
	}
	sec, nsec := 0, 0
	if p < len(s) && s[p] == ':' {
		var okS bool
		if sec, p, okS = digits(s, p+1, 2, 2); !okS || sec > 59 {
			return time.Time{}, 0, false
		}
		if p < len(s) && (s[p] == '.' || s[p] == ',') {
			start := p + 1
			var okF bool
			if nsec, p, okF = digits(s, start, 1, 9); !okF {
				return time.Time{}, 0, false
			}
			for n := p - start; n < 9; n++ {
				nsec *= 10
			}
		}
	}
	t = time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
	if p == len(s) {
		return t, ISODateTime, true
	}
	switch s[p] {
	case 'Z', 'z':
		if p+1 == len(s) {
			return t, ISOZoned, true
		}
	case '+', '-':
		if off, end, ok := offsetAt(s, p); ok && end == len(s) {
			return t.Add(-time.Duration(off) * time.Second), ISOZoned, true
		}
	}
	return time.Time{}, 0, false
}
