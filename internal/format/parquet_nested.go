package format

import (
	"errors"

	"github.com/parquet-go/parquet-go"
	pqformat "github.com/parquet-go/parquet-go/format"
)

// Nested Parquet values (groups, lists, maps, repeated fields) are rebuilt from
// the repetition and definition levels of their leaf columns (the Dremel
// encoding) straight into JSON text, fields in schema order.

type nodeKind uint8

const (
	nodeLeaf   nodeKind = iota
	nodeStruct          // a group: a JSON object
	nodeList            // a LIST group: a JSON array
	nodeMap             // a MAP group: a JSON object (keys in their text form)
)

// pqNode is a schema node with its levels: def counts the optional and repeated
// nodes from the root down to this one included, rep the repeated ones.
type pqNode struct {
	name               string
	kind               nodeKind
	optional, repeated bool
	def, rep           int
	first, last        int // the leaf columns below, in column order
	children           []*pqNode
	leaf               leafType
	// A list's repeated child, and the node each element is: the child's only
	// field (three-level lists) or the child itself (legacy two-level lists).
	elem, elemValue *pqNode
}

// maxParquetDepth bounds schema nesting, so that a crafted file cannot exhaust
// the stack.
const maxParquetDepth = 64

func buildNode(c *parquet.Column, def, rep int) (*pqNode, error) {
	if c.Depth() > maxParquetDepth {
		return nil, errors.New("corrupt parquet file: the schema nests too deeply")
	}
	n := &pqNode{name: c.Name(), optional: c.Optional(), repeated: c.Repeated()}
	if n.optional || n.repeated {
		def++
	}
	if n.repeated {
		rep++
	}
	n.def, n.rep = def, rep
	if c.Leaf() {
		n.kind, n.first, n.last = nodeLeaf, c.Index(), c.Index()
		n.leaf = leafTypeOf(c.Type())
		return n, nil
	}
	cols := c.Columns()
	if len(cols) == 0 {
		return nil, errors.New("corrupt parquet file: group " + c.Name() + " has no fields")
	}
	for _, cc := range cols {
		child, err := buildNode(cc, def, rep)
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, child)
	}
	n.first, n.last = n.children[0].first, n.children[len(n.children)-1].last
	n.kind = nodeStruct
	var lt pqformat.LogicalTypeValue
	if t := c.Type(); t != nil && t.LogicalType() != nil {
		lt = t.LogicalType().Value
	}
	only := n.children[0]
	if len(n.children) != 1 || !only.repeated {
		return n, nil
	}
	switch lt.(type) {
	case *pqformat.ListType:
		n.kind, n.elem, n.elemValue = nodeList, only, only
		// The backward-compatibility rules of the format's LogicalTypes.md: a
		// repeated group of one field is the element's wrapper unless it is
		// named array or <list>_tuple.
		if only.kind != nodeLeaf && len(only.children) == 1 && only.name != "array" && only.name != n.name+"_tuple" {
			n.elemValue = only.children[0]
		}
	case *pqformat.MapType:
		if only.kind != nodeLeaf {
			n.kind, n.elem = nodeMap, only
		}
	}
	return n, nil
}

// peek returns the levels of the next value of a leaf column in the current row.
func (d *Parquet) peek(leaf int) (rep, def int, ok bool) {
	if leaf >= len(d.vals) || d.pos[leaf] >= len(d.vals[leaf]) {
		return 0, 0, false
	}
	v := d.vals[leaf][d.pos[leaf]]
	return v.RepetitionLevel(), v.DefinitionLevel(), true
}

func (d *Parquet) take(leaf int) (parquet.Value, bool) {
	if leaf >= len(d.vals) || d.pos[leaf] >= len(d.vals[leaf]) {
		return parquet.Value{}, false
	}
	v := d.vals[leaf][d.pos[leaf]]
	d.pos[leaf]++
	return v, true
}

// skip consumes the one value each leaf below n holds for an absent n.
func (d *Parquet) skip(n *pqNode) error {
	for i := n.first; i <= n.last; i++ {
		if _, ok := d.take(i); !ok {
			return errCorrupt
		}
	}
	return nil
}

// appendField appends the value of field n of a group: an array for a repeated
// field.
func (d *Parquet) appendField(b []byte, n *pqNode) ([]byte, error) {
	if n.repeated {
		return d.appendRepeated(b, n, '[', ']', func(b []byte) ([]byte, error) { return d.appendInstance(b, n) })
	}
	return d.appendInstance(b, n)
}

// appendRepeated appends the instances of the repeated node r, between open and
// close, each written by elem.
func (d *Parquet) appendRepeated(b []byte, r *pqNode, open, close byte, elem func([]byte) ([]byte, error)) ([]byte, error) {
	_, def, ok := d.peek(r.first)
	if !ok {
		return nil, errCorrupt
	}
	if def < r.def { // empty
		return append(b, open, close), d.skip(r)
	}
	b = append(b, open)
	for first := true; ; first = false {
		if !first {
			b = append(b, ',')
		}
		var err error
		if b, err = elem(b); err != nil {
			return nil, err
		}
		if rep, _, ok := d.peek(r.first); !ok || rep != r.rep {
			break
		}
	}
	return append(b, close), nil
}

// appendInstance appends one instance of n, or null when n is optional and
// absent.
func (d *Parquet) appendInstance(b []byte, n *pqNode) ([]byte, error) {
	if n.optional {
		_, def, ok := d.peek(n.first)
		if !ok {
			return nil, errCorrupt
		}
		if def < n.def {
			return append(b, "null"...), d.skip(n)
		}
	}
	switch n.kind {
	case nodeLeaf:
		v, ok := d.take(n.first)
		if !ok {
			return nil, errCorrupt
		}
		if v.IsNull() {
			return append(b, "null"...), nil
		}
		return n.leaf.appendJSON(b, v)
	case nodeList:
		return d.appendRepeated(b, n.elem, '[', ']', func(b []byte) ([]byte, error) {
			if n.elemValue == n.elem {
				return d.appendInstance(b, n.elem)
			}
			return d.appendField(b, n.elemValue)
		})
	case nodeMap:
		return d.appendRepeated(b, n.elem, '{', '}', func(b []byte) ([]byte, error) { return d.appendEntry(b, n.elem) })
	}
	b = append(b, '{')
	for i, c := range n.children {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.name)
		b = append(b, ':')
		var err error
		if b, err = d.appendField(b, c); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendEntry appends one key: value pair of a map; a key that is not text is
// written as its JSON text in a string ({"1": …}), as JSON object keys must be.
func (d *Parquet) appendEntry(b []byte, kv *pqNode) ([]byte, error) {
	start := len(b)
	b, err := d.appendField(b, kv.children[0])
	if err != nil {
		return nil, err
	}
	if key := b[start:]; len(key) == 0 || key[0] != '"' {
		s := string(key)
		b = appendJSONString(b[:start], s)
	}
	b = append(b, ':')
	if len(kv.children) < 2 {
		return append(b, "null"...), nil
	}
	if b, err = d.appendField(b, kv.children[1]); err != nil {
		return nil, err
	}
	for _, c := range kv.children[2:] { // not allowed by the format: ignored
		if _, err := d.appendField(nil, c); err != nil {
			return nil, err
		}
	}
	return b, nil
}
