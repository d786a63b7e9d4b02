package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	pipelineName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	identifier   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// LoadPipelines reads every *.yaml and *.yml file of the project's pipelines
// folder, sorted by file name. Every problem of every file is reported.
func LoadPipelines(p *Project, getenv func(string) string) ([]*Pipeline, error) {
	dir := p.Resolve(p.Pipelines)
	if strings.Contains(dir, "://") {
		return nil, fmt.Errorf("pipelines folder %s: only local folders are supported by this build", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the pipelines folder %s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	var out []*Pipeline
	var errs []*Error
	seen := map[string]*Pipeline{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pl, err := LoadPipeline(f, data, getenv)
		if err != nil {
			errs = append(errs, Errors(err)...)
			if len(Errors(err)) == 0 {
				errs = append(errs, &Error{Pos: Pos{File: f}, Msg: err.Error()})
			}
			continue
		}
		if prev, dup := seen[pl.Name]; dup {
			errs = append(errs, Errorf(pl.namePos, "pipeline name %q is already used by %s; names must be unique", pl.Name, prev.File))
			continue
		}
		seen[pl.Name] = pl
		out = append(out, pl)
	}
	if len(errs) > 0 {
		return out, errorList(errs)
	}
	return out, nil
}

// LoadPipeline decodes one pipeline spec strictly.
func LoadPipeline(path string, data []byte, getenv func(string) string) (*Pipeline, error) {
	d := &decoder{file: path, getenv: getenv}
	p := &Pipeline{File: path, Pos: Pos{File: path, Line: 1, Col: 1}}
	root := d.parse(data)
	if root == nil {
		return nil, d.err()
	}
	p.Pos = d.pos(root)
	p.namePos = p.Pos
	nameSet := false
	d.mapping(root, "the pipeline", []field{
		{name: "version", required: true, decode: func(n *yaml.Node) {
			if v, ok := d.integer(n, "version"); ok {
				if v != 1 {
					d.errorf(n, "version %d is not supported: write version: 1", v)
				}
				p.Version = v
			}
		}},
		{name: "name", decode: func(n *yaml.Node) {
			if s, ok := d.str(n, "name"); ok {
				p.Name, p.namePos, nameSet = s, d.pos(n), true
			}
		}},
		{name: "description", decode: d.strTo(&p.Description, "description")},
		{name: "schedule", decode: func(n *yaml.Node) {
			if s, ok := d.str(n, "schedule"); ok {
				p.Schedule = s
				if err := CheckSchedule(s); err != nil {
					d.errorf(n, "schedule: %v", err)
				}
			}
		}},
		{name: "source", required: true, decode: func(n *yaml.Node) { d.source(n, &p.Source) }},
		{name: "transform", decode: func(n *yaml.Node) { p.Transform = d.steps(n) }},
		{name: "target", decode: func(n *yaml.Node) { d.target(n, &p.Target) }},
		{name: "quality", decode: func(n *yaml.Node) {
			d.mapping(n, "quality", []field{
				{name: "max_reject_ratio", decode: func(n *yaml.Node) {
					if f, ok := d.number(n, "quality.max_reject_ratio"); ok {
						if f < 0 || f > 1 {
							d.errorf(n, "quality.max_reject_ratio must be from 0 to 1 (0.01 is 1%%), found %v", f)
						}
						p.Quality.MaxRejectRatio = &f
					}
				}},
			})
		}},
	})
	if !nameSet {
		base := filepath.Base(path)
		p.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	}
	if !pipelineName.MatchString(p.Name) {
		fixed := strings.Trim(regexp.MustCompile(`[^a-z0-9_]+`).ReplaceAllString(strings.ToLower(p.Name), "_"), "_")
		d.errs = append(d.errs, Errorf(p.namePos, "pipeline name %q must be lowercase letters, digits and _, starting with a letter (for example %q)", p.Name, fixed))
	}
	if p.Target.Table == "" {
		p.Target.Table = p.Name
	}
	if p.Target.Mode == "" {
		p.Target.Mode = "append"
	}
	if p.Target.SchemaEvolution == "" {
		p.Target.SchemaEvolution = "add_columns"
	}
	if p.Target.Mode == "merge" && len(p.Target.Key) == 0 {
		pos := p.Target.Pos
		if pos.Line == 0 {
			pos = p.Pos
		}
		d.errs = append(d.errs, Errorf(pos, "target: mode merge needs a key: add key: [column]"))
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return p, nil
}

func (d *decoder) source(n *yaml.Node, s *Source) {
	s.Pos = d.pos(n)
	d.mapping(n, "source", []field{
		{name: "path", required: true, decode: d.strTo(&s.Path, "source.path")},
		{name: "pattern", decode: func(n *yaml.Node) {
			if v, ok := d.str(n, "source.pattern"); ok {
				s.Pattern = v
				if err := checkGlob(v); err != nil {
					d.errorf(n, "source.pattern: %v", err)
				}
			}
		}},
		{name: "format", decode: func(n *yaml.Node) {
			if v, ok := d.str(n, "source.format"); ok {
				s.Format = strings.ToLower(v)
				d.oneOf(n, "source.format", s.Format, "csv", "tsv", "jsonl", "json", "parquet")
			}
		}},
		{name: "compression", decode: func(n *yaml.Node) {
			if v, ok := d.str(n, "source.compression"); ok {
				s.Compression = strings.ToLower(v)
				d.oneOf(n, "source.compression", s.Compression, "gzip", "zstd", "none")
			}
		}},
		{name: "csv", decode: func(n *yaml.Node) { d.csv(n, &s.CSV) }},
	})
	if s.Pattern == "" {
		s.Pattern = "*"
	}
}

func (d *decoder) oneOf(n *yaml.Node, what, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	d.errorf(n, "%s: %q is not one of %s%s", what, v, strings.Join(allowed, ", "), suggest(v, allowed))
}

func (d *decoder) char(n *yaml.Node, what string, allowEmpty bool) (string, bool) {
	v, ok := d.str(n, what)
	if !ok {
		return "", false
	}
	if v == `\t` {
		v = "\t"
	}
	if (v == "" && !allowEmpty) || len([]rune(v)) > 1 {
		d.errorf(n, "%s: expected one character, found %q", what, v)
		return "", false
	}
	return v, true
}

func (d *decoder) csv(n *yaml.Node, c *CSVOptions) {
	d.mapping(n, "source.csv", []field{
		{name: "delimiter", decode: func(n *yaml.Node) {
			if v, ok := d.char(n, "source.csv.delimiter", false); ok {
				c.Delimiter = v
			}
		}},
		{name: "header", decode: func(n *yaml.Node) {
			if b, ok := d.boolean(n, "source.csv.header"); ok {
				c.Header = &b
			}
		}},
		{name: "quote", decode: func(n *yaml.Node) {
			if v, ok := d.char(n, "source.csv.quote", true); ok {
				c.Quote, c.QuoteSet = v, true
			}
		}},
		{name: "escape", decode: func(n *yaml.Node) {
			if v, ok := d.char(n, "source.csv.escape", false); ok {
				c.Escape = v
			}
		}},
		{name: "null_values", decode: func(n *yaml.Node) {
			if n.Kind != yaml.SequenceNode {
				d.errorf(n, "source.csv.null_values: expected a list of strings, found %s", describe(n))
				return
			}
			c.NullValues = []string{}
			for _, item := range n.Content {
				if s, ok := d.str(resolve(item), "source.csv.null_values"); ok {
					c.NullValues = append(c.NullValues, s)
				}
			}
		}},
		{name: "encoding", decode: func(n *yaml.Node) {
			v, ok := d.str(n, "source.csv.encoding")
			if !ok {
				return
			}
			switch strings.ToLower(v) {
			case "utf-8", "utf8":
				c.Encoding = "utf-8"
			case "latin-1", "latin1", "iso-8859-1":
				c.Encoding = "latin-1"
			case "windows-1252", "cp1252":
				c.Encoding = "windows-1252"
			default:
				d.errorf(n, "source.csv.encoding: %q is not supported; use utf-8, latin-1 or windows-1252", v)
			}
		}},
	})
}

func (d *decoder) target(n *yaml.Node, t *Target) {
	t.Pos = d.pos(n)
	d.mapping(n, "target", []field{
		{name: "table", decode: func(n *yaml.Node) {
			if v, ok := d.str(n, "target.table"); ok {
				t.Table = v
				if !identifier.MatchString(v) {
					d.errorf(n, "target.table %q must be letters, digits and _, starting with a letter or _, at most 63 characters", v)
				}
			}
		}},
		{name: "schema", decode: func(n *yaml.Node) {
			if v, ok := d.str(n, "target.schema"); ok {
				t.Schema = v
				if !identifier.MatchString(v) {
					d.errorf(n, "target.schema %q must be letters, digits and _", v)
				}
			}
		}},
		{name: "mode", decode: func(n *yaml.Node) {
			if v, ok := d.str(n, "target.mode"); ok {
				t.Mode = v
				d.oneOf(n, "target.mode", v, "append", "replace", "merge")
			}
		}},
		{name: "key", decode: func(n *yaml.Node) { t.Key = d.names(n, "target.key", true) }},
		{name: "schema_evolution", decode: func(n *yaml.Node) {
			if v, ok := d.str(n, "target.schema_evolution"); ok {
				t.SchemaEvolution = v
				d.oneOf(n, "target.schema_evolution", v, "add_columns", "strict")
			}
		}},
	})
}

// checkGlob checks that brackets and braces of a glob are balanced.
func checkGlob(p string) error {
	depthB, depthC := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[':
			depthB++
		case ']':
			depthB--
		case '{':
			depthC++
		case '}':
			depthC--
		}
		if depthB < 0 || depthC < 0 {
			return fmt.Errorf("unbalanced %q in %q", p[i], p)
		}
	}
	if depthB != 0 || depthC != 0 {
		return fmt.Errorf("unclosed [ or { in %q", p)
	}
	return nil
}
