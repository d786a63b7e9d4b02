package timefmt

import (
	"strconv"
	"time"
)

// Format formats t with the layout, in t's own location (Sluice's values are
// UTC). %f prints microseconds (6 digits), %z prints +hhmm and %Z the zone's
// abbreviation, as Python's strftime does.
func (l *Layout) Format(t time.Time) string {
	var buf [64]byte
	return string(l.AppendFormat(buf[:0], t))
}

// AppendFormat is like Format but appends to b and returns the extended buffer.
func (l *Layout) AppendFormat(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	for _, it := range l.items {
		switch it.op {
		case opLiteral:
			b = append(b, it.lit...)
		case opYear:
			if year >= 0 && year < 10000 {
				b = appendPadded(b, year, 4, '0')
			} else {
				b = strconv.AppendInt(b, int64(year), 10)
			}
		case opYear2:
			b = appendNum(b, it, ((year%100)+100)%100, 2, '0')
		case opMonth:
			b = appendNum(b, it, int(month), 2, '0')
		case opDay:
			b = appendNum(b, it, day, 2, '0')
		case opDaySpace:
			b = appendNum(b, it, day, 2, ' ')
		case opHour:
			b = appendNum(b, it, hour, 2, '0')
		case opHour12:
			h := hour % 12
			if h == 0 {
				h = 12
			}
			b = appendNum(b, it, h, 2, '0')
		case opMinute:
			b = appendNum(b, it, min, 2, '0')
		case opSecond:
			b = appendNum(b, it, sec, 2, '0')
		case opYearDay:
			b = appendNum(b, it, t.YearDay(), 3, '0')
		case opFraction:
			b = appendPadded(b, t.Nanosecond()/1000, 6, '0')
		case opAMPM:
			if hour < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case opMonthAbbr:
			b = append(b, monthNames[month-1][:3]...)
		case opMonthName:
			b = append(b, monthNames[month-1]...)
		case opDayAbbr:
			b = append(b, dayNames[t.Weekday()][:3]...)
		case opDayName:
			b = append(b, dayNames[t.Weekday()]...)
		case opOffset:
			_, off := t.Zone()
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			b = append(b, sign)
			b = appendPadded(b, off/3600, 2, '0')
			b = appendPadded(b, off/60%60, 2, '0')
		case opZoneName:
			name, _ := t.Zone()
			b = append(b, name...)
		case opUnix:
			b = strconv.AppendInt(b, t.Unix(), 10)
		}
	}
	return b
}

// appendNum appends a number padded to width unless the item has the %- flag.
func appendNum(b []byte, it item, v, width int, pad byte) []byte {
	if it.noPad {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return appendPadded(b, v, width, pad)
}

// appendPadded appends a non-negative v left-padded with pad to width.
func appendPadded(b []byte, v, width int, pad byte) []byte {
	var tmp [20]byte
	n := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(n); i < width; i++ {
		b = append(b, pad)
	}
	return append(b, n...)
}
