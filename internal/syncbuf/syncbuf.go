// Package syncbuf holds a bytes buffer that several goroutines may write and
// read at once: the output of a subprocess (a test server, the Lambda
// emulator, a benchmarked command) read while it still runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a concurrency-safe byte buffer. The zero value is ready to use.
type Buffer struct {
	// Max, when above 0, bounds what the buffer keeps: writes past it are
	// accepted and dropped. Default 0: no bound.
	Max int

	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p (or drops it once Max is reached); it never fails.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Max > 0 && s.b.Len() > s.Max {
		return len(p), nil
	}
	return s.b.Write(p)
}

// String returns everything kept so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
