package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	// pipelineName is what a pipeline name looks like: it names tables, API paths
	// and EventBridge rules.
	pipelineName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// identifier is a table or schema name that every supported database accepts
	// unquoted, within PostgreSQL's 63-byte limit.
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// Target modes and schema evolution policies.
var (
	targetModes      = []string{"append", "replace", "merge"}
	schemaEvolutions = []string{"add_columns", "strict"}
)

// isSpecFile reports whether a file name is a pipeline spec: *.yaml or *.yml, not
// hidden (editors and macOS leave hidden files such as .#orders.yaml behind).
func isSpecFile(name string) bool {
	return !strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"))
}

// LoadPipelines reads every pipeline spec (*.yaml, *.yml) of the project's
// pipelines folder, sorted by file name. File names in errors and in
// Pipeline.File are relative to the project folder when the spec is inside it.
// Every problem of every file is reported, joined; pipeline names must be unique.
// The pipelines that decoded cleanly are returned even when others did not.
func LoadPipelines(p *Project, getenv func(string) string) ([]*Pipeline, error) {
	return loadPipelines(p, getenv, false)
}

// CheckPipelines is LoadPipelines for checkers: it also returns the pipelines
// that decoded only in part, so that their transforms can be checked too.
func CheckPipelines(p *Project, getenv func(string) string) ([]*Pipeline, error) {
	return loadPipelines(p, getenv, true)
}

func loadPipelines(p *Project, getenv func(string) string, partial bool) ([]*Pipeline, error) {
	dir := p.Resolve(p.PipelinesFolder())
	if rest, ok := strings.CutPrefix(dir, "file://"); ok {
		dir = rest
	}
	if strings.Contains(dir, "://") {
		return nil, fmt.Errorf("pipelines folder %s: only a local folder can be read here; copy the specs locally or set pipelines: to a folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("pipelines folder %s does not exist: create it, or set pipelines: in sluice.yaml (or %s): %w", dir, EnvPipelines, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the pipelines folder %s: %w", dir, err)
	}
	var files []PipelineFile
	var errs []error
	for _, e := range entries { // ReadDir sorts by file name
		if e.IsDir() || !isSpecFile(e.Name()) {
			continue
		}
		file := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading pipeline spec: %w", err))
			continue
		}
		shown := file
		if rel, err := filepath.Rel(p.Dir, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			shown = rel
		}
		files = append(files, PipelineFile{Name: shown, Data: data})
	}
	out, err := decodePipelines(files, getenv, partial)
	return out, errors.Join(append(errs, err)...)
}

// PipelinesFolder is the project's pipelines setting, or its default.
func (p *Project) PipelinesFolder() string {
	if p.Pipelines == "" {
		return DefaultPipelines
	}
	return p.Pipelines
}

// PipelineFile is the content of one pipeline spec file, wherever it was read
// from (a local folder, an s3:// prefix).
type PipelineFile struct {
	Name string // how positions and Pipeline.File name the file: a path or a URL
	Data []byte
}

// LoadPipelineFiles decodes pipeline specs read elsewhere (for example from an
// s3:// prefix), as LoadPipelines does those of a local folder: files whose base
// name is not a spec name (*.yaml, *.yml, not hidden) are skipped, every problem
// is reported, joined, and names must be unique. The pipelines that decoded
// cleanly are returned even when others did not.
func LoadPipelineFiles(files []PipelineFile, getenv func(string) string) ([]*Pipeline, error) {
	return decodePipelines(files, getenv, false)
}

// CheckPipelineFiles is LoadPipelineFiles for checkers, as CheckPipelines is
// LoadPipelines: it also returns the pipelines that decoded only in part.
func CheckPipelineFiles(files []PipelineFile, getenv func(string) string) ([]*Pipeline, error) {
	return decodePipelines(files, getenv, true)
}

func decodePipelines(files []PipelineFile, getenv func(string) string, partial bool) ([]*Pipeline, error) {
	var out []*Pipeline
	var errs []error
	seen := map[string]*Pipeline{}
	for _, f := range files {
		if !isSpecFile(path.Base(filepath.ToSlash(f.Name))) {
			continue
		}
		pl, err := loadPipeline(f.Name, f.Data, getenv)
		if err != nil {
			errs = append(errs, err)
			if partial && pl != nil {
				out = append(out, pl)
			}
			continue
		}
		if prev, dup := seen[pl.Name]; dup {
			errs = append(errs, Errorf(pl.namePos, "pipeline name %q is already used by %s: give this pipeline another name (names must be unique)", pl.Name, prev.File))
			continue
		}
		seen[pl.Name] = pl
		out = append(out, pl)
	}
	return out, errors.Join(errs...)
}

// LoadPipeline decodes one pipeline spec strictly; path is used in positions and
// for the default name (the file name without its extension). Problems are
// returned together, in position order, as *Error values joined with
// errors.Join; the pipeline is nil then.
func LoadPipeline(path string, data []byte, getenv func(string) string) (*Pipeline, error) {
	p, err := loadPipeline(path, data, getenv)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// loadPipeline is LoadPipeline that also returns, with the errors, what did
// decode (nil when the file is not a YAML mapping), for CheckPipelines.
func loadPipeline(path string, data []byte, getenv func(string) string) (*Pipeline, error) {
	d := newDecoder(path)
	p := &Pipeline{File: path, Pos: Pos{File: path, Line: 1, Col: 1}}
	root := d.parse(data, getenv)
	if root == nil {
		return nil, d.err()
	}
	p.Pos = d.pos(root)
	p.namePos = p.Pos
	nameSet := false
	if d.mapping(root, "the pipeline", []field{
		{name: "version", required: true, decode: func(n *yaml.Node) { p.Version = d.version(n) }},
		{name: "name", decode: func(n *yaml.Node) {
			if s, ok := d.str(n, "name"); ok {
				p.Name, p.namePos, nameSet = s, d.pos(n), true
			}
		}},
		{name: "description", decode: d.strTo(&p.Description, "description")},
		{name: "schedule", decode: func(n *yaml.Node) {
			if s, ok := d.str(n, "schedule"); ok && s != "" {
				p.Schedule = s
				if err := CheckSchedule(s); err != nil {
					d.errorf(n, "schedule: %v", err)
				}
			}
		}},
		{name: "source", required: true, decode: func(n *yaml.Node) { d.source(n, &p.Source) }},
		{name: "transform", decode: func(n *yaml.Node) { p.Transform = d.steps(n) }},
		{name: "target", decode: func(n *yaml.Node) { d.target(n, &p.Target) }},
		{name: "quality", decode: func(n *yaml.Node) { d.quality(n, &p.Quality) }},
	}) {
		d.checkName(p, nameSet)
		d.defaults(p)
	}
	if err := d.err(); err != nil {
		return p, err
	}
	return p, nil
}

// checkName sets the default name and checks the name.
func (d *decoder) checkName(p *Pipeline, nameSet bool) {
	if !nameSet {
		base := filepath.Base(p.File)
		p.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	switch {
	case nameSet && p.Name == "":
		d.errorAt(p.namePos, "name is empty: remove the key to name the pipeline after its file, or write a name")
	case !pipelineName.MatchString(p.Name) && nameSet:
		d.errorAt(p.namePos, "pipeline name %q must be lowercase letters, digits and _, starting with a letter: write name: %s", p.Name, fixName(p.Name))
	case !pipelineName.MatchString(p.Name):
		d.errorAt(p.namePos, "pipeline name %q comes from the file name and must be lowercase letters, digits and _, starting with a letter: rename the file to %s.yaml or add name: %s", p.Name, fixName(p.Name), fixName(p.Name))
	}
}

// fixName suggests a valid pipeline name close to s.
func fixName(s string) string {
	s = strings.Trim(regexp.MustCompile(`[^a-z0-9_]+`).ReplaceAllString(strings.ToLower(s), "_"), "_")
	switch {
	case s == "":
		return "pipeline"
	case s[0] < 'a' || s[0] > 'z':
		return "p_" + s
	}
	return s
}

// defaults fills in what the spec left out and checks the rules that span keys.
func (d *decoder) defaults(p *Pipeline) {
	t := &p.Target
	if t.Table == "" && p.Name != "" {
		t.Table = p.Name
		if pipelineName.MatchString(p.Name) && !identifier.MatchString(p.Name) {
			d.errorAt(p.namePos, "pipeline name %q is longer than 63 characters, too long for the table it names: set target.table", p.Name)
		}
	}
	if t.Mode == "" {
		t.Mode = "append"
	}
	if t.SchemaEvolution == "" {
		t.SchemaEvolution = "add_columns"
	}
	if t.Mode == "merge" && len(t.Key) == 0 {
		pos := t.Pos
		if pos.Line == 0 {
			pos = p.Pos
		}
		d.errorAt(pos, "target: mode merge needs a key: add key: [column, …], the columns that identify a row")
	}
	if p.Source.Pattern == "" {
		p.Source.Pattern = "*"
	}
}

func (d *decoder) target(n *yaml.Node, t *Target) {
	t.Pos = d.pos(n)
	ident := func(dst *string, what string) func(*yaml.Node) {
		return func(n *yaml.Node) {
			v, ok := d.str(n, what)
			switch {
			case !ok:
			case v == "":
				d.errorf(n, "%s is empty: remove the key for the default, or write a name", what)
			case !identifier.MatchString(v):
				d.errorf(n, "%s %q must be letters, digits and _, starting with a letter or _, at most 63 characters", what, v)
			default:
				*dst = v
			}
		}
	}
	choice := func(dst *string, what string, allowed []string) func(*yaml.Node) {
		return func(n *yaml.Node) {
			if v, ok := d.str(n, what); ok && d.oneOf(n, what, v, allowed...) {
				*dst = v
			}
		}
	}
	d.mapping(n, "target", []field{
		{name: "table", decode: ident(&t.Table, "target.table")},
		{name: "schema", decode: ident(&t.Schema, "target.schema")},
		{name: "mode", decode: choice(&t.Mode, "target.mode", targetModes)},
		{name: "key", decode: func(n *yaml.Node) { t.Key = d.names(n, "target.key", true) }},
		{name: "schema_evolution", decode: choice(&t.SchemaEvolution, "target.schema_evolution", schemaEvolutions)},
	})
}

func (d *decoder) quality(n *yaml.Node, q *Quality) {
	d.mapping(n, "quality", []field{
		{name: "max_reject_ratio", decode: func(n *yaml.Node) {
			f, ok := d.number(n, "quality.max_reject_ratio")
			if !ok {
				return
			}
			if f < 0 || f > 1 {
				d.errorf(n, "quality.max_reject_ratio must be from 0 to 1 (0.01 is 1%%), found %v", f)
				return
			}
			q.MaxRejectRatio = &f
		}},
	})
}
