// Package source lists and reads the objects a pipeline loads, and writes the
// files Sluice produces (rejects), behind URLs: file://dir today, s3://bucket/prefix
// next. Listing applies the pipeline's glob pattern and returns objects in a stable
// (lexical) order.
package source

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Object is one listed source object.
type Object struct {
	URL     string    // full URL of the object
	Key     string    // path below the listed root, with forward slashes; what the pattern matched
	Size    int64     // bytes
	ModTime time.Time // last modification
	ETag    string    // entity tag, without quotes ("" for local files)
	// Version is the S3 version id to read, when the caller knows it (an S3
	// event names the version written); listing leaves it empty and reads are
	// pinned to the ETag instead.
	Version string
}

// Store lists, reads and writes objects under one URL scheme.
type Store interface {
	List(ctx context.Context, root string, match func(key string) bool) ([]Object, error)
	Open(ctx context.Context, obj Object) (io.ReadCloser, error)
	Create(ctx context.Context, rawURL string) (io.WriteCloser, error)
}

// Router dispatches to the Store of each URL scheme.
type Router struct {
	stores map[string]Store
}

// NewRouter returns a router that serves file:// URLs (and bare paths).
func NewRouter() *Router {
	return &Router{stores: map[string]Store{"file": Local{}}}
}

// Register serves the scheme with s.
func (r *Router) Register(scheme string, s Store) { r.stores[scheme] = s }

func (r *Router) store(rawURL string) (Store, error) {
	scheme := "file"
	if i := strings.Index(rawURL, "://"); i > 0 {
		scheme = rawURL[:i]
	}
	s, ok := r.stores[scheme]
	if !ok {
		return nil, fmt.Errorf("unsupported storage URL %q: use file://DIR or s3://BUCKET/PREFIX", rawURL)
	}
	return s, nil
}

// List returns the objects below root whose key matches pattern (a glob where **
// crosses folders), sorted by key.
func (r *Router) List(ctx context.Context, root, pattern string) ([]Object, error) {
	if pattern == "" {
		pattern = "*"
	}
	if !doublestar.ValidatePattern(pattern) {
		return nil, fmt.Errorf("bad glob pattern %q", pattern)
	}
	s, err := r.store(root)
	if err != nil {
		return nil, err
	}
	return s.List(ctx, root, func(key string) bool {
		ok, _ := doublestar.Match(pattern, key)
		return ok
	})
}

// Open opens an object for reading.
func (r *Router) Open(ctx context.Context, obj Object) (io.ReadCloser, error) {
	s, err := r.store(obj.URL)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, obj)
}

// Create creates (or truncates) the object at rawURL for writing; the object is
// complete once Close returns nil.
func (r *Router) Create(ctx context.Context, rawURL string) (io.WriteCloser, error) {
	s, err := r.store(rawURL)
	if err != nil {
		return nil, err
	}
	return s.Create(ctx, rawURL)
}

// Join appends a relative path to a storage URL: Join("file:///data", "incoming/x/")
// is "file:///data/incoming/x/". A rel that is itself a URL is returned as is.
func Join(base, rel string) string {
	if strings.Contains(rel, "://") {
		return rel
	}
	if rel == "" {
		return base
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(rel, "/")
}

// Redact removes credentials from a URL for display.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	return u.Redacted()
}

// File is an object opened for random access, as columnar formats (Parquet) need:
// the footer first, then the column chunks of one row group at a time.
type File interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// RandomAccess is implemented by stores that can open an object for random access
// (local files directly, S3 with ranged GETs).
type RandomAccess interface {
	OpenAt(ctx context.Context, obj Object) (File, error)
}

// OpenAt opens an object for random access.
func (r *Router) OpenAt(ctx context.Context, obj Object) (File, error) {
	s, err := r.store(obj.URL)
	if err != nil {
		return nil, err
	}
	ra, ok := s.(RandomAccess)
	if !ok {
		return nil, fmt.Errorf("%s: this storage cannot read objects at random offsets", Redact(obj.URL))
	}
	return ra.OpenAt(ctx, obj)
}
