// Package metrics is Sluice's one metrics recorder with two outputs: CloudWatch
// Embedded Metric Format documents written on Flush (stdout in Lambda, once per
// invocation) and a Prometheus registry served at /metrics by sluice serve.
// docs/OPERATIONS.md fixes every name, unit and dimension. Dimensions are
// low-cardinality only: pipeline names, route patterns and status classes.
package metrics

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultNamespace is the CloudWatch namespace of the EMF metrics.
const DefaultNamespace = "Sluice"

// EnvNamespace names the environment variable that sets Options.Namespace.
const EnvNamespace = "SLUICE_METRICS_NAMESPACE"

// Run statuses that RunFinished counts (catalog.Status*).
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusPartial   = "partial"
)

// UnmatchedRoute is the route of a request that matched no route pattern.
const UnmatchedRoute = "unmatched"

// Options configure New. The zero value works.
type Options struct {
	Namespace string           // CloudWatch namespace; default "Sluice"
	Now       func() time.Time // clock; default time.Now
	// NoProcessMetrics leaves the Go runtime and process collectors out of the
	// Prometheus registry (they are in by default).
	NoProcessMetrics bool
}

// RunCounts are the counts of one finished run.
type RunCounts struct {
	RowsRead, RowsLoaded, RowsRejected, RowsFiltered int64
	BytesRead                                        int64
	Files                                            int64 // files the run read (and loaded, when it did not fail)
}

// Metrics records what Sluice does. Its methods are safe for concurrent use; a
// nil *Metrics records nothing, so callers need no checks.
type Metrics struct {
	namespace string
	now       func() time.Time

	mu          sync.Mutex
	runs        map[string]*runObs          // pipeline → observations since the last Flush
	requests    map[routeStatus]*requestObs // since the last Flush
	dbInUse     *float64                    // last value since the last Flush
	coldStarts  int                         // since the last Flush
	lastSuccess map[string]time.Time        // pipeline → last succeeded run, kept across flushes
	window      requestWindow               // recent requests, for the api_5xx_ratio alert
	dbFunc      func() int                  // reads the connections in use at scrape and flush time

	reg          *prometheus.Registry
	rowsRead     *prometheus.CounterVec
	rowsLoaded   *prometheus.CounterVec
	rowsRejected *prometheus.CounterVec
	rowsFiltered *prometheus.CounterVec
	bytesRead    *prometheus.CounterVec
	filesLoaded  *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	runsTotal    *prometheus.CounterVec
	rejectRatio  *prometheus.GaugeVec
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	dbConns      prometheus.Gauge
}

type runObs struct {
	read, loaded, rejected, filtered, bytes, files []float64
	durationMS, succeeded, failed, partial         []float64
	rejectRatio                                    []float64
}

type routeStatus struct{ route, status string }

type requestObs struct {
	count     int
	latencyMS []float64
}

// New returns a recorder with its own Prometheus registry.
func New(o Options) *Metrics {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{
		namespace:   o.Namespace,
		now:         o.Now,
		runs:        map[string]*runObs{},
		requests:    map[routeStatus]*requestObs{},
		lastSuccess: map[string]time.Time{},
		reg:         prometheus.NewRegistry(),
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.rowsRead = counter("sluice_rows_read_total", "Rows read from source files.", "pipeline")
	m.rowsLoaded = counter("sluice_rows_loaded_total", "Rows loaded into target tables by committed runs.", "pipeline")
	m.rowsRejected = counter("sluice_rows_rejected_total", "Rows rejected (parse, cast or validation failures).", "pipeline")
	m.rowsFiltered = counter("sluice_rows_filtered_total", "Rows dropped by filter or dedupe steps.", "pipeline")
	m.bytesRead = counter("sluice_bytes_read_total", "Bytes read from source files.", "pipeline")
	m.filesLoaded = counter("sluice_files_loaded_total", "Source files loaded by committed runs.", "pipeline")
	m.runsTotal = counter("sluice_runs_total", "Finished runs by status (succeeded, failed, partial).", "pipeline", "status")
	m.httpRequests = counter("sluice_http_requests_total", "API requests by route pattern and status class (2xx, 4xx, 5xx).", "route", "status")
	m.runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sluice_run_duration_seconds", Help: "Duration of finished runs.",
		Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
	}, []string{"pipeline"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sluice_http_request_duration_seconds", Help: "API request latency by route pattern.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	m.rejectRatio = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sluice_run_reject_ratio", Help: "Rejected rows over rows read, in the last run that read rows.",
	}, []string{"pipeline"})
	m.dbConns = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluice_db_connections_in_use", Help: "Database connections in use.",
	})
	m.reg.MustRegister(m.runDuration, m.httpDuration, m.rejectRatio, m.dbConns, sinceCollector{m})
	if !o.NoProcessMetrics {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// RunFinished records a finished run of pipeline with its status (succeeded,
// failed or partial), counts and duration. Rows and files of a failed run count
// as read, not as loaded; a succeeded run sets the pipeline's last success to now.
func (m *Metrics) RunFinished(pipeline, status string, c RunCounts, d time.Duration) {
	if m == nil {
		return
	}
	if status == StatusFailed {
		c.RowsLoaded, c.Files = 0, 0
	}
	p := pipeline
	m.rowsRead.WithLabelValues(p).Add(float64(c.RowsRead))
	m.rowsLoaded.WithLabelValues(p).Add(float64(c.RowsLoaded))
	m.rowsRejected.WithLabelValues(p).Add(float64(c.RowsRejected))
	m.rowsFiltered.WithLabelValues(p).Add(float64(c.RowsFiltered))
	m.bytesRead.WithLabelValues(p).Add(float64(c.BytesRead))
	m.filesLoaded.WithLabelValues(p).Add(float64(c.Files))
	m.runDuration.WithLabelValues(p).Observe(d.Seconds())
	m.runsTotal.WithLabelValues(p, status).Inc()
	ratio := -1.0
	if c.RowsRead > 0 {
		ratio = float64(c.RowsRejected) / float64(c.RowsRead)
		m.rejectRatio.WithLabelValues(p).Set(ratio)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.runs[p]
	if o == nil {
		o = &runObs{}
		m.runs[p] = o
	}
	o.read = append(o.read, float64(c.RowsRead))
	o.loaded = append(o.loaded, float64(c.RowsLoaded))
	o.rejected = append(o.rejected, float64(c.RowsRejected))
	o.filtered = append(o.filtered, float64(c.RowsFiltered))
	o.bytes = append(o.bytes, float64(c.BytesRead))
	o.files = append(o.files, float64(c.Files))
	o.durationMS = append(o.durationMS, float64(d.Microseconds())/1000)
	o.succeeded = append(o.succeeded, b2f(status == StatusSucceeded))
	o.failed = append(o.failed, b2f(status == StatusFailed))
	o.partial = append(o.partial, b2f(status == StatusPartial))
	if ratio >= 0 {
		o.rejectRatio = append(o.rejectRatio, ratio)
	}
	if status == StatusSucceeded {
		m.lastSuccess[p] = m.now()
	}
}

// LastSuccess sets when pipeline last succeeded (from the run history, say), for
// SecondsSinceLastSuccess. An older time than the one known is ignored.
func (m *Metrics) LastSuccess(pipeline string, t time.Time) {
	if m == nil || t.IsZero() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.After(m.lastSuccess[pipeline]) {
		m.lastSuccess[pipeline] = t
	}
}

// Request records one API request: route is the pattern that matched ("GET
// /v1/datasets/{dataset}/rows"; "" for none), code the HTTP status.
func (m *Metrics) Request(route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = UnmatchedRoute
	}
	class := StatusClass(code)
	m.httpRequests.WithLabelValues(route, class).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())

	m.mu.Lock()
	defer m.mu.Unlock()
	k := routeStatus{route, class}
	o := m.requests[k]
	if o == nil {
		o = &requestObs{}
		m.requests[k] = o
	}
	o.count++
	o.latencyMS = append(o.latencyMS, float64(d.Microseconds())/1000)
	m.window.add(m.now(), code >= 500 && code <= 599)
}

// StatusClass returns the class of an HTTP status: "2xx", "4xx", "5xx", ….
func StatusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// DBConnections records how many database connections are in use.
func (m *Metrics) DBConnections(inUse int) {
	if m == nil {
		return
	}
	m.dbConns.Set(float64(inUse))
	m.mu.Lock()
	defer m.mu.Unlock()
	v := float64(inUse)
	m.dbInUse = &v
}

// DBConnectionsFunc makes the recorder read the connections in use from f
// (sql.DB.Stats().InUse, say) on every scrape of /metrics and every Flush.
func (m *Metrics) DBConnectionsFunc(f func() int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dbFunc = f
}

func (m *Metrics) readDB() {
	m.mu.Lock()
	f := m.dbFunc
	m.mu.Unlock()
	if f != nil {
		m.DBConnections(f())
	}
}

// ColdStart records the first invocation of a Lambda execution environment.
func (m *Metrics) ColdStart() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.coldStarts++
}

// RequestCounts returns how many requests were recorded since since, and how
// many of them failed with a 5xx status, to the minute (the last hour at most).
func (m *Metrics) RequestCounts(since time.Time) (total, serverErrors int64) {
	if m == nil {
		return 0, 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.window.count(since)
}

// Handler serves the Prometheus metrics (text exposition format) for /metrics.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.readDB()
		h.ServeHTTP(w, r)
	})
}

// Registry returns the Prometheus registry, for collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Flush writes what was recorded since the last Flush as EMF documents, one
// JSON object a line, and forgets it: call it once at the end of each Lambda
// invocation with os.Stdout. SecondsSinceLastSuccess is written for every
// pipeline whose last success is known. Nothing is written when there is
// nothing to say.
func (m *Metrics) Flush(w io.Writer) error {
	if m == nil {
		return nil
	}
	m.readDB()
	m.mu.Lock()
	now := m.now()
	groups := m.groups(now)
	m.runs = map[string]*runObs{}
	m.requests = map[routeStatus]*requestObs{}
	m.dbInUse, m.coldStarts = nil, 0
	ns := m.namespace
	m.mu.Unlock()
	for _, g := range groups {
		if err := encodeEMF(w, ns, now, g); err != nil {
			return err
		}
	}
	return nil
}

// groups turns the pending observations into EMF groups: one per pipeline, one
// per route and status class, one without dimensions.
func (m *Metrics) groups(now time.Time) []group {
	var out []group
	pipelines := make([]string, 0, len(m.runs)+len(m.lastSuccess))
	for p := range m.runs {
		pipelines = append(pipelines, p)
	}
	for p := range m.lastSuccess {
		if m.runs[p] == nil {
			pipelines = append(pipelines, p)
		}
	}
	slices.Sort(pipelines)
	pd := []string{"Pipeline"}
	for _, p := range pipelines {
		g := group{Values: map[string]string{"Pipeline": p}}
		if o := m.runs[p]; o != nil {
			g.Series = append(g.Series,
				series{"RowsRead", UnitCount, pd, o.read},
				series{"RowsLoaded", UnitCount, pd, o.loaded},
				series{"RowsRejected", UnitCount, pd, o.rejected},
				series{"RowsFiltered", UnitCount, pd, o.filtered},
				series{"BytesRead", UnitBytes, pd, o.bytes},
				series{"FilesLoaded", UnitCount, pd, o.files},
				series{"RunDuration", UnitMilliseconds, pd, o.durationMS},
				series{"RunSucceeded", UnitCount, pd, o.succeeded},
				series{"RunFailed", UnitCount, pd, o.failed},
				series{"RunPartial", UnitCount, pd, o.partial},
				series{"RejectRatio", UnitNone, pd, o.rejectRatio},
			)
		}
		if t, ok := m.lastSuccess[p]; ok {
			g.Series = append(g.Series, series{"SecondsSinceLastSuccess", UnitSeconds, pd, []float64{max(now.Sub(t).Seconds(), 0)}})
		}
		out = append(out, g)
	}
	keys := make([]routeStatus, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b routeStatus) int {
		if a.route != b.route {
			return compare(a.route, b.route)
		}
		return compare(a.status, b.status)
	})
	for _, k := range keys {
		o := m.requests[k]
		out = append(out, group{
			Values: map[string]string{"Route": k.route, "Status": k.status},
			Series: []series{
				{"Requests", UnitCount, []string{"Route", "Status"}, []float64{float64(o.count)}},
				{"Latency", UnitMilliseconds, []string{"Route"}, o.latencyMS},
			},
		})
	}
	var global []series
	if m.dbInUse != nil {
		global = append(global, series{"DBConnectionsInUse", UnitCount, nil, []float64{*m.dbInUse}})
	}
	if m.coldStarts > 0 {
		global = append(global, series{"ColdStart", UnitCount, nil, []float64{float64(m.coldStarts)}})
	}
	if len(global) > 0 {
		out = append(out, group{Series: global})
	}
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sinceCollector computes sluice_seconds_since_last_success at scrape time.
type sinceCollector struct{ m *Metrics }

var sinceDesc = prometheus.NewDesc("sluice_seconds_since_last_success",
	"Seconds since the last succeeded run of the pipeline.", []string{"pipeline"}, nil)

func (c sinceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- sinceDesc }

func (c sinceCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	now := c.m.now()
	last := make(map[string]time.Time, len(c.m.lastSuccess))
	for p, t := range c.m.lastSuccess {
		last[p] = t
	}
	c.m.mu.Unlock()
	for p, t := range last {
		ch <- prometheus.MustNewConstMetric(sinceDesc, prometheus.GaugeValue, max(now.Sub(t).Seconds(), 0), p)
	}
}

// requestWindow counts requests per minute over the last hour.
type requestWindow struct {
	minute [60]int64 // unix minute of each slot
	total  [60]int64
	errors [60]int64
}

func (w *requestWindow) add(t time.Time, serverError bool) {
	min := t.Unix() / 60
	i := min % 60
	if w.minute[i] != min {
		w.minute[i], w.total[i], w.errors[i] = min, 0, 0
	}
	w.total[i]++
	if serverError {
		w.errors[i]++
	}
}

func (w *requestWindow) count(since time.Time) (total, serverErrors int64) {
	from := since.Unix() / 60
	for i := range w.minute {
		if w.minute[i] >= from && w.total[i] > 0 {
			total += w.total[i]
			serverErrors += w.errors[i]
		}
	}
	return total, serverErrors
}
