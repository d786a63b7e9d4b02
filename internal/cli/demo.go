package cli

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/sluice-data/sluice/examples/demo"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
	"github.com/sluice-data/sluice/internal/spec"
)

type demoFlags struct {
	dir     string
	rows    int
	noServe bool
	addr    string
}

func init() {
	register(&command{
		name:    "demo",
		usage:   "[--dir DIR]",
		summary: "write the demo project to ./sluice-demo, run its pipelines and show the result",
		help: `
Writes the demo project (an online shop's customers, orders and events, with a few
deliberately bad rows) to ./sluice-demo unless it is already there, runs all its
pipelines into ./sluice-demo/sluice.db, and prints what was loaded. Run it twice to
see exactly-once loading: the second run finds nothing new.

Then it serves the data through the REST API (as 'sluice serve' does) with a fresh
demo key, and prints curl commands to paste. Ctrl-C stops it; --no-serve skips it.`,
		flags: func(fs *pflag.FlagSet) any {
			f := &demoFlags{}
			fs.StringVar(&f.dir, "dir", "sluice-demo", "where to write the demo project")
			fs.IntVar(&f.rows, "rows", 3, "sample rows to print per table")
			fs.BoolVar(&f.noServe, "no-serve", false, "load and print, then exit without serving the API")
			fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "where to serve the API (a free port is used if this one is taken)")
			return f
		},
		run: runDemo,
	})
}

func runDemo(ctx context.Context, env *Env, o any, args []string) error {
	f := o.(*demoFlags)
	if len(args) > 0 {
		return usageError{"demo takes no arguments"}
	}
	w := env.Stdout
	if _, err := os.Stat(filepath.Join(f.dir, "sluice.yaml")); err == nil {
		fmt.Fprintf(w, "Using the demo project in %s\n\n", f.dir)
	} else {
		if err := writeFS(demo.Project(), f.dir); err != nil {
			return fmt.Errorf("writing the demo project: %w", err)
		}
		fmt.Fprintf(w, "Wrote the demo project to %s\n\n", f.dir)
	}
	// The demo is self-contained: the caller's SLUICE_* settings do not apply.
	denv := *env
	denv.Getenv = func(k string) string {
		if strings.HasPrefix(k, "SLUICE_") {
			return ""
		}
		return env.Getenv(k)
	}
	proj, err := loadProject(&denv, f.dir)
	if err != nil {
		return err
	}
	pipelines, err := selectPipelines(ctx, &denv, proj, nil, true)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, proj)
	if err != nil {
		return err
	}
	defer db.Close()
	tty := env.isTerminal(env.Stderr)
	log, _ := newLogger(env, env.Stderr, "warn", "", tty)
	eng := newEngine(&denv, proj, db, log)
	if tty {
		bar := newProgressBar(env.Stderr)
		eng.Progress = bar.update
		defer bar.clear()
	}
	var results []*engine.Result
	failed := 0
	for _, p := range pipelines {
		res, err := eng.Run(ctx, p, engine.Options{Trigger: "demo"})
		if err != nil {
			failed++
			if res == nil {
				return err
			}
		}
		results = append(results, res)
	}
	printSummary(w, results)
	if sq, ok := db.(*sqlite.DB); ok {
		if err := printTables(ctx, w, sq, f.rows); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nThe data is in %s. Next:\n", proj.Resolve(proj.Database))
	fmt.Fprintf(w, "  sluice runs --project %s        # the run history\n", f.dir)
	fmt.Fprintf(w, "  sluice run --project %s --all   # again: nothing new to load\n", f.dir)
	fmt.Fprintf(w, "  sluice plan --project %s orders # what a run would do\n", f.dir)
	if failed > 0 {
		return exitError{1}
	}
	if f.noServe {
		return nil
	}
	db.Close()
	return serveDemo(ctx, &denv, proj, f)
}

// serveDemo serves the demo project's API with a new demo key and prints curl
// commands that use it.
func serveDemo(ctx context.Context, env *Env, proj *spec.Project, f *demoFlags) error {
	db, err := openDB(ctx, proj)
	if err != nil {
		return err
	}
	cat := db.Catalog()
	if keys, err := cat.Keys(ctx); err == nil {
		for _, k := range keys {
			if strings.HasPrefix(k.Name, "demo-") && k.RevokedAt == nil {
				cat.RevokeKey(ctx, k.ID, time.Now())
			}
		}
	}
	_, key, err := cat.CreateKey(ctx, "demo-"+time.Now().UTC().Format("20060102T150405"), []string{"read", "run"}, time.Now())
	db.Close()
	if err != nil {
		return err
	}
	proj.API.Addr = f.addr
	if ln, err := net.Listen("tcp", f.addr); err != nil {
		proj.API.Addr = "127.0.0.1:0"
	} else {
		ln.Close()
	}
	w := env.Stdout
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log, _ := newServerLogger(env, "warn", "")
	return serveProject(ctx, env, proj, serveOptions{
		scheduler: true, watch: true, watchInterval: 2 * time.Second, grace: 30 * time.Second, log: log,
		ready: func(addr string) {
			base := "http://" + addr
			auth := fmt.Sprintf(`-H "Authorization: Bearer %s"`, key)
			fmt.Fprintf(w, "\nServing the API on %s with a demo key (scopes read, run). Try:\n\n", base)
			fmt.Fprintf(w, "  curl -s %s %s/v1/datasets\n", auth, base)
			fmt.Fprintf(w, "  curl -s %s '%s/v1/datasets/orders/rows?status=eq.shipped&order=amount.desc&limit=5'\n", auth, base)
			fmt.Fprintf(w, "  curl -s %s '%s/v1/datasets/customers/rows?country=in.(DE,FR)&select=customer_id,name,country&limit=3'\n", auth, base)
			fmt.Fprintf(w, "  curl -s %s -H 'Accept: text/csv' '%s/v1/datasets/orders/rows?limit=10'\n", auth, base)
			fmt.Fprintf(w, "  curl -s %s %s/v1/runs?limit=3\n", auth, base)
			fmt.Fprintf(w, "  curl -s %s -X POST %s/v1/pipelines/orders/runs\n", auth, base)
			fmt.Fprintf(w, "\nThe API's documentation: %s/docs. Drop a CSV into %s to watch it load. Ctrl-C stops.\n",
				base, filepath.Join(proj.Dir, "data", "incoming", "orders"))
		},
	})
}

// printTables prints each dataset's size and first rows.
func printTables(ctx context.Context, w io.Writer, db *sqlite.DB, n int) error {
	cat := db.Catalog()
	dss, err := cat.Datasets(ctx, cat.DB())
	if err != nil {
		return err
	}
	for _, ds := range dss {
		fmt.Fprintf(w, "\nTable %s: %d rows, key (%s), loaded by run %s\n", ds.Name, ds.RowCount, strings.Join(ds.Key, ", "), ds.LastRunID)
		if n <= 0 {
			continue
		}
		var names, quoted []string
		types := make([]record.Type, len(ds.Columns))
		for i, c := range ds.Columns {
			names = append(names, c.Name)
			quoted = append(quoted, `"`+c.Name+`"`)
			types[i], _ = record.ParseType(c.Type)
		}
		rows, err := db.SQL().QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %q LIMIT %d", strings.Join(quoted, ", "), ds.Name, n))
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+strings.Join(names, "\t"))
		if err := printRows(rows, tw, types); err != nil {
			return err
		}
		tw.Flush()
	}
	return nil
}

func printRows(rows *sql.Rows, w io.Writer, types []record.Type) error {
	defer rows.Close()
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			x, err := sqlite.FromSQL(v, types[i])
			if err != nil {
				x = v
			}
			s := record.String(x)
			if x == nil {
				s = "NULL"
			}
			if len(s) > 40 {
				s = s[:37] + "..."
			}
			cells[i] = s
		}
		fmt.Fprintln(w, "  "+strings.Join(cells, "\t"))
	}
	return rows.Err()
}

// writeFS copies an fs.FS to dir.
func writeFS(src fs.FS, dir string) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}
