package transform

import (
	"errors"
	"slices"
	"time"

	"github.com/sluice-data/sluice/internal/spec"
)

// step is a compiled transform step.
type step interface {
	// bind resolves the step's column names in sc, changes sc to the columns
	// as they are after the step, and returns the step's row-level operation,
	// or nil when the step only renames, reorders or declares.
	bind(sc *scope) (op, error)
}

// program is a compiled pipeline transform: its steps, the source names that
// renames keep as written, and the dedupe declaration.
type program struct {
	steps   []step
	keepRaw map[string]bool // source names that a rename step names as From
	dd      *Dedupe
	lib     *library
}

// compile compiles every step, gathering every problem.
func compile(p *spec.Pipeline) (*program, error) {
	prog := &program{keepRaw: map[string]bool{}, lib: newLibrary(time.Now())}
	var (
		errs []error
		dd   *dedupeDecl
	)
	for _, st := range p.Transform {
		s, stepErrs := compileStep(prog.lib, st)
		errs = append(errs, stepErrs...)
		if s != nil {
			prog.steps = append(prog.steps, s)
		}
		if dd != nil {
			dd.follow(st)
		}
		switch st.Kind {
		case "rename":
			for _, r := range st.Rename {
				prog.keepRaw[r.From] = true
			}
		case "dedupe":
			if st.Dedupe == nil {
				break
			}
			if dd != nil {
				errs = append(errs, spec.Errorf(st.Pos, "dedupe: only one dedupe step is allowed"))
				break
			}
			dd = newDedupeDecl(st)
		}
	}
	if dd != nil {
		errs = append(errs, dd.errs...)
		prog.dd = &dd.out
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return prog, nil
}

// compileStep compiles one step; a step whose field does not match its kind is
// an error (the spec decoder should not produce one).
func compileStep(lib *library, st spec.Step) (step, []error) {
	missing := func() []error { return []error{spec.Errorf(st.Pos, "%s step has no content", st.Kind)} }
	switch st.Kind {
	case "rename":
		return compileRename(st)
	case "cast":
		return compileCast(st)
	case "derive":
		return compileDerive(lib, st)
	case "filter":
		if st.Filter == nil {
			return nil, missing()
		}
		return compileFilter(lib, st)
	case "validate":
		return compileValidate(st)
	case "select":
		return &selectStep{items: st.Select}, compileSelect(st, st.Select)
	case "drop":
		return &dropStep{items: st.Drop}, compileSelect(st, st.Drop)
	case "dedupe":
		if st.Dedupe == nil {
			return nil, missing()
		}
		return &dedupeStep{keys: st.Dedupe.Key}, nil
	}
	return nil, []error{spec.Errorf(st.Pos, "unknown step %q (steps: rename, cast, derive, filter, validate, dedupe, select, drop)", st.Kind)}
}

func (p *program) dedupe() *Dedupe {
	if p.dd == nil {
		return nil
	}
	d := *p.dd
	d.Key = slices.Clone(d.Key)
	return &d
}

// bind names the source columns and binds every step in order; every missing
// column is reported.
func (p *program) bind(cols []string) (*Chain, error) {
	sc := newScope(slices.Clone(cols), sourceNames(cols, p.keepRaw))
	var (
		ops  []op
		errs []error
	)
	for _, s := range p.steps {
		o, err := s.bind(sc)
		if err != nil {
			errs = append(errs, err)
		}
		if o != nil {
			ops = append(ops, o)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Chain{chain: newChain(sc, len(cols), ops)}, nil
}
