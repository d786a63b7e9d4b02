package source

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Local serves file:// URLs from the local file system.
type Local struct{}

// PathOf turns a file:// URL (or a bare path) into a file system path.
func PathOf(rawURL string) (string, error) {
	if !strings.HasPrefix(rawURL, "file://") {
		if strings.Contains(rawURL, "://") {
			return "", fmt.Errorf("not a file URL: %q", rawURL)
		}
		return filepath.FromSlash(rawURL), nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("bad file URL %q: %w", rawURL, err)
	}
	p := u.Path
	if u.Host != "" && u.Host != "localhost" { // file://./data or file://data: a relative path
		p = u.Host + p
	}
	return filepath.FromSlash(p), nil
}

// FileURL returns the file:// URL of an absolute path.
func FileURL(path string) string {
	return "file://" + filepath.ToSlash(path)
}

// List walks root and returns the files whose key matches, sorted by key. A
// missing root is an error that names it.
func (Local) List(ctx context.Context, root string, match func(string) bool) ([]Object, error) {
	dir, err := PathOf(root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var out []Object
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), "_") { // _rejects and other Sluice output
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !match(key) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		out = append(out, Object{URL: FileURL(abs), Key: key, Size: info.Size(), ModTime: info.ModTime().UTC()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Open opens a local file.
func (Local) Open(_ context.Context, obj Object) (io.ReadCloser, error) {
	p, err := PathOf(obj.URL)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Create writes a file atomically: into a temporary file that Close renames.
func (Local) Create(_ context.Context, rawURL string) (io.WriteCloser, error) {
	p, err := PathOf(rawURL)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, final: p}, nil
}

type atomicFile struct {
	*os.File
	final string
}

func (f *atomicFile) Close() error {
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), f.final)
}

// OpenAt opens a local file for random access.
func (Local) OpenAt(_ context.Context, obj Object) (File, error) {
	p, err := PathOf(obj.URL)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &localFile{File: f, size: st.Size()}, nil
}

type localFile struct {
	*os.File
	size int64
}

func (f *localFile) Size() int64 { return f.size }
