package spec

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a yaml.Node tree by hand, strictly, collecting every problem with
// its position instead of stopping at the first one.
type decoder struct {
	file string
	errs []*Error
	bad  map[*yaml.Node]bool // nodes reported already: failed interpolations, split cast types
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, bad: map[*yaml.Node]bool{}}
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errorAt(d.pos(n), format, args...)
}

func (d *decoder) errorAt(pos Pos, format string, args ...any) {
	d.errs = append(d.errs, Errorf(pos, format, args...))
}

// err returns the collected problems in position order, joined, or nil. The same
// problem reached twice through a YAML alias is reported once.
func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(d.errs, func(a, b *Error) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	errs := make([]error, 0, len(d.errs))
	for i, e := range d.errs {
		if i > 0 && *e == *d.errs[i-1] {
			continue
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// maxExpandedNodes bounds what a document may expand to through aliases, so that
// a "billion laughs" file cannot make the decoder walk forever.
const maxExpandedNodes = 200_000

// parse decodes data, which must hold one YAML document, interpolates environment
// variables into its scalars and returns the document's root node, or nil after
// reporting why there is none.
func (d *decoder) parse(data []byte, getenv func(string) string) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorAt(Pos{File: d.file, Line: 1, Col: 1}, "the file is empty; start it with version: 1")
		} else {
			d.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.errorf(&extra, "a second YAML document starts here: a file holds one document; remove the --- line or move the rest to its own file")
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	if len(doc.Content) == 0 {
		d.errorAt(Pos{File: d.file, Line: 1, Col: 1}, "the file is empty; start it with version: 1")
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		d.errorf(root, "the document is empty; start it with version: 1")
		return nil
	}
	if n := expandedSize(root, map[*yaml.Node]int{}); n > maxExpandedNodes {
		d.errorf(root, "the document expands to more than %d values through aliases (*name); use fewer aliases", maxExpandedNodes)
		return nil
	}
	d.interpolateTree(root, "", getenv)
	return root
}

// yamlError reports a syntax error from the YAML parser. Its messages read
// "yaml: line N: problem", without a column. For the parser's (not the
// scanner's) problems N counts from 0, and line 0 is left out: those are
// corrected to count from 1.
func (d *decoder) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if parserProblems[msg] {
		line++
	}
	d.errorAt(Pos{File: d.file, Line: line}, "invalid YAML: %s", msg)
}

// parserProblems are the messages of go.yaml.in/yaml/v3's parser, whose line
// numbers count from 0 (those of its scanner count from 1).
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// expandedSize counts the nodes of n's tree with every alias expanded, saturating
// above maxExpandedNodes. memo makes it linear in the size of the file.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if s, ok := memo[n]; ok {
		return s
	}
	memo[n] = maxExpandedNodes + 1 // a cycle (which the parser forbids) counts as too big
	size := 1
	if n.Kind == yaml.AliasNode {
		size = expandedSize(n.Alias, memo)
	}
	for _, c := range n.Content {
		size += expandedSize(c, memo)
		if size > maxExpandedNodes {
			size = maxExpandedNodes + 1
			break
		}
	}
	memo[n] = size
	return size
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// entry is one key and value of a mapping.
type entry struct {
	key, val *yaml.Node
}

// entries returns the keys and values of the mapping n in order, with YAML merge
// keys (<<: *anchor) expanded in place; keys written in n win over merged ones.
// Duplicate keys and keys that are not names are reported and left out.
func (d *decoder) entries(n *yaml.Node, what string) []entry {
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
			explicit[k.Value] = true
		}
	}
	var out []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		switch {
		case d.bad[k]: // the tail of a split value, reported with its head
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, "%s: a key must be a name, found %s", what, describe(k))
		case k.Tag == "!!merge":
			for _, e := range d.merged(v, what) {
				if !explicit[e.key.Value] && !seen[e.key.Value] {
					seen[e.key.Value] = true
					out = append(out, e)
				}
			}
		case seen[k.Value]:
			d.errorf(k, "duplicate key %q in %s: keep one of them", k.Value, what)
		default:
			seen[k.Value] = true
			out = append(out, entry{k, v})
		}
	}
	return out
}

// merged returns the entries that a merge key's value brings in: a mapping, or a
// list of mappings where the earlier ones win.
func (d *decoder) merged(v *yaml.Node, what string) []entry {
	switch v.Kind {
	case yaml.MappingNode:
		return d.entries(v, what)
	case yaml.SequenceNode:
		var out []entry
		seen := map[string]bool{}
		for _, item := range v.Content {
			item = resolve(item)
			if item.Kind != yaml.MappingNode {
				d.errorf(item, "%s: <<: expected a mapping to merge, found %s", what, describe(item))
				continue
			}
			for _, e := range d.entries(item, what) {
				if !seen[e.key.Value] {
					seen[e.key.Value] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	d.errorf(v, "%s: <<: expected a mapping (or a list of them) to merge, found %s", what, describe(v))
	return nil
}

// field is one known key of a mapping and what to do with its value.
type field struct {
	name     string
	required bool
	decode   func(n *yaml.Node)
}

// mapping decodes a mapping node against its known fields: unknown keys,
// duplicate keys and missing required keys are errors. An empty value (key: with
// nothing after it) is an empty mapping. It reports whether n was a mapping.
func (d *decoder) mapping(n *yaml.Node, what string, fields []field) bool {
	var es []entry
	switch {
	case isNull(n):
	case n.Kind == yaml.MappingNode:
		es = d.entries(n, what)
	default:
		d.errorf(n, "%s: expected a mapping (key: value lines or {key: value}), found %s", what, describe(n))
		return false
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	seen := map[string]bool{}
	for _, e := range es {
		i := slices.Index(names, e.key.Value)
		if i < 0 {
			d.errorf(e.key, "unknown key %q in %s%s; known keys: %s", e.key.Value, what, suggest(e.key.Value, names), strings.Join(names, ", "))
			continue
		}
		seen[e.key.Value] = true
		fields[i].decode(e.val)
	}
	for _, f := range fields {
		if f.required && !seen[f.name] {
			d.errorf(n, "%s: missing required key %q", what, f.name)
		}
	}
	return true
}

// pairs walks a mapping of column: value in order; column names must not be empty.
func (d *decoder) pairs(n *yaml.Node, what string, each func(key, val *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: expected a mapping of column: value, found %s", what, describe(n))
		return
	}
	es := d.entries(n, what)
	if len(es) == 0 {
		d.errorf(n, "%s: the mapping is empty; name at least one column", what)
	}
	for _, e := range es {
		if e.key.Value == "" {
			d.errorf(e.key, "%s: empty column name", what)
			continue
		}
		each(e.key, e.val)
	}
}
