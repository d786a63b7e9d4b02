package spec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzLoadPipeline checks that no input makes the decoder panic, that a failure
// is always a list of *Error values with the file and in position order, and that
// a success always gives a pipeline that keeps the decoder's promises. The seed
// corpus is in testdata/fuzz/FuzzLoadPipeline, the DESIGN §2 example included.
func FuzzLoadPipeline(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		getenv := env(map[string]string{"SET": "1", "EMPTY": ""})
		p, err := LoadPipeline("f.yaml", data, getenv)
		if err != nil {
			if p != nil {
				t.Fatalf("a pipeline and an error")
			}
			checkErrors(t, err)
			return
		}
		checkPipeline(t, p)
	})
}

// checkErrors checks that err joins *Error values only, each naming f.yaml, in
// position order.
func checkErrors(t *testing.T, err error) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error is not a *spec.Error: %v", err)
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error is not joined: %T", err)
	}
	var prev Pos
	for _, e := range j.Unwrap() {
		se, ok := e.(*Error)
		if !ok {
			t.Fatalf("%T in the list: %v", e, e)
		}
		if se.Pos.File != "f.yaml" || se.Msg == "" || strings.Contains(se.Msg, "\n") {
			t.Fatalf("bad error %q at %+v", se.Msg, se.Pos)
		}
		if se.Pos.Line < prev.Line || se.Pos.Line == prev.Line && se.Pos.Col < prev.Col {
			t.Fatalf("errors out of order: %v", err)
		}
		prev = se.Pos
	}
}

// checkPipeline checks the promises of a decoded pipeline.
func checkPipeline(t *testing.T, p *Pipeline) {
	t.Helper()
	if p.Version != 1 || !pipelineName.MatchString(p.Name) || p.Source.Path == "" || p.Source.Pattern == "" {
		t.Fatalf("bad pipeline: %+v", p)
	}
	if !identifier.MatchString(p.Target.Table) || !slices.Contains(targetModes, p.Target.Mode) ||
		!slices.Contains(schemaEvolutions, p.Target.SchemaEvolution) || p.Target.Mode == "merge" && len(p.Target.Key) == 0 {
		t.Fatalf("bad target: %+v", p.Target)
	}
	if r := p.Quality.MaxRejectRatio; r != nil && !(*r >= 0 && *r <= 1) {
		t.Fatalf("bad ratio %v", *r)
	}
	for _, st := range p.Transform {
		if !slices.Contains(StepKinds, st.Kind) || st.Pos.Line == 0 {
			t.Fatalf("bad step %+v", st)
		}
		if st.Filter != nil && strings.TrimSpace(st.Filter.Text) == "" {
			t.Fatalf("empty filter")
		}
		for _, cr := range st.Validate {
			for _, r := range cr.Rules {
				if !slices.Contains(RuleKinds, r.Kind) {
					t.Fatalf("bad rule %+v", r)
				}
				switch r.Bound.(type) {
				case nil, int64, float64, string:
				default:
					t.Fatalf("bound of type %T", r.Bound)
				}
			}
		}
		for _, ids := range [][]Ident{st.Select, st.Drop} {
			for _, id := range ids {
				if id.Name == "" {
					t.Fatalf("empty column name in %s", st.Kind)
				}
			}
		}
	}
}

// TestFuzzCorpus keeps the seed corpus honest: the DESIGN example is in it.
func TestFuzzCorpus(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzLoadPipeline", "design_example"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "name: orders") {
		t.Errorf("design_example does not hold the DESIGN §2 pipeline")
	}
}
