package transform

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPad bounds lpad and rpad so that one expression cannot allocate gigabytes.
const maxPad = 1 << 20

// stringFuncs are the text functions. Their arguments take the text form of any
// scalar; positions and lengths count characters, not bytes, and are 1-based as
// in SQL.
func stringFuncs(l *library) []*function {
	str1 := func(name string, f func(string) string) *function {
		return &function{name: name, min: 1, max: 1, types: []any{new(func(string) string)},
			call: func(a []any) (any, error) {
				s, err := text(name, a[0])
				if err != nil {
					return nil, err
				}
				return f(s), nil
			}}
	}
	pred := func(name string, f func(s, sub string) bool) *function {
		return &function{name: name, min: 2, max: 2, types: []any{new(func(string, string) bool)},
			call: func(a []any) (any, error) {
				s, sub, err := text2(name, a[0], a[1])
				if err != nil {
					return nil, err
				}
				return f(s, sub), nil
			}}
	}
	return []*function{
		str1("upper", strings.ToUpper),
		str1("lower", strings.ToLower),
		str1("trim", strings.TrimSpace),
		str1("ltrim", func(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }),
		str1("rtrim", func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }),
		{name: "length", min: 1, max: 1, types: []any{new(func(string) int)}, call: func(a []any) (any, error) {
			s, err := text("length", a[0])
			return int64(utf8.RuneCountInString(s)), err
		}},
		{name: "substr", min: 2, max: 3, types: []any{new(func(string, int) string), new(func(string, int, int) string)}, call: substr},
		{name: "replace", min: 3, max: 3, types: []any{new(func(string, string, string) string)}, call: func(a []any) (any, error) {
			s, old, err := text2("replace", a[0], a[1])
			if err != nil {
				return nil, err
			}
			repl, err := text("replace", a[2])
			if err != nil || old == "" {
				return s, err
			}
			return strings.ReplaceAll(s, old, repl), nil
		}},
		{name: "concat", min: 1, max: -1, nulls: true, types: []any{new(func(...any) string)}, call: func(a []any) (any, error) {
			var b strings.Builder
			for _, v := range a {
				if v == nil {
					continue // as PostgreSQL's concat: nulls are skipped
				}
				s, err := text("concat", v)
				if err != nil {
					return nil, err
				}
				b.WriteString(s)
			}
			return b.String(), nil
		}},
		pred("contains", strings.Contains),
		pred("starts_with", strings.HasPrefix),
		pred("ends_with", strings.HasSuffix),
		{name: "lpad", min: 2, max: 3, types: []any{new(func(string, int) string), new(func(string, int, string) string)},
			call: func(a []any) (any, error) { return pad("lpad", a, true) }},
		{name: "rpad", min: 2, max: 3, types: []any{new(func(string, int) string), new(func(string, int, string) string)},
			call: func(a []any) (any, error) { return pad("rpad", a, false) }},
		{name: "split_part", min: 3, max: 3, types: []any{new(func(string, string, int) string)}, call: splitPart},
		{name: "regex_match", min: 2, max: 2, types: []any{new(func(string, string) bool)}, call: func(a []any) (any, error) {
			s, pattern, err := text2("regex_match", a[0], a[1])
			if err != nil {
				return nil, err
			}
			re, err := l.regex(pattern)
			if err != nil {
				return nil, fmt.Errorf("regex_match: %w", err)
			}
			return re.MatchString(s), nil
		}},
		{name: "regex_replace", min: 3, max: 3, types: []any{new(func(string, string, string) string)}, call: func(a []any) (any, error) {
			s, pattern, err := text2("regex_replace", a[0], a[1])
			if err != nil {
				return nil, err
			}
			repl, err := text("regex_replace", a[2])
			if err != nil {
				return nil, err
			}
			re, err := l.regex(pattern)
			if err != nil {
				return nil, fmt.Errorf("regex_replace: %w", err)
			}
			return re.ReplaceAllString(s, repl), nil
		}},
	}
}

func text2(fn string, a, b any) (string, string, error) {
	x, err := text(fn, a)
	if err != nil {
		return "", "", err
	}
	y, err := text(fn, b)
	return x, y, err
}

// substr(s, start[, len]) follows PostgreSQL: the window [start, start+len) is
// cut to the string, so substr('abc', 0, 2) is 'a'.
func substr(a []any) (any, error) {
	s, err := text("substr", a[0])
	if err != nil {
		return nil, err
	}
	start, err := integer("substr", "start", a[1])
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	end := len(r) + 1
	if len(a) == 3 {
		n, err := integer("substr", "length", a[2])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, fmt.Errorf("substr: length must not be negative, got %d", n)
		}
		end = start + n
	}
	start = max(start, 1)
	end = min(end, len(r)+1)
	if start >= end {
		return "", nil
	}
	return string(r[start-1 : end-1]), nil
}

// pad implements lpad and rpad as PostgreSQL does: a longer string is cut to n.
func pad(fn string, a []any, left bool) (any, error) {
	s, err := text(fn, a[0])
	if err != nil {
		return nil, err
	}
	n, err := integer(fn, "length", a[1])
	if err != nil {
		return nil, err
	}
	if n > maxPad {
		return nil, fmt.Errorf("%s: length %d is too large (at most %d)", fn, n, maxPad)
	}
	fill := " "
	if len(a) == 3 {
		if fill, err = text(fn, a[2]); err != nil {
			return nil, err
		}
	}
	r := []rune(s)
	if n <= len(r) || fill == "" {
		return string(r[:max(0, min(n, len(r)))]), nil
	}
	f := []rune(fill)
	padding := make([]rune, 0, n-len(r))
	for i := 0; len(padding) < n-len(r); i++ {
		padding = append(padding, f[i%len(f)])
	}
	if left {
		return string(padding) + s, nil
	}
	return s + string(padding), nil
}

// split_part(s, sep, n) returns the n-th field (1-based; negative counts from
// the end) or "" when there are fewer fields.
func splitPart(a []any) (any, error) {
	s, sep, err := text2("split_part", a[0], a[1])
	if err != nil {
		return nil, err
	}
	n, err := integer("split_part", "field number", a[2])
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("split_part: field number must not be 0")
	}
	var parts []string
	if sep == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, sep)
	}
	if n < 0 {
		n += len(parts) + 1
	}
	if n < 1 || n > len(parts) {
		return "", nil
	}
	return parts[n-1], nil
}
