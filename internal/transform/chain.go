package transform

import (
	"github.com/expr-lang/expr/vm"

	"github.com/sluice-data/sluice/internal/record"
)

// chain is a program bound to one set of source columns. Rows go through a
// buffer of slots (source columns first, then derived ones); the output is a
// gather of the slots that survive to the end.
type chain struct {
	cols    []record.Column
	ops     []op
	nsrc    int
	out     []int // slot of each output column
	vals    []any // the row buffer, reused
	env     map[string]any
	vm      vm.VM
	pending []pendingKey
}

// op is a bound step that runs on every row. It reads and writes the chain's
// row buffer and says whether the row goes on.
type op interface {
	apply(c *chain) (Outcome, *Reject)
}

func newChain(sc *scope, nsrc int, ops []op) *chain {
	return &chain{
		cols: sc.columns(),
		ops:  ops,
		nsrc: nsrc,
		out:  sc.slots,
		vals: make([]any, len(sc.raw)),
		env:  make(map[string]any),
	}
}

func (c *chain) columns() []record.Column {
	cols := make([]record.Column, len(c.cols))
	copy(cols, c.cols)
	return cols
}

func (c *chain) apply(in []any, out *[]any) (Outcome, *Reject) {
	n := copy(c.vals[:c.nsrc], in)
	clear(c.vals[n:])
	c.pending = c.pending[:0]
	for _, o := range c.ops {
		if outcome, rej := o.apply(c); outcome != Kept {
			clear(c.vals)
			return outcome, rej
		}
	}
	for _, p := range c.pending {
		p.set.m[p.key] = struct{}{}
	}
	row := (*out)[:0]
	for _, s := range c.out {
		row = append(row, c.vals[s])
	}
	*out = row
	clear(c.vals)
	return Kept, nil
}
