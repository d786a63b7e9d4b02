package transform

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// validateStep checks column values against rules; the first failing rule
// rejects the row. Only not_null looks at nulls: every other rule passes a null,
// as SQL's CHECK constraints do.
type validateStep struct {
	items []validateItem
}

type validateItem struct {
	pos    spec.Pos
	column string
	rules  []*rule
}

// rule is one compiled validation rule.
type rule struct {
	kind  string
	re    *regexp.Regexp
	bound *bound
	oneOf map[string]bool
	list  string // one_of values for the message
	seen  *uniqueSet
}

// uniqueSet holds the values a unique rule has let through. It belongs to the
// Program, so every chain bound from it (one per file) shares it; a value is
// recorded only when its row is kept.
type uniqueSet struct {
	m map[string]struct{}
}

func compileValidate(st spec.Step) (step, []error) {
	var errs []error
	s := &validateStep{}
	for _, cr := range st.Validate {
		it := validateItem{pos: cr.Pos, column: cr.Column}
		for _, r := range cr.Rules {
			ru, err := compileRule(cr.Column, r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			it.rules = append(it.rules, ru)
		}
		s.items = append(s.items, it)
	}
	return s, errs
}

func compileRule(column string, r spec.Rule) (*rule, error) {
	ru := &rule{kind: r.Kind}
	switch r.Kind {
	case "not_null":
	case "unique":
		ru.seen = &uniqueSet{m: map[string]struct{}{}}
	case "regex":
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			return nil, spec.Errorf(r.Pos, "validate %s: invalid regex %q: %v", column, r.Regex, unwrapRegexErr(err))
		}
		ru.re = re
	case "min", "max":
		b, err := newBound(r.Bound)
		if err != nil {
			return nil, spec.Errorf(r.Pos, "validate %s: %s: %v", column, r.Kind, err)
		}
		ru.bound = b
	case "one_of":
		if len(r.OneOf) == 0 {
			return nil, spec.Errorf(r.Pos, "validate %s: one_of needs at least one value", column)
		}
		ru.oneOf = make(map[string]bool, len(r.OneOf))
		texts := make([]string, len(r.OneOf))
		for i, v := range r.OneOf {
			texts[i] = record.String(v)
			ru.oneOf[texts[i]] = true
		}
		ru.list = cut(strings.Join(texts, ", "))
	default:
		return nil, spec.Errorf(r.Pos, "validate %s: unknown rule %q (rules: not_null, unique, regex, min, max, one_of)", column, r.Kind)
	}
	return ru, nil
}

func (s *validateStep) bind(sc *scope) (op, error) {
	var errs []error
	o := &validateOp{}
	for _, it := range s.items {
		i, err := sc.find(it.pos, it.column)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o.items = append(o.items, validateSlot{slot: sc.slots[i], column: it.column, rules: it.rules})
	}
	return o, errors.Join(errs...)
}

type validateOp struct {
	items []validateSlot
}

type validateSlot struct {
	slot   int
	column string
	rules  []*rule
}

func (o *validateOp) apply(c *chain) (Outcome, *Reject) {
	for i := range o.items {
		it := &o.items[i]
		v := c.vals[it.slot]
		for _, r := range it.rules {
			if msg := r.check(c, v); msg != "" {
				return Rejected, &Reject{Column: it.column, Reason: msg, Value: record.String(v)}
			}
		}
	}
	return Kept, nil
}

// check returns the reject reason, or "" when v passes.
func (r *rule) check(c *chain, v any) string {
	if v == nil {
		if r.kind == "not_null" {
			return "not_null: value is null"
		}
		return ""
	}
	switch r.kind {
	case "unique":
		key := record.String(v)
		if _, dup := r.seen.m[key]; dup {
			return "unique: duplicate value"
		}
		c.pending = append(c.pending, pendingKey{set: r.seen, key: key})
	case "regex":
		if !r.re.MatchString(record.String(v)) {
			return fmt.Sprintf("regex %s does not match", r.re)
		}
	case "min":
		if r.bound.compare(v) < 0 {
			return fmt.Sprintf("min: %s is less than %s", cut(record.String(v)), r.bound.text)
		}
	case "max":
		if r.bound.compare(v) > 0 {
			return fmt.Sprintf("max: %s is greater than %s", cut(record.String(v)), r.bound.text)
		}
	case "one_of":
		if !r.oneOf[record.String(v)] {
			return "one_of: value is not one of " + r.list
		}
	}
	return ""
}

// pendingKey is a unique value to record once its row is kept.
type pendingKey struct {
	set *uniqueSet
	key string
}
