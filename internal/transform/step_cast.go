package transform

import (
	"errors"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// castStep converts columns to their declared types; a value that does not
// convert rejects the row. Formats are compiled once, here.
type castStep struct {
	items []castItem
}

type castItem struct {
	pos    spec.Pos
	column string
	conv   record.Converter
}

func compileCast(st spec.Step) (step, []error) {
	var errs []error
	s := &castStep{}
	for _, c := range st.Cast {
		conv, err := record.NewConverter(c.Type)
		if err != nil {
			errs = append(errs, spec.Errorf(c.Pos, "cast %s: %v", c.Column, err))
			continue
		}
		s.items = append(s.items, castItem{pos: c.Pos, column: c.Column, conv: conv})
	}
	return s, errs
}

func (s *castStep) bind(sc *scope) (op, error) {
	var errs []error
	o := &castOp{}
	for _, it := range s.items {
		i, err := sc.find(it.pos, it.column)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		slot := sc.slots[i]
		sc.types[slot] = it.conv.Type().Base()
		o.items = append(o.items, castSlot{slot: slot, column: it.column, conv: it.conv})
	}
	return o, errors.Join(errs...)
}

type castOp struct {
	items []castSlot
}

type castSlot struct {
	slot   int
	column string
	conv   record.Converter
}

func (o *castOp) apply(c *chain) (Outcome, *Reject) {
	for i := range o.items {
		it := &o.items[i]
		v := c.vals[it.slot]
		if v == nil {
			continue
		}
		x, err := it.conv.Convert(v)
		if err != nil {
			return Rejected, &Reject{Column: it.column, Reason: err.Error(), Value: record.String(v)}
		}
		c.vals[it.slot] = x
	}
	return Kept, nil
}
