package source

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestLocalListGlobAndOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, p := range []string{"b.csv", "a.csv", "x.json", "sub/c.csv", "sub/deep/d.csv", "_rejects/p/r.jsonl"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(p), 0o644)
	}
	r := NewRouter()
	tests := []struct {
		pattern string
		want    []string
	}{
		{"*.csv", []string{"a.csv", "b.csv"}},
		{"**/*.csv", []string{"a.csv", "b.csv", "sub/c.csv", "sub/deep/d.csv"}},
		{"sub/**", []string{"sub/c.csv", "sub/deep/d.csv"}},
		{"", []string{"a.csv", "b.csv", "x.json"}},
		{"*.{json,csv}", []string{"a.csv", "b.csv", "x.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			objs, err := r.List(context.Background(), FileURL(dir), tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Key)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	if _, err := r.List(context.Background(), FileURL(filepath.Join(dir, "missing")), "*"); err == nil {
		t.Error("listing a missing folder: no error")
	}
	if _, err := r.List(context.Background(), FileURL(dir), "[a-"); err == nil {
		t.Error("bad pattern: no error")
	}
	if _, err := r.List(context.Background(), "ftp://x/y", "*"); err == nil {
		t.Error("unknown scheme: no error")
	}
}

func TestLocalCreateIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := FileURL(filepath.Join(dir, "out", "r.jsonl"))
	w, err := NewRouter().Create(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "hello\n")
	if _, err := os.Stat(filepath.Join(dir, "out", "r.jsonl")); err == nil {
		t.Fatal("file visible before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "r.jsonl"))
	if err != nil || string(b) != "hello\n" {
		t.Fatalf("%q %v", b, err)
	}
}

func TestPathOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"file:///abs/data": "/abs/data",
		"file://./data":    "./data",
		"/plain/path":      "/plain/path",
		"file://rel/x.csv": "rel/x.csv",
	} {
		got, err := PathOf(in)
		if err != nil || got != filepath.FromSlash(want) {
			t.Errorf("PathOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := PathOf("s3://b/k"); err == nil {
		t.Error("s3 URL accepted as a path")
	}
}
