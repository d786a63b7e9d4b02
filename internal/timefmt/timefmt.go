// Package timefmt parses and formats times with strftime-style formats, as pandas
// and Python's datetime do: %Y-%m-%d %H:%M:%S and friends. It also parses the ISO
// 8601 forms that Sluice accepts when a column has no format (ParseISO).
//
// Parsing runs once per value on millions of rows, so a format is compiled once
// into a Layout and Parse is a hand-written scanner that allocates nothing on
// success.
package timefmt

import (
	"fmt"
	"strings"
)

// op is one compiled element of a format: a directive or a run of literal text.
type op uint8

const (
	opLiteral   op = iota
	opYear         // %Y: 4 digits
	opYear2        // %y: 2 digits, 69–99 → 19xx, 00–68 → 20xx
	opMonth        // %m: 1–2 digits
	opDay          // %d: 1–2 digits
	opDaySpace     // %e: 1–2 digits, space-padded when formatting
	opHour         // %H: 0–23
	opHour12       // %I: 1–12
	opMinute       // %M
	opSecond       // %S
	opFraction     // %f: 1–9 digits parsed, 6 formatted
	opAMPM         // %p
	opMonthAbbr    // %b, %h
	opMonthName    // %B
	opDayAbbr      // %a
	opDayName      // %A
	opYearDay      // %j
	opOffset       // %z
	opZoneName     // %Z
	opUnix         // %s
)

// item is an op with its literal text (opLiteral) and the no-padding flag (%-d).
type item struct {
	op    op
	noPad bool
	lit   string
}

// Layout is a compiled strftime format. It is immutable and safe for concurrent
// use.
type Layout struct {
	src     string
	items   []item
	hasUnix bool // %s: the value is an absolute instant
}

// Supported lists every directive Compile accepts, for error messages and docs.
const Supported = "%Y %y %m %d %e %H %I %M %S %f %p %b %h %B %a %A %j %z %Z %T %D %F %R %s %% (and %-d style no-padding flags for numbers)"

// simple maps a directive letter to its op.
var simple = [256]op{
	'Y': opYear, 'y': opYear2, 'm': opMonth, 'd': opDay, 'e': opDaySpace,
	'H': opHour, 'I': opHour12, 'M': opMinute, 'S': opSecond, 'f': opFraction,
	'p': opAMPM, 'b': opMonthAbbr, 'h': opMonthAbbr, 'B': opMonthName,
	'a': opDayAbbr, 'A': opDayName, 'j': opYearDay, 'z': opOffset,
	'Z': opZoneName, 's': opUnix,
}

// composite maps the shorthand directives to their expansion.
var composite = map[byte]string{
	'T': "%H:%M:%S",
	'D': "%m/%d/%y",
	'F': "%Y-%m-%d",
	'R': "%H:%M",
}

// numeric reports whether the op prints a zero-padded number (so %- applies).
func numeric(o op) bool {
	switch o {
	case opYear2, opMonth, opDay, opDaySpace, opHour, opHour12, opMinute, opSecond, opYearDay:
		return true
	}
	return false
}

// Compile compiles a strftime format. An unknown directive is an error that names
// it and lists the supported ones; so is a trailing lone %.
func Compile(format string) (*Layout, error) {
	if format == "" {
		return nil, fmt.Errorf("empty time format")
	}
	l := &Layout{src: format}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			l.items = append(l.items, item{op: opLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	var expand func(f string) error
	expand = func(f string) error {
		for i := 0; i < len(f); i++ {
			c := f[i]
			if c != '%' {
				lit.WriteByte(c)
				continue
			}
			i++
			if i == len(f) {
				return fmt.Errorf("time format %q ends with a lone %%; write %%%% for a literal percent sign", format)
			}
			noPad := false
			if f[i] == '-' && i+1 < len(f) && simple[f[i+1]] != opLiteral && numeric(simple[f[i+1]]) {
				noPad = true
				i++
			}
			d := f[i]
			switch {
			case d == '%':
				lit.WriteByte('%')
			case composite[d] != "":
				if err := expand(composite[d]); err != nil {
					return err
				}
			case simple[d] != opLiteral:
				flush()
				o := simple[d]
				l.items = append(l.items, item{op: o, noPad: noPad})
				if o == opUnix {
					l.hasUnix = true
				}
			default:
				return fmt.Errorf("unknown directive %s in %q; supported: %s", directiveText(f[i:]), format, Supported)
			}
		}
		return nil
	}
	if err := expand(format); err != nil {
		return nil, err
	}
	flush()
	return l, nil
}

// directiveText returns the directive at the start of s (after the %) for an
// error message, keeping a multi-byte character whole.
func directiveText(s string) string {
	for i := range s {
		if i > 0 {
			return "%" + s[:i]
		}
	}
	return "%" + s
}

// MustCompile is Compile for formats known to be valid; it panics on error.
func MustCompile(format string) *Layout {
	l, err := Compile(format)
	if err != nil {
		panic(err)
	}
	return l
}

// String returns the format as written.
func (l *Layout) String() string { return l.src }

// HasTime reports whether the format sets a time of day (hour, minute, second,
// fraction or an absolute instant), as opposed to a date only.
func (l *Layout) HasTime() bool {
	for _, it := range l.items {
		switch it.op {
		case opHour, opHour12, opMinute, opSecond, opFraction, opUnix:
			return true
		}
	}
	return false
}

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)
