package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Project defaults.
const (
	DefaultDatabase  = "sqlite://./sluice.db"
	DefaultStorage   = "file://./data"
	DefaultPipelines = "./pipelines"
)

// LoadProject reads dir/sluice.yaml (or sluice.yml). Without a file the defaults
// apply. SLUICE_DATABASE_URL, SLUICE_STORAGE_URL and SLUICE_PIPELINES override
// the file.
func LoadProject(dir string, getenv func(string) string) (*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	p := &Project{
		Dir: abs, Version: 1, Database: DefaultDatabase, Storage: DefaultStorage, Pipelines: DefaultPipelines,
		API: API{Addr: DefaultAPIAddr, MaxRows: DefaultMaxRows},
	}
	for _, name := range []string{"sluice.yaml", "sluice.yml"} {
		path := filepath.Join(abs, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the project file: %w", err)
		}
		p.File = path
		if err := decodeProject(p, path, data, getenv); err != nil {
			return nil, err
		}
		break
	}
	for env, dst := range map[string]*string{"SLUICE_DATABASE_URL": &p.Database, "SLUICE_STORAGE_URL": &p.Storage, "SLUICE_PIPELINES": &p.Pipelines} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
	return p, nil
}

func decodeProject(p *Project, path string, data []byte, getenv func(string) string) error {
	d := &decoder{file: path, getenv: getenv}
	root := d.parse(data)
	if root == nil {
		return d.err()
	}
	version := 0
	d.mapping(root, "the project file", []field{
		{name: "version", required: true, decode: func(n *yaml.Node) {
			if v, ok := d.integer(n, "version"); ok {
				if v != 1 {
					d.errorf(n, "version %d is not supported: write version: 1", v)
				}
				version = v
			}
		}},
		{name: "database", decode: d.strTo(&p.Database, "database")},
		{name: "storage", decode: d.strTo(&p.Storage, "storage")},
		{name: "pipelines", decode: d.strTo(&p.Pipelines, "pipelines")},
		{name: "api", decode: func(n *yaml.Node) {
			d.mapping(n, "api", []field{
				{name: "addr", decode: d.strTo(&p.API.Addr, "api.addr")},
				{name: "max_rows", decode: func(n *yaml.Node) {
					if v, ok := d.integer(n, "api.max_rows"); ok {
						if v < 1 || v > 100000 {
							d.errorf(n, "api.max_rows must be from 1 to 100000, found %d", v)
						}
						p.API.MaxRows = v
					}
				}},
			})
		}},
	})
	p.Version = version
	for _, u := range []struct{ key, val string }{{"database", p.Database}, {"storage", p.Storage}} {
		if u.val == "" {
			d.errorf(root, "%s must not be empty", u.key)
		}
	}
	return d.err()
}

// Resolve turns a relative path or URL of the project file into an absolute one
// against the project folder: "./x", "x", "file://./x" and "sqlite://./x.db".
// Absolute paths and other schemes (s3://, postgres://, mysql://) are returned
// unchanged.
func (p *Project) Resolve(pathOrURL string) string {
	for _, scheme := range []string{"file://", "sqlite://"} {
		if rest, ok := strings.CutPrefix(pathOrURL, scheme); ok {
			q := ""
			if i := strings.IndexByte(rest, '?'); i >= 0 {
				rest, q = rest[:i], rest[i:]
			}
			if filepath.IsAbs(rest) {
				return pathOrURL
			}
			return scheme + filepath.ToSlash(filepath.Join(p.Dir, rest)) + q
		}
	}
	if strings.Contains(pathOrURL, "://") || filepath.IsAbs(pathOrURL) {
		return pathOrURL
	}
	return filepath.Join(p.Dir, pathOrURL)
}
