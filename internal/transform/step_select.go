package transform

import (
	"errors"

	"github.com/sluice-data/sluice/internal/spec"
)

// selectStep keeps the listed columns, in the listed order.
type selectStep struct {
	items []spec.Ident
}

// dropStep removes the listed columns.
type dropStep struct {
	items []spec.Ident
}

func compileSelect(st spec.Step, items []spec.Ident) []error {
	var errs []error
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.Name] {
			errs = append(errs, spec.Errorf(it.Pos, "%s: column %q is listed twice", st.Kind, it.Name))
		}
		seen[it.Name] = true
	}
	return errs
}

func (s *selectStep) bind(sc *scope) (op, error) {
	var errs []error
	names := make([]string, 0, len(s.items))
	slots := make([]int, 0, len(s.items))
	for _, it := range s.items {
		i, err := sc.find(it.Pos, it.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		names = append(names, sc.names[i])
		slots = append(slots, sc.slots[i])
	}
	sc.names, sc.slots = names, slots
	return nil, errors.Join(errs...)
}

func (s *dropStep) bind(sc *scope) (op, error) {
	var errs []error
	gone := make(map[int]bool, len(s.items))
	for _, it := range s.items {
		i, err := sc.find(it.Pos, it.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gone[i] = true
	}
	names := sc.names[:0:0]
	slots := sc.slots[:0:0]
	for i := range sc.names {
		if !gone[i] {
			names = append(names, sc.names[i])
			slots = append(slots, sc.slots[i])
		}
	}
	sc.names, sc.slots = names, slots
	return nil, errors.Join(errs...)
}
