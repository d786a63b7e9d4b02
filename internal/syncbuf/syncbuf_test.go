package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestConcurrentWritesAndReads(t *testing.T) {
	t.Parallel()
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("ab"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); len(got) != 800 || strings.Trim(got, "ab") != "" {
		t.Errorf("%d bytes: %.20q", len(got), got)
	}
}

func TestMax(t *testing.T) {
	t.Parallel()
	b := Buffer{Max: 4}
	for range 10 {
		if n, err := b.Write([]byte("xyz")); n != 3 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := b.String(); got != "xyzxyz" {
		t.Errorf("kept %q, want the writes up to the bound", got)
	}
}
