package timefmt

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func utc(y int, m time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, m, d, h, mi, s, ns, time.UTC)
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, format, in string
		want             time.Time
	}{
		{"date", "%Y-%m-%d", "2024-03-09", utc(2024, 3, 9, 0, 0, 0, 0)},
		{"single digit month and day", "%Y-%m-%d", "2024-3-9", utc(2024, 3, 9, 0, 0, 0, 0)},
		{"compact", "%Y%m%d%H%M%S", "20240309143005", utc(2024, 3, 9, 14, 30, 5, 0)},
		{"datetime", "%Y-%m-%d %H:%M:%S", "2024-03-09 23:59:58", utc(2024, 3, 9, 23, 59, 58, 0)},
		{"fraction 3", "%Y-%m-%d %H:%M:%S.%f", "2024-03-09 01:02:03.123", utc(2024, 3, 9, 1, 2, 3, 123000000)},
		{"fraction 9", "%H:%M:%S.%f", "01:02:03.123456789", utc(1900, 1, 1, 1, 2, 3, 123456789)},
		{"two-digit year 20xx", "%d/%m/%y", "31/12/68", utc(2068, 12, 31, 0, 0, 0, 0)},
		{"two-digit year 19xx", "%d/%m/%y", "01/01/69", utc(1969, 1, 1, 0, 0, 0, 0)},
		{"space padded day", "%b %e %Y", "Mar  9 2024", utc(2024, 3, 9, 0, 0, 0, 0)},
		{"month abbreviation any case", "%d %b %Y", "09 MAR 2024", utc(2024, 3, 9, 0, 0, 0, 0)},
		{"month full name", "%B %d, %Y", "September 30, 2024", utc(2024, 9, 30, 0, 0, 0, 0)},
		{"%h is %b", "%d-%h-%Y", "01-Feb-2024", utc(2024, 2, 1, 0, 0, 0, 0)},
		{"weekday ignored", "%a, %d %b %Y %H:%M:%S", "Sat, 09 Mar 2024 10:00:00", utc(2024, 3, 9, 10, 0, 0, 0)},
		{"weekday full", "%A %Y-%m-%d", "Saturday 2024-03-09", utc(2024, 3, 9, 0, 0, 0, 0)},
		{"12-hour pm", "%I:%M %p", "02:30 PM", utc(1900, 1, 1, 14, 30, 0, 0)},
		{"12-hour noon", "%I:%M %p", "12:00 pm", utc(1900, 1, 1, 12, 0, 0, 0)},
		{"12-hour midnight", "%I:%M %p", "12:00 AM", utc(1900, 1, 1, 0, 0, 0, 0)},
		{"12-hour without %p is am", "%I:%M", "12:15", utc(1900, 1, 1, 0, 15, 0, 0)},
		{"offset hhmm", "%Y-%m-%dT%H:%M:%S%z", "2024-03-09T10:00:00+0230", utc(2024, 3, 9, 7, 30, 0, 0)},
		{"offset hh:mm", "%Y-%m-%dT%H:%M:%S%z", "2024-03-09T10:00:00-05:00", utc(2024, 3, 9, 15, 0, 0, 0)},
		{"offset Z", "%Y-%m-%dT%H:%M:%S%z", "2024-03-09T10:00:00Z", utc(2024, 3, 9, 10, 0, 0, 0)},
		{"offset hours only", "%H%z", "10+02", utc(1900, 1, 1, 8, 0, 0, 0)},
		{"zone name UTC", "%Y-%m-%d %H:%M %Z", "2024-03-09 10:00 UTC", utc(2024, 3, 9, 10, 0, 0, 0)},
		{"zone name gmt", "%Y-%m-%d %H:%M %Z", "2024-03-09 10:00 gmt", utc(2024, 3, 9, 10, 0, 0, 0)},
		{"%T %D %F %R", "%F %T|%D %R", "2024-03-09 10:11:12|03/09/24 10:11", utc(2024, 3, 9, 10, 11, 12, 0)},
		{"day of year", "%Y-%j", "2024-060", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"day of year ignored with month and day", "%Y-%m-%d %j", "2024-03-01 001", utc(2024, 3, 1, 0, 0, 0, 0)},
		{"unix seconds", "%s", "1700000000", time.Unix(1700000000, 0).UTC()},
		{"negative unix seconds", "%s", "-86400", utc(1969, 12, 31, 0, 0, 0, 0)},
		{"unix with fraction", "%s.%f", "1700000000.5", time.Unix(1700000000, 500000000).UTC()},
		{"percent literal", "%d%%", "12%", utc(1900, 1, 12, 0, 0, 0, 0)},
		{"no padding flag", "%-d/%-m/%Y", "9/3/2024", utc(2024, 3, 9, 0, 0, 0, 0)},
		{"leap day", "%Y-%m-%d", "2000-02-29", utc(2000, 2, 29, 0, 0, 0, 0)},
		{"time only defaults to 1900-01-01", "%H:%M", "07:08", utc(1900, 1, 1, 7, 8, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := Compile(tt.format)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.format, err)
			}
			got, err := l.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, format, in, want string
	}{
		{"month out of range", "%Y-%m-%d", "2024-13-01", `parsing "2024-13-01" as "%Y-%m-%d": month 13 out of range at position 6`},
		{"day out of range for month", "%Y-%m-%d", "2023-02-29", `day 29 out of range for February 2023`},
		{"literal mismatch", "%Y-%m-%d", "2024/01/01", `expected "-", found "/01/01" at position 5`},
		{"short year", "%Y-%m-%d", "24-01-01", `expected 4-digit year, found "24-01-01" at position 1`},
		{"trailing text", "%Y-%m-%d", "2024-01-01 10:00", `unexpected trailing text " 10:00" at position 11`},
		{"end of text", "%Y-%m-%d %H", "2024-01-01 ", `expected hour, found end of text at position 12`},
		{"hour out of range", "%H:%M", "24:00", `hour 24 out of range`},
		{"12-hour out of range", "%I %p", "13 PM", `hour (1-12) 13 out of range`},
		{"bad am/pm", "%I %p", "11 XM", `expected AM or PM, found "XM"`},
		{"bad month name", "%b", "Foo", `expected month name, found "Foo"`},
		{"zone name not utc", "%H %Z", "10 EST", `time zone "EST" is not supported (only UTC or GMT; use %z for offsets)`},
		{"bad offset", "%H%z", "10+2", `expected UTC offset (+hhmm, +hh:mm or Z), found "+2"`},
		{"colon needs minutes", "%H%z", "10+02:", `expected UTC offset`},
		{"fraction missing", "%S.%f", "01.", `expected fractional seconds (1-9 digits), found end of text`},
		{"day of year beyond year", "%Y-%j", "2023-366", `day of year 366 out of range for 2023`},
		{"unix not a number", "%s", "abc", `expected unix seconds, found "abc"`},
		{"literal is case sensitive", "%Y-%m-%dT%H", "2024-01-01t10", `expected "T", found "t10"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := MustCompile(tt.format)
			_, err := l.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error containing %q", tt.in, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, format, want string }{
		{"unknown directive", "%Y-%Q", `unknown directive %Q in "%Y-%Q"; supported: %Y %y`},
		{"unknown directive after flag", "%-Y", `unknown directive %- in "%-Y"`},
		{"lone percent", "%Y-%", `time format "%Y-%" ends with a lone %; write %% for a literal percent sign`},
		{"empty", "", "empty time format"},
		{"multibyte directive", "%é", `unknown directive %é`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.format)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile(%q) error = %v, want it to contain %q", tt.format, err, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	at := utc(2024, 3, 9, 14, 5, 7, 123456789)
	tests := []struct{ format, want string }{
		{"%Y-%m-%d %H:%M:%S", "2024-03-09 14:05:07"},
		{"%F %T.%f", "2024-03-09 14:05:07.123456"},
		{"%d/%m/%y %I:%M %p", "09/03/24 02:05 PM"},
		{"%a %A %b %B %h", "Sat Saturday Mar March Mar"},
		{"%e|%-d|%-m|%-H|%j", " 9|9|3|14|069"},
		{"%z %Z", "+0000 UTC"},
		{"%D %R", "03/09/24 14:05"},
		{"%s", "1709993107"},
		{"100%%", "100%"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			if got := MustCompile(tt.format).Format(at); got != tt.want {
				t.Errorf("Format(%q) = %q, want %q", tt.format, got, tt.want)
			}
		})
	}
	t.Run("offset of a fixed zone", func(t *testing.T) {
		t.Parallel()
		in := time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("X", -(5*3600+30*60)))
		if got := MustCompile("%z").Format(in); got != "-0530" {
			t.Errorf("Format(%%z) = %q, want -0530", got)
		}
	})
}

// TestRoundTrip checks that formatting then parsing returns the same instant for
// formats that carry every field.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	times := []time.Time{
		utc(2024, 2, 29, 23, 59, 59, 999999000),
		utc(1970, 1, 1, 0, 0, 0, 0),
		utc(1999, 12, 31, 12, 0, 0, 1000),
		utc(2000, 7, 4, 0, 30, 0, 0),
	}
	for _, f := range []string{"%Y-%m-%d %H:%M:%S.%f", "%A %d %B %Y %I:%M:%S.%f %p %z", "%Y%j %T.%f %Z", "%s.%f"} {
		l := MustCompile(f)
		for _, at := range times {
			text := l.Format(at)
			got, err := l.Parse(text)
			if err != nil {
				t.Errorf("%q: Parse(Format(%v) = %q): %v", f, at, text, err)
				continue
			}
			if !got.Equal(at) {
				t.Errorf("%q: round trip of %v via %q = %v", f, at, text, got)
			}
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	if got := MustCompile("%d.%m.%Y").String(); got != "%d.%m.%Y" {
		t.Errorf("String() = %q", got)
	}
	if MustCompile("%Y-%m-%d").HasTime() || !MustCompile("%F %R").HasTime() {
		t.Error("HasTime is wrong")
	}
}

func BenchmarkParse(b *testing.B) {
	l := MustCompile("%Y-%m-%d %H:%M:%S")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Parse("2024-03-09 14:05:07"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseISO(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := ParseISO("2024-03-09T14:05:07.123+02:00"); !ok {
			b.Fatal("not parsed")
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	l := MustCompile("%Y-%m-%d %H:%M:%S")
	at := utc(2024, 3, 9, 14, 5, 7, 0)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = l.AppendFormat(buf[:0], at)
	}
}
