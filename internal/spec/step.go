package spec

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/timefmt"
)

// StepKinds are the transform step names.
var StepKinds = []string{"rename", "cast", "derive", "filter", "validate", "dedupe", "select", "drop"}

// RuleKinds are the validation rule names.
var RuleKinds = []string{"not_null", "unique", "regex", "min", "max", "one_of"}

func (d *decoder) steps(n *yaml.Node) []Step {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "transform: expected a list of steps, found %s", describe(n))
		return nil
	}
	var out []Step
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
			d.errorf(item, "transform step: expected a mapping with one key, the step (%s)", strings.Join(StepKinds, ", "))
			continue
		}
		k, v := item.Content[0], resolve(item.Content[1])
		st := Step{Pos: d.pos(k), Kind: k.Value}
		switch k.Value {
		case "rename":
			d.pairs(v, "rename", func(key, val *yaml.Node) {
				if to, ok := d.str(val, "rename"); ok {
					if to == "" {
						d.errorf(val, "rename %q: the new name is empty", key.Value)
						return
					}
					st.Rename = append(st.Rename, Rename{Pos: d.pos(key), From: key.Value, To: to})
				}
			})
		case "cast":
			split := false // a decimal(p,s) was split by a flow mapping's comma
			d.pairs(v, "cast", func(key, val *yaml.Node) {
				if split && val.Tag == "!!null" && strings.HasSuffix(key.Value, ")") {
					return // the rest of the split type, reported already
				}
				s, ok := d.str(val, "cast")
				if !ok {
					return
				}
				t, err := record.ParseType(s)
				if err != nil {
					hint := ""
					if strings.Contains(s, "(") && !strings.Contains(s, ")") && v.Style&yaml.FlowStyle != 0 {
						hint = ` (inside {…} YAML splits at commas: quote the type, as in amount: "decimal(12,2)")`
						split = true
					}
					d.errorf(val, "cast %s: %v%s", key.Value, err, hint)
					return
				}
				if t.Format != "" {
					if _, err := timefmt.Compile(t.Format); err != nil {
						d.errorf(val, "cast %s: bad format: %v", key.Value, err)
						return
					}
				}
				st.Cast = append(st.Cast, Cast{Pos: d.pos(key), Column: key.Value, Type: t})
			})
		case "derive":
			d.pairs(v, "derive", func(key, val *yaml.Node) {
				if s, ok := d.str(val, "derive"); ok {
					if strings.TrimSpace(s) == "" {
						d.errorf(val, "derive %s: the expression is empty", key.Value)
						return
					}
					st.Derive = append(st.Derive, Derive{Pos: d.pos(key), Column: key.Value, Expr: Expr{Pos: exprPos(d.pos(val), val), Text: s}})
				}
			})
		case "filter":
			if s, ok := d.str(v, "filter"); ok {
				if strings.TrimSpace(s) == "" {
					d.errorf(v, "filter: the expression is empty")
				} else {
					st.Filter = &Expr{Pos: exprPos(d.pos(v), v), Text: s}
				}
			}
		case "validate":
			d.pairs(v, "validate", func(key, val *yaml.Node) {
				cr := ColumnRules{Pos: d.pos(key), Column: key.Value}
				if val.Kind != yaml.SequenceNode {
					d.errorf(val, "validate %s: expected a list of rules (%s)", key.Value, strings.Join(RuleKinds, ", "))
					return
				}
				for _, r := range val.Content {
					if rule, ok := d.rule(resolve(r), key.Value); ok {
						cr.Rules = append(cr.Rules, rule)
					}
				}
				st.Validate = append(st.Validate, cr)
			})
		case "dedupe":
			dd := &Dedupe{Pos: d.pos(v), Keep: "last"}
			d.mapping(v, "dedupe", []field{
				{name: "key", required: true, decode: func(n *yaml.Node) { dd.Key = d.names(n, "dedupe.key", true) }},
				{name: "keep", decode: func(n *yaml.Node) {
					if s, ok := d.str(n, "dedupe.keep"); ok {
						dd.Keep = s
						d.oneOf(n, "dedupe.keep", s, "first", "last")
					}
				}},
			})
			st.Dedupe = dd
		case "select":
			st.Select = d.names(v, "select", false)
		case "drop":
			st.Drop = d.names(v, "drop", false)
		default:
			d.errorf(k, "unknown transform step %q%s (steps: %s)", k.Value, suggest(k.Value, StepKinds), strings.Join(StepKinds, ", "))
			continue
		}
		out = append(out, st)
	}
	return out
}

// exprPos is where an expression's text starts: after the quote of a quoted
// scalar, so that columns inside the expression map onto the file.
func exprPos(p Pos, n *yaml.Node) Pos {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		p.Col++
	}
	return p
}

// pairs walks a mapping of column → value in order.
func (d *decoder) pairs(n *yaml.Node, what string, each func(key, val *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: expected a mapping of column: value, found %s", what, describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Value == "" {
			d.errorf(k, "%s: empty column name", what)
			continue
		}
		if seen[k.Value] {
			d.errorf(k, "%s: column %q appears twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		each(k, v)
	}
}

func (d *decoder) rule(n *yaml.Node, column string) (Rule, bool) {
	what := "validate " + column
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "not_null", "unique":
			return Rule{Pos: d.pos(n), Kind: n.Value}, true
		}
		d.errorf(n, "%s: unknown rule %q%s (rules: not_null, unique, {regex: …}, {min: …}, {max: …}, {one_of: […]})", what, n.Value, suggest(n.Value, RuleKinds))
		return Rule{}, false
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		d.errorf(n, "%s: a rule is not_null, unique, or a mapping with one key: regex, min, max or one_of", what)
		return Rule{}, false
	}
	k, v := n.Content[0], resolve(n.Content[1])
	r := Rule{Pos: d.pos(k), Kind: k.Value}
	switch k.Value {
	case "regex":
		s, ok := d.str(v, what+" regex")
		if !ok {
			return r, false
		}
		r.Regex = s
	case "min", "max":
		b, ok := d.scalarValue(v, what+" "+k.Value)
		if !ok {
			return r, false
		}
		r.Bound = b
	case "one_of":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			d.errorf(v, "%s one_of: expected a list of values", what)
			return r, false
		}
		for _, item := range v.Content {
			if x, ok := d.scalarValue(resolve(item), what+" one_of"); ok {
				r.OneOf = append(r.OneOf, x)
			}
		}
	default:
		d.errorf(k, "%s: unknown rule %q%s (rules: %s)", what, k.Value, suggest(k.Value, RuleKinds), strings.Join(RuleKinds, ", "))
		return r, false
	}
	return r, true
}
