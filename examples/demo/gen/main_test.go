package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedDataIsGenerated checks that examples/demo/data is exactly what the
// generator writes, so the demo data stays reproducible.
func TestCommittedDataIsGenerated(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "data")
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, p)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(committed, rel))
		if err != nil {
			t.Errorf("%s: %v (run go run ./examples/demo/gen)", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output (run go run ./examples/demo/gen)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 {
		t.Errorf("generator wrote %d files, want 7", n)
	}
}
