package spec

import (
	"errors"
	"testing"
)

func FuzzLoadPipeline(f *testing.F) {
	f.Add([]byte(designExample))
	f.Add([]byte("version: 1\nsource: {path: x, pattren: y}\ntransform:\n  - frob: {}\n"))
	f.Add([]byte("version: 1\nsource: &a {path: x}\ntarget: *a\n"))
	f.Add([]byte("- [a, b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := LoadPipeline("f.yaml", data, func(string) string { return "" })
		if err == nil {
			if p == nil || p.Name == "" {
				t.Fatalf("no error and no pipeline")
			}
			return
		}
		var se *Error
		if !errors.As(err, &se) || len(Errors(err)) == 0 {
			t.Fatalf("error is not a list of *spec.Error: %v", err)
		}
		for _, e := range Errors(err) {
			if e.Pos.File != "f.yaml" {
				t.Fatalf("error without its file: %v", e)
			}
		}
	})
}
