package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a yaml.Node tree strictly, collecting every problem with its
// position instead of stopping at the first.
type decoder struct {
	file   string
	getenv func(string) string
	errs   []*Error
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, Errorf(d.pos(n), format, args...))
}

// err returns the collected problems in position order, joined, or nil.
func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i].Pos, d.errs[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return joinErrors(d.errs)
}

// parse decodes data into a document node.
func (d *decoder) parse(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		msg := err.Error()
		// yaml errors read "yaml: line N: …"
		if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
			if i := strings.IndexByte(rest, ':'); i > 0 {
				line, _ = strconv.Atoi(rest[:i])
				msg = strings.TrimSpace(rest[i+1:])
			}
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		d.errs = append(d.errs, &Error{Pos: Pos{File: d.file, Line: line}, Msg: "invalid YAML: " + msg})
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errs = append(d.errs, &Error{Pos: Pos{File: d.file, Line: 1, Col: 1}, Msg: "the file is empty; start with version: 1"})
		return nil
	}
	return resolve(doc.Content[0])
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// field is one known key of a mapping and what to do with its value.
type field struct {
	name     string
	required bool
	decode   func(n *yaml.Node)
}

// mapping decodes a mapping node against its known fields: unknown and duplicate
// keys are errors, and so are missing required keys.
func (d *decoder) mapping(n *yaml.Node, what string, fields []field) bool {
	n = resolve(n)
	if n == nil {
		return false
	}
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			d.errorf(n, "%s is empty: expected a mapping", what)
		} else {
			d.errorf(n, "%s: expected a mapping, found %s", what, describe(n))
		}
		return false
	}
	seen := map[string]bool{}
	var names []string
	for _, f := range fields {
		names = append(names, f.name)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if seen[k.Value] {
			d.errorf(k, "duplicate key %q in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		var f *field
		for j := range fields {
			if fields[j].name == k.Value {
				f = &fields[j]
			}
		}
		if f == nil {
			d.errorf(k, "unknown key %q in %s%s (known keys: %s)", k.Value, what, suggest(k.Value, names), strings.Join(names, ", "))
			continue
		}
		f.decode(v)
	}
	for _, f := range fields {
		if f.required && !seen[f.name] {
			d.errorf(n, "%s: missing required key %q", what, f.name)
		}
	}
	return true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// str decodes a scalar string (interpolating environment variables).
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s: expected a string, found %s", what, describe(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	s, err := Interpolate(n.Value, d.getenv)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
		return "", false
	}
	return s, true
}

func (d *decoder) strTo(dst *string, what string) func(*yaml.Node) {
	return func(n *yaml.Node) {
		if s, ok := d.str(n, what); ok {
			*dst = s
		}
	}
}

func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.str(n, what)
		if !ok {
			return false, false
		}
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
	}
	d.errorf(n, "%s: expected a boolean (true or false), found %s", what, describe(n))
	return false, false
}

func (d *decoder) integer(n *yaml.Node, what string) (int, bool) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.str(n, what)
		if !ok {
			return 0, false
		}
		if i, err := strconv.Atoi(s); err == nil {
			return i, true
		}
	}
	d.errorf(n, "%s: expected an integer, found %s", what, describe(n))
	return 0, false
}

func (d *decoder) number(n *yaml.Node, what string) (float64, bool) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.str(n, what)
		if !ok {
			return 0, false
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	d.errorf(n, "%s: expected a number, found %s", what, describe(n))
	return 0, false
}

// scalarValue decodes a scalar to int64, float64, bool or string by its YAML tag.
func (d *decoder) scalarValue(n *yaml.Node, what string) (any, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s: expected a value, found %s", what, describe(n))
		return nil, false
	}
	s, ok := d.str(n, what)
	if !ok {
		return nil, false
	}
	switch n.Tag {
	case "!!int":
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i, true
		}
	case "!!float":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	case "!!bool":
		if b, ok := d.boolean(n, what); ok {
			return b, true
		}
	}
	return s, true
}

// names decodes a column name or a list of them.
func (d *decoder) names(n *yaml.Node, what string, allowScalar bool) []Ident {
	if n.Kind == yaml.ScalarNode && allowScalar {
		if s, ok := d.str(n, what); ok && s != "" {
			return []Ident{{Pos: d.pos(n), Name: s}}
		}
		d.errorf(n, "%s: expected a column name", what)
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: expected a list of column names, found %s", what, describe(n))
		return nil
	}
	var out []Ident
	for _, item := range n.Content {
		item = resolve(item)
		s, ok := d.str(item, what)
		if !ok {
			continue
		}
		if s == "" {
			d.errorf(item, "%s: empty column name", what)
			continue
		}
		out = append(out, Ident{Pos: d.pos(item), Name: s})
	}
	if len(out) == 0 && len(n.Content) == 0 {
		d.errorf(n, "%s: the list is empty", what)
	}
	return out
}

// suggest returns ` (did you mean "x"?)` for the closest known name.
func suggest(got string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dist := EditDistance(strings.ToLower(got), k); dist < bestD {
			best, bestD = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// EditDistance is the Levenshtein distance between two short names, for "did you
// mean" suggestions.
func EditDistance(a, b string) int {
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
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// joinErrors joins *Error values into one error whose Unwrap returns them all.
func joinErrors(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	return errorList(errs)
}

// errorList is a list of spec errors; its message has one line per problem.
type errorList []*Error

func (l errorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (l errorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}
