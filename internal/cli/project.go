package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// projectFlags are the flags of every command that works on a project.
type projectFlags struct {
	dir string
}

func (p *projectFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&p.dir, "project", "p", ".", "project folder holding sluice.yaml")
}

// loadProject reads the project file (or its defaults) from the project folder.
func loadProject(env *Env, dir string) (*spec.Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("project folder %s does not exist; pass --project DIR", abs)
	}
	return spec.LoadProject(abs, env.Getenv)
}

// openDB opens the project's database; opts (at most one) tune its
// connections, as for AWS Lambda.
func openDB(ctx context.Context, proj *spec.Project, opts ...dbOptions) (sink.DB, error) {
	var o dbOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	u := proj.Resolve(proj.Database)
	switch {
	case strings.HasPrefix(u, "sqlite://"):
		path, err := sqlite.PathOf(u)
		if err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, path)
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return openPostgres(ctx, u, o)
	case strings.HasPrefix(u, "mysql://"):
		return openMySQL(ctx, u, o)
	}
	return nil, fmt.Errorf("database URL %q: use sqlite://./file.db, postgres://… or mysql://…", source.Redact(u))
}

// newEngine wires an engine for the project, with file:// and s3:// storage.
func newEngine(env *Env, proj *spec.Project, db sink.DB, log *slog.Logger) *engine.Engine {
	return &engine.Engine{
		DB:         db,
		Storage:    newStorage(env.Getenv),
		StorageURL: proj.Resolve(proj.Storage),
		Logger:     log,
	}
}

// selectPipelines returns the pipelines named by args (names or spec paths), or
// all of them with all. Spec paths may be s3:// URLs.
func selectPipelines(ctx context.Context, env *Env, proj *spec.Project, args []string, all bool) ([]*spec.Pipeline, error) {
	if all && len(args) > 0 {
		return nil, usageError{"give pipeline names or --all, not both"}
	}
	if !all && len(args) == 0 {
		return nil, usageError{"name the pipelines to run, or pass --all"}
	}
	var fromPaths []*spec.Pipeline
	var names []string
	var storage *source.Router // for s3:// specs, made on first need
	for _, a := range args {
		if strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".yml") {
			var data []byte
			var err error
			if strings.HasPrefix(a, "s3://") {
				if storage == nil {
					storage = newStorage(env.Getenv)
				}
				data, err = readSpec(ctx, storage, source.Object{URL: a})
			} else if data, err = os.ReadFile(a); err != nil {
				err = fmt.Errorf("reading pipeline spec: %w", err)
			}
			if err != nil {
				return nil, err
			}
			p, err := spec.LoadPipeline(a, data, env.Getenv)
			if err != nil {
				return nil, err
			}
			fromPaths = append(fromPaths, p)
			continue
		}
		names = append(names, a)
	}
	if len(names) == 0 && !all {
		return fromPaths, nil
	}
	ps, err := projectPipelines(ctx, env, proj, storage, false)
	if err != nil {
		return nil, err
	}
	if all {
		return ps, nil
	}
	byName := map[string]*spec.Pipeline{}
	var known []string
	for _, p := range ps {
		byName[p.Name] = p
		known = append(known, p.Name)
	}
	out := fromPaths
	for _, n := range names {
		p, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("no pipeline named %q in %s (pipelines: %s)", n, proj.Resolve(proj.Pipelines), strings.Join(known, ", "))
		}
		out = append(out, p)
	}
	return out, nil
}
