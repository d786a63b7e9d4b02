// Package api serves the REST API of DESIGN §5: the loaded datasets with the
// PostgREST query grammar, the pipelines and their runs. One http.Handler runs
// in `sluice serve` and, through the Lambda adapter, behind API Gateway.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// Runner starts pipeline runs for POST /v1/pipelines/{name}/runs: a local worker
// in `sluice serve`, an asynchronous Lambda invoke in AWS.
type Runner interface {
	// Start queues a run of the pipeline with the given id and returns at once.
	Start(ctx context.Context, pipeline, runID string, fullRefresh bool) error
	// Active returns a run that was started and is not yet in the run history
	// (queued or running), if the runner knows it.
	Active(runID string) (*catalog.Run, bool)
}

// Config configures a Server.
type Config struct {
	DB        sink.DB
	Project   *spec.Project
	Pipelines func(ctx context.Context) ([]*spec.Pipeline, error)
	// Storage reads the rejects files.
	Storage interface {
		Open(ctx context.Context, obj source.Object) (io.ReadCloser, error)
	}
	Runner Runner
	// NextRun returns the next scheduled run of a pipeline, if it has one.
	NextRun func(pipeline string) (time.Time, bool)

	// NoAuth serves every route without credentials (local use only).
	NoAuth bool
	JWT    *JWTConfig
	// Secret signs pagination cursors. Every instance behind one API needs the
	// same secret.
	Secret []byte
	// StatementTimeout bounds every query; default 10s.
	StatementTimeout time.Duration
	// RateLimit is the requests per second each principal may make (a token
	// bucket of RateBurst); 0 turns rate limiting off.
	RateLimit float64
	RateBurst int
	// CORSOrigins lists the origins allowed to call the API from a browser;
	// empty turns CORS off. "*" allows any origin.
	CORSOrigins []string
	// MaxResponseBytes refuses a response that would be larger (Lambda's 6 MB
	// payload limit); 0 means no limit and streaming.
	MaxResponseBytes int
	// DatasetTTL is how long dataset metadata is cached; default 1s.
	DatasetTTL time.Duration

	Logger *slog.Logger
	Now    func() time.Time
	// Observe, when set, is called after every request (for metrics).
	Observe func(route string, status int, d time.Duration)
	// Metrics serves /metrics (the local server); nil leaves the route out.
	Metrics http.Handler
	// Version is reported by /healthz.
	Version string
}

// Server is the API.
type Server struct {
	cfg      Config
	cat      *catalog.Catalog
	d        *dialect
	auth     *authenticator
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
	routes   []route
	limiters sync.Map // principal key → *limiterEntry

	openAPIOnce sync.Once
	openAPIDoc  []byte

	dsMu      sync.Mutex
	dsCache   map[string]*dataset
	dsExpires time.Time
}

type route struct {
	method, pattern string
	summary         string
	public          bool
	handler         func(w http.ResponseWriter, r *http.Request) error
}

// New returns the API over cfg.DB.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DB == nil {
		return nil, errors.New("api: no database")
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("api: the cursor secret must be at least 16 bytes")
	}
	if cfg.StatementTimeout == 0 {
		cfg.StatementTimeout = 10 * time.Second
	}
	if cfg.DatasetTTL == 0 {
		cfg.DatasetTTL = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Project == nil {
		cfg.Project = &spec.Project{API: spec.API{MaxRows: spec.DefaultMaxRows}}
	}
	cat := cfg.DB.Catalog()
	mariadb := false
	if cat.Dialect().Name == "mysql" {
		var v string
		if err := cat.DB().QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
			return nil, fmt.Errorf("api: asking the server's version: %w", err)
		}
		mariadb = strings.Contains(strings.ToLower(v), "mariadb")
	}
	d, err := newDialect(cat.Dialect().Name, mariadb, cfg.StatementTimeout)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, cat: cat, d: d, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux()}
	s.auth = newAuthenticator(cat, cfg.JWT, cfg.Now)
	s.routes = s.routeTable()
	paths := map[string][]string{}
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
		paths[rt.pattern] = append(paths[rt.pattern], rt.method)
	}
	for p, methods := range paths {
		allow := strings.Join(methods, ", ")
		if strings.Contains(allow, "GET") {
			allow += ", HEAD"
		}
		s.mux.Handle(p, s.wrap(route{method: "*", pattern: p, public: true, handler: func(w http.ResponseWriter, r *http.Request) error {
			if r.Method == http.MethodOptions {
				w.Header().Set("Allow", allow+", OPTIONS")
				w.WriteHeader(http.StatusNoContent)
				return nil
			}
			w.Header().Set("Allow", allow)
			return problem(http.StatusMethodNotAllowed, "method-not-allowed", "%s %s is not served; this path allows %s", r.Method, p, allow)
		}}))
	}
	s.mux.Handle("/", s.wrap(route{method: "*", pattern: "/", public: true, handler: func(w http.ResponseWriter, r *http.Request) error {
		return notFound("no route %s: see /openapi.json or /docs for the API's routes", truncate(r.URL.Path, 200))
	}}))
	return s, nil
}

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// InvalidateDatasets drops cached dataset metadata (after a local run commits).
func (s *Server) InvalidateDatasets() {
	s.dsMu.Lock()
	s.dsExpires = time.Time{}
	s.dsMu.Unlock()
}

// statusWriter records what a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:=+/-]{1,64}$`)

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type routeKey struct{}

// RouteOf returns the route pattern serving the request ("GET /v1/runs/{id}").
func RouteOf(ctx context.Context) string {
	s, _ := ctx.Value(routeKey{}).(string)
	return s
}

// wrap applies the request pipeline to a route: request id, recovery, access
// log and metrics, security headers, CORS, authentication, rate limits.
func (s *Server) wrap(rt route) http.Handler {
	name := rt.method + " " + rt.pattern
	if rt.method == "*" {
		name = "unmatched"
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		w := &statusWriter{ResponseWriter: rw}
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if rt.pattern != "/docs" && !strings.HasPrefix(rt.pattern, "/docs/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		ctx := context.WithValue(r.Context(), routeKey{}, name)
		ctx = obs.WithAttrs(ctx, slog.String(obs.KeyRequestID, id), slog.String(obs.KeyMethod, r.Method), slog.String(obs.KeyRoute, name))
		r = r.WithContext(ctx)
		log := s.log.With("request_id", id, "method", r.Method, "route", name)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving a request", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if w.status == 0 {
					writeProblem(w, r, problem(http.StatusInternalServerError, "internal", "the server failed to answer; the request id identifies it in the server's logs"))
				}
			}
			d := time.Since(start)
			level := slog.LevelInfo
			if w.status >= 500 {
				level = slog.LevelError
			}
			log.Log(ctx, level, "request", "status", w.status, "duration_ms", float64(d.Microseconds())/1000, "bytes", w.bytes)
			if s.cfg.Observe != nil {
				s.cfg.Observe(name, w.status, d)
			}
		}()
		if s.cors(w, r) {
			return
		}
		err := s.serve(w, r, rt)
		if err == nil {
			return
		}
		var p *Problem
		if !errors.As(err, &p) {
			if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
				p = problem(http.StatusServiceUnavailable, "timeout", "the query took longer than the server's statement timeout of %s: narrow it with filters or a smaller limit", s.cfg.StatementTimeout)
			} else if r.Context().Err() != nil {
				p = problem(499, "client-closed", "the client went away")
			} else {
				log.Error("request failed", "error", err)
				p = problem(http.StatusInternalServerError, "internal", "the server failed to answer; the request id identifies it in the server's logs")
			}
		}
		if w.status != 0 {
			// The body has started: nothing more can be said than breaking it off.
			log.Warn("response broken off", "error", err)
			panic(http.ErrAbortHandler)
		}
		writeProblem(w, r, p)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) error {
	if r.Body != nil && r.ContentLength > 1<<20 {
		return problem(http.StatusRequestEntityTooLarge, "too-large", "request bodies are limited to 1 MiB")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if len(r.URL.RawQuery) > 16384 {
		return problem(http.StatusRequestURITooLong, "uri-too-long", "the query string is longer than 16 KiB: use fewer or shorter filters")
	}
	if !rt.public && !s.cfg.NoAuth {
		p, err := s.auth.authenticate(r)
		switch {
		case errors.Is(err, errNoCredentials):
			return problem(http.StatusUnauthorized, "unauthorized", "this route needs credentials: send Authorization: Bearer <API key or token>")
		case errors.Is(err, errBadCredentials):
			return problem(http.StatusUnauthorized, "unauthorized", "the credentials are not valid (unknown, revoked or expired key or token)")
		case err != nil:
			s.log.Error("authenticating", "request_id", w.Header().Get("X-Request-Id"), "error", err)
			return problem(http.StatusServiceUnavailable, "auth-unavailable", "credentials cannot be checked right now; retry shortly")
		}
		if lim := s.limiter(p.KeyID); lim != nil {
			if res := lim.Reserve(); res.OK() {
				if d := res.Delay(); d > 0 {
					res.Cancel()
					pr := problem(http.StatusTooManyRequests, "rate-limited", "more than %g requests a second for this key: slow down and retry after the Retry-After seconds", s.cfg.RateLimit)
					pr.retryAfter = int(d.Seconds()) + 1
					return pr
				}
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
	}
	return rt.handler(w, r)
}

// principal returns the request's principal; with auth off, an admin.
func principal(r *http.Request) *Principal {
	if p := principalFrom(r.Context()); p != nil {
		return p
	}
	return &Principal{Subject: "anonymous", KeyID: "anonymous", Scopes: []string{ScopeAdmin}}
}

func forbidden(detail string, args ...any) *Problem {
	return problem(http.StatusForbidden, "forbidden", detail, args...)
}

type limiterEntry struct {
	lim  *rate.Limiter
	used time.Time
}

func (s *Server) limiter(key string) *rate.Limiter {
	if s.cfg.RateLimit <= 0 {
		return nil
	}
	now := s.now()
	if e, ok := s.limiters.Load(key); ok {
		le := e.(*limiterEntry)
		le.used = now
		return le.lim
	}
	burst := s.cfg.RateBurst
	if burst < 1 {
		burst = max(1, int(s.cfg.RateLimit*2))
	}
	e, _ := s.limiters.LoadOrStore(key, &limiterEntry{lim: rate.NewLimiter(rate.Limit(s.cfg.RateLimit), burst), used: now})
	return e.(*limiterEntry).lim
}

// cors answers preflights and sets the CORS headers; it reports whether the
// request was fully answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.CORSOrigins) == 0 {
		return false
	}
	allowed := false
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" || o == origin {
			allowed = true
		}
	}
	if !allowed {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "ETag, Link, X-Request-Id, Location, Retry-After")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match, X-Request-Id")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}
