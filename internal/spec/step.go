package spec

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/timefmt"
)

// StepKinds are the transform step names, in the order DESIGN §2 lists them.
var StepKinds = []string{"rename", "cast", "derive", "filter", "validate", "dedupe", "select", "drop"}

// RuleKinds are the validation rule names.
var RuleKinds = []string{"not_null", "unique", "regex", "min", "max", "one_of"}

// steps decodes the transform list.
func (d *decoder) steps(n *yaml.Node) []Step {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "transform: expected a list of steps (- rename: …), found %s", describe(n))
		return nil
	}
	var out []Step
	for _, item := range n.Content {
		if st, ok := d.step(resolve(item)); ok {
			out = append(out, st)
		}
	}
	return out
}

// step decodes one list item of transform: a mapping with one key, the step kind.
func (d *decoder) step(item *yaml.Node) (Step, bool) {
	if item.Kind != yaml.MappingNode || len(item.Content) == 0 {
		d.errorf(item, "transform: expected a step, a mapping with one key (%s), found %s", strings.Join(StepKinds, ", "), describe(item))
		return Step{}, false
	}
	if len(item.Content) > 2 {
		var keys []string
		for i := 0; i < len(item.Content); i += 2 {
			keys = append(keys, resolve(item.Content[i]).Value)
		}
		d.errorf(item, "transform: a step has one key, found %d (%s): start each step with its own -, and indent a step's columns below it", len(keys), strings.Join(keys, ", "))
		return Step{}, false
	}
	k, v := resolve(item.Content[0]), resolve(item.Content[1])
	st := Step{Pos: d.pos(k), Kind: k.Value}
	switch k.Value {
	case "rename":
		d.pairs(v, "rename", func(key, val *yaml.Node) {
			to, ok := d.str(val, "rename "+key.Value)
			switch {
			case !ok:
			case to == "":
				d.errorf(val, "rename %s: the new name is empty", key.Value)
			default:
				st.Rename = append(st.Rename, Rename{Pos: d.pos(key), From: key.Value, To: to})
			}
		})
	case "cast":
		d.cast(v, &st)
	case "derive":
		d.pairs(v, "derive", func(key, val *yaml.Node) {
			if e, ok := d.expr(val, "derive "+key.Value); ok {
				st.Derive = append(st.Derive, Derive{Pos: d.pos(key), Column: key.Value, Expr: e})
			}
		})
	case "filter":
		if e, ok := d.expr(v, "filter"); ok {
			st.Filter = &e
		}
	case "validate":
		d.pairs(v, "validate", func(key, val *yaml.Node) {
			if cr, ok := d.columnRules(key, val); ok {
				st.Validate = append(st.Validate, cr)
			}
		})
	case "dedupe":
		dd := &Dedupe{Pos: d.pos(v), Keep: "last"}
		d.mapping(v, "dedupe", []field{
			{name: "key", required: true, decode: func(n *yaml.Node) { dd.Key = d.names(n, "dedupe.key", true) }},
			{name: "keep", decode: func(n *yaml.Node) {
				if s, ok := d.str(n, "dedupe.keep"); ok && d.oneOf(n, "dedupe.keep", s, "first", "last") {
					dd.Keep = s
				}
			}},
		})
		st.Dedupe = dd
	case "select":
		st.Select = d.names(v, "select", false)
	case "drop":
		st.Drop = d.names(v, "drop", false)
	default:
		d.errorf(k, "unknown transform step %q%s; steps: %s", k.Value, suggest(k.Value, StepKinds), strings.Join(StepKinds, ", "))
		return Step{}, false
	}
	return st, true
}

// cast decodes column: type pairs. A type is parsed by record.ParseType, and a
// date or timestamp format must compile.
func (d *decoder) cast(v *yaml.Node, st *Step) {
	// In a flow mapping, {a: decimal(12,2)} splits at the comma into
	// a: "decimal(12" and "2)": null. The first half is reported with a hint;
	// the second half is no column and is left out.
	split := map[*yaml.Node]bool{}
	if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle != 0 {
		for i := 2; i+1 < len(v.Content); i += 2 {
			prev, k, val := resolve(v.Content[i-1]), v.Content[i], v.Content[i+1]
			if isNull(val) && strings.HasSuffix(k.Value, ")") && !strings.Contains(k.Value, "(") &&
				strings.Contains(prev.Value, "(") && !strings.Contains(prev.Value, ")") {
				split[prev], d.bad[k] = true, true
			}
		}
	}
	d.pairs(v, "cast", func(key, val *yaml.Node) {
		what := "cast " + key.Value
		s, ok := d.str(val, what)
		if !ok {
			return
		}
		if strings.TrimSpace(s) == "" {
			d.errorf(val, "%s: the type is empty; write one of text, bigint, integer, double, decimal(p,s), boolean, date, timestamp, timestamptz, json", what)
			return
		}
		t, err := record.ParseType(s)
		if err != nil {
			hint := ""
			if split[val] {
				hint = ` (inside {…} YAML splits at commas: quote the type, as in amount: "decimal(12,2)")`
			}
			d.errorf(val, "%s: %v%s", what, err, hint)
			return
		}
		if t.Format != "" {
			if _, err := timefmt.Compile(t.Format); err != nil {
				d.errorf(val, "%s: %v", what, err)
				return
			}
		}
		st.Cast = append(st.Cast, Cast{Pos: d.pos(key), Column: key.Value, Type: t})
	})
}

// expr decodes an expression of derive or filter. Its position is where its text
// starts: after the quote of a quoted scalar, so that a column inside a one-line
// expression maps onto the file; a block scalar (| or >) keeps the position of
// its indicator.
func (d *decoder) expr(n *yaml.Node, what string) (Expr, bool) {
	s, ok := d.scalar(n, what, "an expression")
	if !ok {
		return Expr{}, false
	}
	if isNull(n) || strings.TrimSpace(s) == "" {
		d.errorf(n, "%s: the expression is empty", what)
		return Expr{}, false
	}
	p := d.pos(n)
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		p.Col++
	}
	return Expr{Pos: p, Text: s}, true
}

// columnRules decodes the list of rules of one column of a validate step.
func (d *decoder) columnRules(key, val *yaml.Node) (ColumnRules, bool) {
	what := "validate " + key.Value
	if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
		d.errorf(val, "%s: expected a list of rules, as in %s: [not_null, {regex: '^[A-Z]'}], found %s", what, key.Value, describe(val))
		return ColumnRules{}, false
	}
	cr := ColumnRules{Pos: d.pos(key), Column: key.Value}
	for _, r := range val.Content {
		if rule, ok := d.rule(resolve(r), what); ok {
			cr.Rules = append(cr.Rules, rule)
		}
	}
	return cr, true
}

const ruleForms = "not_null, unique, {regex: '…'}, {min: n}, {max: n} or {one_of: [a, b]}"

// rule decodes one validation rule: not_null or unique, or a mapping with one key.
func (d *decoder) rule(n *yaml.Node, what string) (Rule, bool) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.scalar(n, what, "a rule")
		if !ok {
			return Rule{}, false
		}
		switch s {
		case "not_null", "unique":
			return Rule{Pos: d.pos(n), Kind: s}, true
		case "regex", "min", "max", "one_of":
			d.errorf(n, "%s: the rule %s needs a value, as in {%s: …}", what, s, s)
		default:
			d.errorf(n, "%s: unknown rule %s%s; a rule is %s", what, describe(n), suggest(s, RuleKinds), ruleForms)
		}
		return Rule{}, false
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		if n.Kind == yaml.MappingNode && len(n.Content) > 2 {
			d.errorf(n, "%s: a rule has one key; write each rule as its own item, as in [{min: 1}, {max: 9}]", what)
		} else {
			d.errorf(n, "%s: expected a rule (%s), found %s", what, ruleForms, describe(n))
		}
		return Rule{}, false
	}
	k, v := resolve(n.Content[0]), resolve(n.Content[1])
	r := Rule{Pos: d.pos(k), Kind: k.Value}
	what += " " + k.Value
	switch k.Value {
	case "regex":
		s, ok := d.str(v, what)
		if !ok {
			return r, false
		}
		if _, err := regexp.Compile(s); err != nil {
			d.errorf(v, "%s: invalid regular expression: %v", what, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			return r, false
		}
		r.Regex = s
	case "min", "max":
		b, ok := d.value(v, what)
		if !ok {
			return r, false
		}
		if _, isBool := b.(bool); isBool {
			d.errorf(v, "%s: expected a number, a date or text, found %s", what, describe(v))
			return r, false
		}
		r.Bound = b
	case "one_of":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			d.errorf(v, "%s: expected a list of values, as in [a, b], found %s", what, describe(v))
			return r, false
		}
		for _, item := range v.Content {
			if x, ok := d.value(resolve(item), what); ok {
				r.OneOf = append(r.OneOf, x)
			}
		}
	case "not_null", "unique":
		d.errorf(k, "%s: write the rule %s alone, without a value", what, k.Value)
		return r, false
	default:
		d.errorf(k, "%s: unknown rule %q%s; a rule is %s", strings.TrimSuffix(what, " "+k.Value), k.Value, suggest(k.Value, RuleKinds), ruleForms)
		return r, false
	}
	return r, true
}
