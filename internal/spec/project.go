package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Project defaults, used when sluice.yaml is absent or does not set them.
const (
	DefaultDatabase  = "sqlite://./sluice.db"
	DefaultStorage   = "file://./data"
	DefaultPipelines = "./pipelines"
)

// MaxAPIRows is the largest api.max_rows a project may set.
const MaxAPIRows = 100_000

// Environment variables that override the project file, so that a Lambda needs no
// file at all.
const (
	EnvDatabaseURL = "SLUICE_DATABASE_URL"
	EnvStorageURL  = "SLUICE_STORAGE_URL"
	EnvPipelines   = "SLUICE_PIPELINES"
)

// projectFiles are the names of the project file, in the order they are looked for.
var projectFiles = []string{"sluice.yaml", "sluice.yml"}

// LoadProject reads dir/sluice.yaml (or sluice.yml). Without a file the defaults
// apply; that is not an error. SLUICE_DATABASE_URL, SLUICE_STORAGE_URL and
// SLUICE_PIPELINES, when set and not empty, override the file. Relative paths are
// kept as written: Resolve turns them into absolute ones. Problems in the file are
// returned together as *Error values joined with errors.Join.
func LoadProject(dir string, getenv func(string) string) (*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("project folder %s: %w", dir, err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("project folder %s does not exist or is not a folder", abs)
	}
	p := &Project{
		Dir: abs, Version: 1, Database: DefaultDatabase, Storage: DefaultStorage, Pipelines: DefaultPipelines,
		API: API{Addr: DefaultAPIAddr, MaxRows: DefaultMaxRows, StatementTimeout: 10 * time.Second, RateLimit: 50, RateBurst: 100},
	}
	var found []string
	for _, name := range projectFiles {
		path := filepath.Join(abs, name)
		if _, err := os.Stat(path); err == nil {
			found = append(found, path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading the project file: %w", err)
		}
	}
	switch len(found) {
	case 0:
	case 1:
		data, err := os.ReadFile(found[0])
		if err != nil {
			return nil, fmt.Errorf("reading the project file: %w", err)
		}
		p.File = found[0]
		if err := decodeProject(p, found[0], data, getenv); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("both %s and %s exist in %s: keep one project file", projectFiles[0], projectFiles[1], abs)
	}
	for _, o := range []struct {
		env string
		dst *string
	}{{EnvDatabaseURL, &p.Database}, {EnvStorageURL, &p.Storage}, {EnvPipelines, &p.Pipelines}} {
		if v := getenv(o.env); v != "" {
			*o.dst = v
		}
	}
	for _, o := range []struct {
		env string
		dst *string
	}{{"SLUICE_JWT_ISSUER", &p.API.JWT.Issuer}, {"SLUICE_JWT_AUDIENCE", &p.API.JWT.Audience}, {"SLUICE_JWT_JWKS_URL", &p.API.JWT.JWKSURL}, {"SLUICE_JWT_SCOPES_CLAIM", &p.API.JWT.ScopesClaim}} {
		if v := getenv(o.env); v != "" {
			*o.dst = v
		}
	}
	if j := p.API.JWT; j.Issuer != "" && (j.Audience == "" || j.JWKSURL == "") {
		return nil, fmt.Errorf("api.jwt: issuer is set, so audience and jwks_url must be too (tokens are checked against all three)")
	}
	return p, nil
}

// decodeProject decodes the project file's content into p, which holds the
// defaults.
func decodeProject(p *Project, path string, data []byte, getenv func(string) string) error {
	d := newDecoder(path)
	root := d.parse(data, getenv)
	if root == nil {
		return d.err()
	}
	nonEmpty := func(dst *string, what, example string) func(*yaml.Node) {
		return func(n *yaml.Node) {
			s, ok := d.str(n, what)
			switch {
			case !ok:
			case s == "":
				d.errorf(n, "%s is empty: remove the key to use the default %s", what, example)
			case what == "database" && !strings.Contains(s, "://"):
				d.errorf(n, "database: %q is not a URL: write sqlite://./sluice.db, postgres://… or mysql://…", s)
			default:
				*dst = s
			}
		}
	}
	d.mapping(root, "the project file", []field{
		{name: "version", required: true, decode: func(n *yaml.Node) { p.Version = d.version(n) }},
		{name: "database", decode: nonEmpty(&p.Database, "database", DefaultDatabase)},
		{name: "storage", decode: nonEmpty(&p.Storage, "storage", DefaultStorage)},
		{name: "pipelines", decode: nonEmpty(&p.Pipelines, "pipelines", DefaultPipelines)},
		{name: "api", decode: func(n *yaml.Node) {
			d.mapping(n, "api", []field{
				{name: "addr", decode: func(n *yaml.Node) {
					s, ok := d.str(n, "api.addr")
					if !ok {
						return
					}
					if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
						d.errorf(n, "api.addr: %q is not host:port; write for example %s", s, DefaultAPIAddr)
						return
					}
					p.API.Addr = s
				}},
				{name: "max_rows", decode: func(n *yaml.Node) {
					if v, ok := d.integer(n, "api.max_rows"); ok {
						if v < 1 || v > MaxAPIRows {
							d.errorf(n, "api.max_rows must be from 1 to %d, found %d", MaxAPIRows, v)
							return
						}
						p.API.MaxRows = v
					}
				}},
				{name: "statement_timeout", decode: func(n *yaml.Node) {
					if s, ok := d.str(n, "api.statement_timeout"); ok {
						t, err := time.ParseDuration(s)
						if err != nil || t < 10*time.Millisecond || t > time.Hour {
							d.errorf(n, "api.statement_timeout: %q is not a duration from 10ms to 1h; write for example 10s", s)
							return
						}
						p.API.StatementTimeout = t
					}
				}},
				{name: "rate_limit", decode: func(n *yaml.Node) {
					if v, ok := d.number(n, "api.rate_limit"); ok {
						if v < 0 {
							d.errorf(n, "api.rate_limit must be 0 (no limit) or more requests a second, found %g", v)
							return
						}
						p.API.RateLimit = v
					}
				}},
				{name: "rate_burst", decode: func(n *yaml.Node) {
					if v, ok := d.integer(n, "api.rate_burst"); ok {
						if v < 1 {
							d.errorf(n, "api.rate_burst must be at least 1, found %d", v)
							return
						}
						p.API.RateBurst = v
					}
				}},
				{name: "cors_origins", decode: func(n *yaml.Node) {
					if n.Kind != yaml.SequenceNode {
						d.errorf(n, "api.cors_origins: expected a list of origins such as [\"https://app.example.com\"]")
						return
					}
					for _, item := range n.Content {
						if s, ok := d.str(item, "api.cors_origins"); ok {
							if s != "*" && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
								d.errorf(item, "api.cors_origins: %q is not an origin; write scheme://host[:port], or * for any", s)
								continue
							}
							p.API.CORSOrigins = append(p.API.CORSOrigins, strings.TrimSuffix(s, "/"))
						}
					}
				}},
				{name: "jwt", decode: func(n *yaml.Node) {
					d.mapping(n, "api.jwt", []field{
						{name: "issuer", decode: d.strTo(&p.API.JWT.Issuer, "api.jwt.issuer")},
						{name: "audience", decode: d.strTo(&p.API.JWT.Audience, "api.jwt.audience")},
						{name: "jwks_url", decode: d.strTo(&p.API.JWT.JWKSURL, "api.jwt.jwks_url")},
						{name: "scopes_claim", decode: d.strTo(&p.API.JWT.ScopesClaim, "api.jwt.scopes_claim")},
					})
				}},
			})
		}},
		{name: "alerts", decode: func(n *yaml.Node) { d.alerts(n, &p.Alerts) }},
	})
	return d.err()
}

// version decodes the version key of either file; only version 1 exists.
func (d *decoder) version(n *yaml.Node) int {
	v, ok := d.integer(n, "version")
	if !ok {
		return 0
	}
	if v != 1 {
		d.errorf(n, "version %d is not supported: write version: 1", v)
	}
	return v
}

// Resolve turns a path or URL of the project file into an absolute one against
// the project folder: "./x", "x", "file://./x" and "sqlite://./x.db" become
// "/dir/x", "/dir/x", "file:///dir/x" and "sqlite:///dir/x.db". Absolute paths,
// sqlite://:memory: and other schemes (s3://, postgres://, mysql://) are returned
// unchanged, and so is "".
func (p *Project) Resolve(pathOrURL string) string {
	if pathOrURL == "" {
		return ""
	}
	for _, scheme := range []string{"file://", "sqlite://"} {
		rest, ok := strings.CutPrefix(pathOrURL, scheme)
		if !ok {
			continue
		}
		query := ""
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest, query = rest[:i], rest[i:]
		}
		if rest == "" || filepath.IsAbs(rest) || strings.HasPrefix(rest, ":memory:") {
			return pathOrURL
		}
		return scheme + filepath.ToSlash(filepath.Join(p.Dir, rest)) + query
	}
	if strings.Contains(pathOrURL, "://") || filepath.IsAbs(pathOrURL) {
		return pathOrURL
	}
	return filepath.Join(p.Dir, pathOrURL)
}
