package transform

import (
	"strconv"
	"strings"
	"unicode"
)

// normalize returns name in snake_case: lower case, runs of anything but letters
// and digits turned into one underscore and trimmed, camelCase boundaries split
// ("orderDate" → order_date, "OrderID" → order_id, "HTTPServer" → http_server),
// and a "c_" prefix before a leading digit. It returns "" when nothing is left;
// the caller then names the column by its position.
func normalize(name string) string {
	rs := []rune(name)
	var b strings.Builder
	b.Grow(len(name) + 4)
	pendingSep := false
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			pendingSep = b.Len() > 0
			continue
		}
		if b.Len() > 0 && !pendingSep && unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				pendingSep = true
			}
		}
		if pendingSep {
			b.WriteByte('_')
			pendingSep = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	s := b.String()
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "c_" + s
	}
	return s
}

// sourceNames names the source columns: normalised, or kept as written when a
// rename step names them (keep[raw]), then made unique with _2, _3 suffixes.
// Kept names are placed first, so that a rename always finds the column it
// names; an empty result is column_N, N being the 1-based position.
func sourceNames(raw []string, keep map[string]bool) []string {
	names := make([]string, len(raw))
	used := make(map[string]bool, len(raw))
	for _, pass := range []bool{true, false} {
		for i, r := range raw {
			if keep[r] != pass {
				continue
			}
			base := r
			if !pass {
				base = normalize(r)
			}
			if base == "" {
				base = "column_" + strconv.Itoa(i+1)
			}
			name := base
			for n := 2; used[name]; n++ {
				name = base + "_" + strconv.Itoa(n)
			}
			used[name] = true
			names[i] = name
		}
	}
	return names
}
