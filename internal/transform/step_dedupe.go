package transform

import (
	"errors"

	"github.com/sluice-data/sluice/internal/spec"
)

// dedupeStep only checks, at Bind, that its keys exist where it stands; the sink
// applies the deduplication over the run's staged rows (see Program.Dedupe).
type dedupeStep struct {
	keys []spec.Ident
}

func (s *dedupeStep) bind(sc *scope) (op, error) {
	var errs []error
	for _, k := range s.keys {
		if _, err := sc.find(k.Pos, k.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return nil, errors.Join(errs...)
}

// dedupeDecl follows the dedupe keys through the steps after the dedupe step:
// renames change their names, and a select or drop that removes one is an
// error, since the sink finds the keys among the output columns.
type dedupeDecl struct {
	out  Dedupe
	pos  []spec.Pos
	errs []error
}

func newDedupeDecl(st spec.Step) *dedupeDecl {
	d := &dedupeDecl{out: Dedupe{Keep: st.Dedupe.Keep}}
	if d.out.Keep == "" {
		d.out.Keep = "last"
	}
	if d.out.Keep != "first" && d.out.Keep != "last" {
		d.errs = append(d.errs, spec.Errorf(st.Dedupe.Pos, "dedupe: keep must be first or last, not %q", st.Dedupe.Keep))
	}
	if len(st.Dedupe.Key) == 0 {
		d.errs = append(d.errs, spec.Errorf(st.Dedupe.Pos, "dedupe: key needs at least one column"))
	}
	seen := map[string]bool{}
	for _, k := range st.Dedupe.Key {
		if seen[k.Name] {
			d.errs = append(d.errs, spec.Errorf(k.Pos, "dedupe: key column %q is listed twice", k.Name))
			continue
		}
		seen[k.Name] = true
		d.out.Key = append(d.out.Key, k.Name)
		d.pos = append(d.pos, k.Pos)
	}
	return d
}

// follow applies a later step to the key names.
func (d *dedupeDecl) follow(st spec.Step) {
	switch st.Kind {
	case "rename":
		for i, k := range d.out.Key {
			for _, r := range st.Rename {
				if r.From == k {
					d.out.Key[i] = r.To
				}
			}
		}
	case "select":
		listed := map[string]bool{}
		for _, it := range st.Select {
			listed[it.Name] = true
		}
		for _, k := range d.out.Key {
			if !listed[k] {
				d.errs = append(d.errs, spec.Errorf(st.Pos, "select: dedupe key %q must be selected (the sink deduplicates output rows by it)", k))
			}
		}
	case "drop":
		for _, it := range st.Drop {
			for _, k := range d.out.Key {
				if it.Name == k {
					d.errs = append(d.errs, spec.Errorf(it.Pos, "drop: cannot drop dedupe key %q (the sink deduplicates output rows by it)", k))
				}
			}
		}
	}
}
