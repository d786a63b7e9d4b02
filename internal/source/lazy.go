package source

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Lazy returns a Store that builds the real one with build on first use, so that
// a scheme can be registered without its cost or configuration (an AWS client,
// credentials) until a URL of it is actually used. A failed build is tried
// again on the next use. The store is safe for concurrent use.
func Lazy(build func(ctx context.Context) (Store, error)) Store {
	return &lazyStore{build: build}
}

type lazyStore struct {
	build func(ctx context.Context) (Store, error)
	mu    sync.Mutex
	s     Store
}

func (l *lazyStore) get(ctx context.Context) (Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s == nil {
		s, err := l.build(ctx)
		if err != nil {
			return nil, err
		}
		l.s = s
	}
	return l.s, nil
}

func (l *lazyStore) List(ctx context.Context, root string, match func(string) bool) ([]Object, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.List(ctx, root, match)
}

func (l *lazyStore) Open(ctx context.Context, obj Object) (io.ReadCloser, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, obj)
}

func (l *lazyStore) Create(ctx context.Context, rawURL string) (io.WriteCloser, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.Create(ctx, rawURL)
}

func (l *lazyStore) OpenAt(ctx context.Context, obj Object) (File, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	ra, ok := s.(RandomAccess)
	if !ok {
		return nil, fmt.Errorf("%s: this storage cannot read objects at random offsets", Redact(obj.URL))
	}
	return ra.OpenAt(ctx, obj)
}
