package transform

import (
	"errors"

	"github.com/sluice-data/sluice/internal/spec"
)

// deriveStep computes columns from expressions, in the spec's order, so that a
// later column of the step may use an earlier one. A derived column overwrites
// a column of the same name or is appended.
type deriveStep struct {
	items []deriveItem
}

type deriveItem struct {
	column string
	expr   *expression
}

func compileDerive(lib *library, st spec.Step) (step, []error) {
	var errs []error
	s := &deriveStep{}
	for _, d := range st.Derive {
		e, err := compileExpr(lib, "derive "+d.Column, d.Expr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.items = append(s.items, deriveItem{column: d.Column, expr: e})
	}
	return s, errs
}

func (s *deriveStep) bind(sc *scope) (op, error) {
	var errs []error
	o := &deriveOp{}
	for _, it := range s.items {
		be, err := bindExpr(it.expr, sc, "derive "+it.column)
		if err != nil {
			errs = append(errs, err)
		}
		var slot int
		if i := sc.index(it.column); i >= 0 {
			slot = sc.slots[i]
			sc.types[slot] = it.expr.static
		} else {
			slot = sc.newSlot(it.column, it.expr.static)
		}
		o.items = append(o.items, deriveSlot{slot: slot, column: it.column, expr: be})
	}
	return o, errors.Join(errs...)
}

type deriveOp struct {
	items []deriveSlot
}

type deriveSlot struct {
	slot   int
	column string
	expr   *boundExpr
}

func (o *deriveOp) apply(c *chain) (Outcome, *Reject) {
	for i := range o.items {
		it := &o.items[i]
		v, err := it.expr.eval(c)
		if err != nil {
			return Rejected, &Reject{Column: it.column, Reason: reason(err)}
		}
		c.vals[it.slot] = v
	}
	return Kept, nil
}
