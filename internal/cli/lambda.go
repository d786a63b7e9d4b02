package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sluice-data/sluice/internal/api"
	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/lambdaapi"
	"github.com/sluice-data/sluice/internal/lambdarun"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/obs/metrics"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// Environment variables of the Lambda functions (OPERATIONS.md).
const (
	envHandler     = "_HANDLER"
	envTaskRoot    = "LAMBDA_TASK_ROOT"
	envETLFunction = "SLUICE_ETL_FUNCTION"
	envAPIBasePath = "SLUICE_API_BASE_PATH"
)

// pipelinesTTL is how long the api function reuses the pipeline specs it read;
// the etl function reads them on every invocation.
const pipelinesTTL = 30 * time.Second

// lambdaMain serves the Lambda Runtime API as the function _HANDLER names. The
// function's init does no I/O: the database is opened, and migrated, by the
// first invocation, and kept for the execution environment's life.
func lambdaMain(ctx context.Context, env *Env) int {
	log, err := obs.NewLogger(env.Stderr, obs.LogOptionsFromEnv(obs.LogOptions{}, env.Getenv))
	if err != nil {
		fmt.Fprintf(env.Stderr, "sluice: bad log configuration: %v\n", err)
		return 2
	}
	dir := env.Getenv(envTaskRoot)
	if dir == "" {
		dir = "."
	}
	proj, err := loadProject(env, dir)
	if err != nil {
		log.Error("loading the project", "error", err)
		return 1
	}
	m := metrics.New(metrics.Options{Namespace: env.Getenv(metrics.EnvNamespace), NoProcessMetrics: true})
	fn := &lambdaFunc{env: env, proj: proj, log: log, metrics: m, storage: newStorage(env.Getenv)}
	switch h := env.Getenv(envHandler); h {
	case "etl":
		etl := &lambdarun.ETL{Setup: fn.etlDeps, Metrics: m, Out: env.Stdout, Logger: log, Command: fn.command}
		lambda.StartWithOptions(etl, lambda.WithContext(ctx))
	case "api":
		srv := http.HandlerFunc(fn.serveAPI)
		lambda.StartWithOptions(lambdaapi.Handler(srv, m, env.Getenv(envAPIBasePath), env.Stdout, log), lambda.WithContext(ctx))
	default:
		log.Error(fmt.Sprintf("_HANDLER is %q: set the function's handler to etl or api", h))
		return 2
	}
	return 0
}

// lambdaFunc holds what an execution environment keeps between invocations.
type lambdaFunc struct {
	env     *Env
	proj    *spec.Project
	log     *slog.Logger
	metrics *metrics.Metrics
	storage *source.Router

	mu     sync.Mutex
	db     sink.DB
	eng    *engine.Engine
	apiSrv http.Handler

	specsMu sync.Mutex
	specs   []*spec.Pipeline
	specsAt time.Time
}

// database opens the database on first use. A failed open is tried again by
// the next invocation.
func (f *lambdaFunc) database(ctx context.Context) (sink.DB, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db != nil {
		return f.db, nil
	}
	db, err := openDB(ctx, f.proj, dbOptions{Lambda: true})
	if err != nil {
		return nil, err
	}
	sdb := db.Catalog().DB()
	f.metrics.DBConnectionsFunc(func() int { return sdb.Stats().InUse })
	f.db = db
	f.eng = newEngine(f.env, f.proj, db, f.log)
	f.eng.Storage = f.storage
	f.eng.Metrics = f.metrics
	return db, nil
}

// pipelines reads the pipeline specs, reusing them for maxAge.
func (f *lambdaFunc) pipelines(ctx context.Context, maxAge time.Duration) ([]*spec.Pipeline, error) {
	f.specsMu.Lock()
	defer f.specsMu.Unlock()
	if f.specs != nil && time.Since(f.specsAt) < maxAge {
		return f.specs, nil
	}
	ps, err := projectPipelines(ctx, f.env, f.proj, f.storage, false)
	if err != nil {
		return nil, err
	}
	f.specs, f.specsAt = ps, time.Now()
	return ps, nil
}

// etlDeps is the etl handler's Setup.
func (f *lambdaFunc) etlDeps(ctx context.Context) (*lambdarun.Deps, error) {
	db, err := f.database(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := f.pipelines(ctx, 0)
	if err != nil {
		return nil, err
	}
	return &lambdarun.Deps{
		Runner: f.eng, Pipelines: ps, StorageURL: f.eng.StorageURL,
		LastSuccess: func(ctx context.Context, pipeline string) (time.Time, bool) {
			runs, err := db.Catalog().Runs(ctx, catalog.RunFilter{Pipeline: pipeline, Status: catalog.StatusSucceeded, Limit: 1})
			if err != nil || len(runs) == 0 {
				return time.Time{}, false
			}
			return runs[0].FinishedAt, true
		},
	}, nil
}

// serveAPI builds the API server on the first request, then serves with it.
func (f *lambdaFunc) serveAPI(w http.ResponseWriter, r *http.Request) {
	srv, err := f.api(r.Context())
	if err != nil {
		f.log.ErrorContext(r.Context(), "starting the API", "error", err)
		api.WriteProblem(w, r, &api.Problem{Type: api.ProblemBase + "unavailable", Title: http.StatusText(http.StatusServiceUnavailable),
			Status: http.StatusServiceUnavailable, Detail: "the API cannot reach its database; try again shortly"})
		return
	}
	srv.ServeHTTP(w, r)
}

func (f *lambdaFunc) api(ctx context.Context) (http.Handler, error) {
	db, err := f.database(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apiSrv != nil {
		return f.apiSrv, nil
	}
	secret, err := cursorSecret(ctx, f.env, db)
	if err != nil {
		return nil, err
	}
	invoker := &lambdaapi.Invoker{Function: f.env.Getenv(envETLFunction)}
	if invoker.Function != "" {
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading the AWS configuration: %w", err)
		}
		invoker.Client = awslambda.NewFromConfig(awsCfg)
	}
	load := func(ctx context.Context) ([]*spec.Pipeline, error) { return f.pipelines(ctx, pipelinesTTL) }
	cfg := apiConfig(f.proj, db, f.storage, load, invoker, secret, f.metrics, f.log)
	srv, err := api.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f.apiSrv = srv
	return srv, nil
}

// lambdaCommands are the commands a command invoke may run: administration
// that needs the database, nothing that serves or writes files locally.
var lambdaCommands = []string{"keys", "runs", "validate", "plan", "version"}

// command runs a sluice command line inside the function, with the function's
// environment, and returns what it printed.
func (f *lambdaFunc) command(ctx context.Context, args []string) (*lambdarun.CommandResult, error) {
	if !slices.Contains(lambdaCommands, args[0]) {
		return nil, fmt.Errorf("command %q cannot run in Lambda; use one of %s", args[0], strings.Join(lambdaCommands, ", "))
	}
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == obs.EnvLambdaRuntime {
			return "" // a command, not the runtime loop
		}
		return f.env.Getenv(k)
	}
	if args[0] != "version" { // the one command without a project
		args = append([]string{args[0], "--project", f.proj.Dir}, args[1:]...)
	}
	code := Main(ctx, args, getenv, strings.NewReader(""), &out, &errOut)
	return &lambdarun.CommandResult{ExitCode: code, Stdout: out.String(), Stderr: errOut.String()}, nil
}
