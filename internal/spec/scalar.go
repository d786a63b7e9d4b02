package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// describe says what a node is, for "found …" in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" && n.Value == "" {
			return "nothing"
		}
		v := n.Value
		if len(v) > 60 {
			v = v[:57] + "..."
		}
		return strconv.Quote(v)
	}
	return "something else"
}

// scalar returns the text of a scalar node. A non-scalar is an error; a scalar
// whose interpolation failed was reported already.
func (d *decoder) scalar(n *yaml.Node, what, expected string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s: expected %s, found %s", what, expected, describe(n))
		return "", false
	}
	if d.bad[n] {
		return "", false
	}
	return n.Value, true
}

// str decodes a string field; an empty value (or null) is "".
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	s, ok := d.scalar(n, what, "a string")
	if ok && n.Tag == "!!null" {
		s = ""
	}
	return s, ok
}

func (d *decoder) strTo(dst *string, what string) func(*yaml.Node) {
	return func(n *yaml.Node) {
		if s, ok := d.str(n, what); ok {
			*dst = s
		}
	}
}

// text decodes a string item of a list literally: NULL, null and ~ are text
// there, as in null_values: [NULL, "n/a"].
func (d *decoder) text(n *yaml.Node, what string) (string, bool) {
	return d.scalar(n, what, "a string")
}

func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	s, ok := d.scalar(n, what, "a boolean")
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	d.errorf(n, "%s: expected a boolean, found %s (write true or false)", what, describe(n))
	return false, false
}

// parseInt reads a YAML integer: decimal, 0x, 0o or 0b, with _ separators.
func parseInt(s string) (int64, error) {
	return strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
}

func (d *decoder) integer(n *yaml.Node, what string) (int, bool) {
	s, ok := d.scalar(n, what, "an integer")
	if !ok {
		return 0, false
	}
	i, err := parseInt(s)
	if err != nil || i != int64(int(i)) {
		d.errorf(n, "%s: expected an integer, found %s", what, describe(n))
		return 0, false
	}
	return int(i), true
}

// number decodes a finite number.
func (d *decoder) number(n *yaml.Node, what string) (float64, bool) {
	s, ok := d.scalar(n, what, "a number")
	if !ok {
		return 0, false
	}
	if i, err := parseInt(s); err == nil {
		return float64(i), true
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || f != f || f > 1e308 || f < -1e308 || strings.ContainsAny(s, "xXpP") {
		d.errorf(n, "%s: expected a number, found %s", what, describe(n))
		return 0, false
	}
	return f, true
}

// value decodes a scalar to int64, float64, bool or string by its YAML type, for
// validation rules. Dates stay text; null is not a value.
func (d *decoder) value(n *yaml.Node, what string) (any, bool) {
	s, ok := d.scalar(n, what, "a value (a number, a date or text)")
	if !ok {
		return nil, false
	}
	switch n.Tag {
	case "!!null":
		d.errorf(n, "%s: expected a value, found %s (quote it, as in 'null', to mean the text)", what, describe(n))
		return nil, false
	case "!!bool":
		return strings.EqualFold(s, "true"), true
	case "!!int":
		i, err := parseInt(s)
		if err != nil {
			d.errorf(n, "%s: %s does not fit in a 64-bit integer", what, describe(n))
			return nil, false
		}
		return i, true
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil {
			d.errorf(n, "%s: expected a finite number, found %s", what, describe(n))
			return nil, false
		}
		return f, true
	}
	return s, true
}

// names decodes a list of column names, or with allowOne also a single name.
func (d *decoder) names(n *yaml.Node, what string, allowOne bool) []Ident {
	if allowOne && n.Kind == yaml.ScalarNode && !isNull(n) {
		s, ok := d.text(n, what)
		if !ok {
			return nil
		}
		if s == "" {
			d.errorf(n, "%s: empty column name", what)
			return nil
		}
		return []Ident{{Pos: d.pos(n), Name: s}}
	}
	if n.Kind != yaml.SequenceNode {
		expected := "a list of column names, as in [a, b]"
		if allowOne {
			expected = "a column name or a list of them"
		}
		d.errorf(n, "%s: expected %s, found %s", what, expected, describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, "%s: the list is empty; name at least one column", what)
		return nil
	}
	var out []Ident
	for _, item := range n.Content {
		item = resolve(item)
		s, ok := d.scalar(item, what, "a column name")
		if !ok {
			continue
		}
		if s == "" {
			d.errorf(item, "%s: empty column name", what)
			continue
		}
		out = append(out, Ident{Pos: d.pos(item), Name: s})
	}
	return out
}

// oneOf checks that v is one of allowed.
func (d *decoder) oneOf(n *yaml.Node, what, v string, allowed ...string) bool {
	if slices.Contains(allowed, v) {
		return true
	}
	d.errorf(n, "%s: %q is not one of %s%s", what, v, strings.Join(allowed, ", "), suggest(v, allowed))
	return false
}

// suggest returns ` (did you mean "x"?)` for the known name closest to got, when
// it is at most two edits away and those edits change less than half of got
// (so that "frob" does not suggest "drop").
func suggest(got string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dist := EditDistance(strings.ToLower(got), k); dist < bestD && 2*dist < len(got) {
			best, bestD = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// EditDistance is the number of edits between two short names, for "did you
// mean" suggestions: Levenshtein's insertions, deletions and substitutions, and
// a swap of two adjacent characters as one edit (so "pattren" is one edit from
// "pattern").
func EditDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
