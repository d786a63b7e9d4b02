package transform

import (
	"fmt"
	"strings"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// scope is the set of columns at one point of the chain while binding. Each
// column lives in a slot of the row buffer: source columns in the first slots,
// each new derived column in a slot of its own. Renames, selects and drops only
// change the scope, so they cost nothing per row.
type scope struct {
	names []string      // current column names, in order
	slots []int         // slot of each current column
	raw   []string      // per slot: the source name as the reader gave it ("" when derived)
	types []record.Type // per slot: the type when a step fixes it
}

func newScope(raw, names []string) *scope {
	sc := &scope{names: names, slots: make([]int, len(raw)), raw: raw, types: make([]record.Type, len(raw))}
	for i := range raw {
		sc.slots[i] = i
	}
	return sc
}

// index returns the position of the column called name, or -1.
func (sc *scope) index(name string) int {
	for i, n := range sc.names {
		if n == name {
			return i
		}
	}
	return -1
}

// find returns the column's position or an error at pos naming the columns.
func (sc *scope) find(pos spec.Pos, name string) (int, error) {
	if i := sc.index(name); i >= 0 {
		return i, nil
	}
	return -1, spec.Errorf(pos, "%s", sc.missing(name))
}

// missing is the message for a column that does not exist here.
func (sc *scope) missing(name string) string {
	const show = 30
	list := sc.names
	more := ""
	if len(list) > show {
		list, more = list[:show], fmt.Sprintf(", … (%d more)", len(sc.names)-show)
	}
	return fmt.Sprintf("column %q does not exist (columns: %s%s)", name, strings.Join(list, ", "), more)
}

// newSlot appends a column in a new slot and returns the slot.
func (sc *scope) newSlot(name string, t record.Type) int {
	slot := len(sc.raw)
	sc.raw = append(sc.raw, "")
	sc.types = append(sc.types, t)
	sc.names = append(sc.names, name)
	sc.slots = append(sc.slots, slot)
	return slot
}

// columns returns the scope as output columns.
func (sc *scope) columns() []record.Column {
	cols := make([]record.Column, len(sc.names))
	for i, n := range sc.names {
		cols[i] = record.Column{Name: n, Type: sc.types[sc.slots[i]]}
	}
	return cols
}
