package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/sluice-data/sluice/internal/api"
	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/obs/alert"
	"github.com/sluice-data/sluice/internal/obs/metrics"
	"github.com/sluice-data/sluice/internal/serve"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

type serveFlags struct {
	projectFlags
	addr          string
	noAuth        bool
	noScheduler   bool
	noWatch       bool
	watchInterval time.Duration
	grace         time.Duration
	logLevel      string
	logFormat     string
}

func init() {
	register(&command{
		name:    "serve",
		usage:   "[--project DIR] [--addr HOST:PORT] [--no-auth] [--no-scheduler] [--no-watch]",
		summary: "serve the REST API, run scheduled pipelines and load files as they land",
		help: `Serves the REST API (DESIGN §5) on api.addr, runs every pipeline that has a
schedule: when it is due (EventBridge cron()/rate() syntax, in UTC), and starts a
pipeline without a schedule when new files land in its local source folder.

Every /v1 route needs an API key (sluice keys create) or a JWT (api.jwt in
sluice.yaml). --no-auth serves without credentials and is refused on any address
other than loopback.

On SIGINT or SIGTERM the server stops taking requests, lets running runs finish
for --grace, then abandons them: an abandoned run rolls back and leaves its
table as it was.`,
		flags: func(fs *pflag.FlagSet) any {
			f := &serveFlags{}
			f.register(fs)
			fs.StringVar(&f.addr, "addr", "", "listen address (default: api.addr of sluice.yaml, 127.0.0.1:8080)")
			fs.BoolVar(&f.noAuth, "no-auth", false, "serve without credentials (loopback addresses only)")
			fs.BoolVar(&f.noScheduler, "no-scheduler", false, "do not run scheduled pipelines")
			fs.BoolVar(&f.noWatch, "no-watch", false, "do not start pipelines when files land")
			fs.DurationVar(&f.watchInterval, "watch-interval", 2*time.Second, "how often local source folders are listed for new files")
			fs.DurationVar(&f.grace, "grace", 30*time.Second, "how long running runs may finish at shutdown")
			fs.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn, error (default $SLUICE_LOG_LEVEL, else info)")
			fs.StringVar(&f.logFormat, "log-format", "", "log format: auto, json, text (default $SLUICE_LOG_FORMAT, else json unless on a terminal)")
			return f
		},
		run: runServe,
	})
}

func runServe(ctx context.Context, env *Env, o any, args []string) error {
	f := o.(*serveFlags)
	if len(args) > 0 {
		return usageError{"serve takes no arguments"}
	}
	proj, err := loadProject(env, f.dir)
	if err != nil {
		return err
	}
	log, err := newServerLogger(env, f.logLevel, f.logFormat)
	if err != nil {
		return usageError{err.Error()}
	}
	if f.addr != "" {
		proj.API.Addr = f.addr
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serveProject(ctx, env, proj, serveOptions{
		noAuth: f.noAuth, scheduler: !f.noScheduler, watch: !f.noWatch,
		watchInterval: f.watchInterval, grace: f.grace, log: log,
	})
}

// newServerLogger logs every request and run: info by default, even on a
// terminal.
func newServerLogger(env *Env, level, format string) (*slog.Logger, error) {
	o := obs.LogOptionsFromEnv(obs.LogOptions{Level: level, Format: format, Terminal: env.isTerminal(env.Stderr)}, env.Getenv)
	log, err := obs.NewLogger(env.Stderr, o)
	if err != nil {
		return nil, fmt.Errorf("bad log configuration: %w", err)
	}
	return log, nil
}

type serveOptions struct {
	noAuth        bool
	scheduler     bool
	watch         bool
	watchInterval time.Duration
	grace         time.Duration
	log           *slog.Logger
	// ready, when set, is called with the listening address once the server
	// accepts connections.
	ready func(addr string)
}

// isLoopback reports whether a listen address only accepts local connections.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cursorSecret returns the key that signs pagination cursors: SLUICE_API_SECRET,
// or one generated once and kept in the metadata tables, so that every server
// on the database agrees.
func cursorSecret(ctx context.Context, env *Env, db sink.DB) ([]byte, error) {
	if s := env.Getenv("SLUICE_API_SECRET"); s != "" {
		if len(s) < 16 {
			return nil, errors.New("SLUICE_API_SECRET must be at least 16 characters")
		}
		return []byte(s), nil
	}
	s, err := db.Catalog().Setting(ctx, "api.cursor_secret", func() (string, error) {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		return hex.EncodeToString(b[:]), nil
	})
	return []byte(s), err
}

func serveProject(ctx context.Context, env *Env, proj *spec.Project, o serveOptions) error {
	log := o.log
	if o.noAuth && !isLoopback(proj.API.Addr) {
		return fmt.Errorf("refusing to serve %s without authentication: that address is reachable from other machines; drop --no-auth and create a key with 'sluice keys create', or listen on 127.0.0.1", proj.API.Addr)
	}
	storage := newStorage(env.Getenv)
	pipelines, err := projectPipelines(ctx, env, proj, storage, false)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, proj)
	if err != nil {
		return err
	}
	defer db.Close()
	// Many requests, few connections: a database on a small machine answers
	// faster with a handful of busy connections than with one per request.
	sdb := db.Catalog().DB()
	conns := max(4, 2*runtime.GOMAXPROCS(0))
	if db.Catalog().Dialect().Name != "sqlite" {
		sdb.SetMaxOpenConns(conns + 2) // + room for runs
		sdb.SetMaxIdleConns(conns + 2)
	}
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	secret, err := cursorSecret(ctx, env, db)
	if err != nil {
		return err
	}
	eng := newEngine(env, proj, db, log)
	eng.Storage = storage
	m := metrics.New(metrics.Options{Namespace: env.Getenv(metrics.EnvNamespace)})
	m.DBConnectionsFunc(func() int { return sdb.Stats().InUse })
	eng.Metrics = m
	names := make([]string, len(pipelines))
	for i, p := range pipelines {
		names[i] = p.Name
		if runs, err := db.Catalog().Runs(ctx, catalog.RunFilter{Pipeline: p.Name, Status: catalog.StatusSucceeded, Limit: 1}); err == nil && len(runs) > 0 {
			m.LastSuccess(p.Name, runs[0].FinishedAt)
		}
	}
	var alerts *alert.Evaluator
	if len(proj.Alerts.Rules) > 0 {
		alerts = alert.New(proj.Alerts, alert.Options{Runs: db.Catalog(), Requests: m, Pipelines: func() []string { return names }, Logger: log})
	}
	loadPipelines := func(ctx context.Context) ([]*spec.Pipeline, error) {
		return projectPipelines(ctx, env, proj, storage, false)
	}

	var srv *api.Server
	worker := &serve.Worker{Engine: eng, Pipelines: loadPipelines, Logger: log}
	worker.Done = func(res *engine.Result, err error) {
		if srv != nil {
			srv.InvalidateDatasets()
		}
		if res != nil && res.Status == catalog.StatusSucceeded {
			m.LastSuccess(res.Pipeline, res.FinishedAt)
		}
		if alerts != nil {
			if _, err := alerts.Evaluate(context.Background()); err != nil {
				log.Warn("evaluating alerts", "error", err)
			}
		}
	}
	sched := &serve.Scheduler{Worker: worker, Parse: parseSchedule, Logger: log}
	cfg := apiConfig(proj, db, storage, loadPipelines, worker.Runner(), secret, m, log)
	cfg.NoAuth, cfg.Metrics = o.noAuth, m.Handler()
	if o.scheduler {
		cfg.NextRun = sched.Next
	}
	srv, err = api.New(ctx, cfg)
	if err != nil {
		return err
	}
	if !o.noAuth && cfg.JWT == nil {
		if keys, err := db.Catalog().Keys(ctx); err == nil && len(keys) == 0 {
			log.Warn("no API keys exist yet: every /v1 request will get 401; create one with 'sluice keys create --name NAME --scope read'")
		}
	}
	ln, err := net.Listen("tcp", proj.API.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another server running? choose another with --addr)", proj.API.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      10 * time.Minute, // long CSV streams
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	worker.Start()
	bg, cancelBG := context.WithCancel(context.Background())
	defer cancelBG()
	if o.scheduler {
		go func() {
			if err := sched.Run(bg, pipelines); err != nil {
				log.Error("scheduler stopped", "error", err)
			}
		}()
	}
	if alerts != nil {
		go alerts.Run(bg, time.Minute)
	}
	if o.watch {
		w := &serve.Watcher{Worker: worker, Storage: storage, StorageURL: eng.StorageURL, Interval: o.watchInterval, Logger: log}
		go w.Run(bg, pipelines)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("serving the API", "addr", ln.Addr().String(), "auth", !o.noAuth, "pipelines", len(pipelines))
	if o.ready != nil {
		o.ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		cancelBG()
		worker.Stop(o.grace)
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and runs", "grace", o.grace.String())
	cancelBG()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("closing connections", "error", err)
	}
	worker.Stop(o.grace)
	log.Info("stopped")
	return nil
}

// apiConfig is the API's configuration from the project, as sluice serve and
// the api Lambda function share it.
func apiConfig(proj *spec.Project, db sink.DB, storage *source.Router, pipelines func(context.Context) ([]*spec.Pipeline, error),
	runner api.Runner, secret []byte, m *metrics.Metrics, log *slog.Logger) api.Config {
	cfg := api.Config{
		DB: db, Project: proj, Pipelines: pipelines, Storage: storage, Runner: runner,
		Secret: secret, StatementTimeout: proj.API.StatementTimeout,
		RateLimit: proj.API.RateLimit, RateBurst: proj.API.RateBurst, CORSOrigins: proj.API.CORSOrigins,
		Logger: log, Version: version(), Observe: m.Request,
	}
	if j := proj.API.JWT; j.Issuer != "" {
		cfg.JWT = &api.JWTConfig{Issuer: j.Issuer, Audience: j.Audience, JWKSURL: j.JWKSURL, ScopesClaim: j.ScopesClaim}
	}
	return cfg
}
