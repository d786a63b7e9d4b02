package transform

import (
	"errors"

	"github.com/sluice-data/sluice/internal/spec"
)

// renameStep renames columns. All renames of one step apply at once, so a step
// may swap two names.
type renameStep struct {
	items []spec.Rename
}

func compileRename(st spec.Step) (step, []error) {
	var errs []error
	from := map[string]bool{}
	for _, r := range st.Rename {
		switch {
		case from[r.From]:
			errs = append(errs, spec.Errorf(r.Pos, "rename: column %q is renamed twice in one step", r.From))
		case r.To == "":
			errs = append(errs, spec.Errorf(r.Pos, "rename: new name of %q is empty", r.From))
		}
		from[r.From] = true
	}
	return &renameStep{items: st.Rename}, errs
}

func (s *renameStep) bind(sc *scope) (op, error) {
	var errs []error
	idx := make([]int, len(s.items))
	for i, r := range s.items {
		idx[i] = sc.index(r.From)
		if idx[i] < 0 { // the reader's name of a column now known by its normalised name
			for j, slot := range sc.slots {
				if sc.raw[slot] == r.From {
					idx[i] = j
					break
				}
			}
		}
		if idx[i] < 0 {
			errs = append(errs, spec.Errorf(r.Pos, "rename: %s", sc.missing(r.From)))
		}
	}
	renamed := map[int]bool{}
	for i, r := range s.items {
		if idx[i] >= 0 {
			sc.names[idx[i]] = r.To
			renamed[idx[i]] = true
		}
	}
	for i, r := range s.items {
		if idx[i] < 0 {
			continue
		}
		for j, n := range sc.names {
			if n == r.To && j != idx[i] {
				errs = append(errs, spec.Errorf(r.Pos, "rename: column %q already exists", r.To))
				break
			}
		}
	}
	return nil, errors.Join(errs...)
}
