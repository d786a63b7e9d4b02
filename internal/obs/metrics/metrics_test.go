package metrics

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func record(m *Metrics) {
	m.RunFinished("orders", StatusSucceeded, RunCounts{RowsRead: 100, RowsLoaded: 90, RowsRejected: 4, RowsFiltered: 6, BytesRead: 5000, Files: 2}, 1500*time.Millisecond)
	m.RunFinished("orders", StatusFailed, RunCounts{RowsRead: 10, RowsLoaded: 10, RowsRejected: 5, BytesRead: 300, Files: 1}, 200*time.Millisecond)
	m.RunFinished("events", StatusPartial, RunCounts{}, 50*time.Millisecond)
	m.Request("GET /v1/datasets", 200, 12*time.Millisecond)
	m.Request("GET /v1/datasets", 200, 8*time.Millisecond)
	m.Request("GET /v1/datasets", 503, 30*time.Millisecond)
	m.Request("", 404, time.Millisecond)
	m.DBConnectionsFunc(func() int { return 3 })
	m.ColdStart()
}

func TestFlushEMF(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := New(Options{Namespace: "Test", Now: c.Now, NoProcessMetrics: true})
	record(m)
	c.Add(10 * time.Second)
	var buf bytes.Buffer
	if err := m.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.String())
	byDims := map[string]emfDoc{}
	for _, d := range docs {
		if d.namespace != "Test" || d.timestamp != c.Now().UnixMilli() {
			t.Errorf("namespace %s, timestamp %d", d.namespace, d.timestamp)
		}
		byDims[fmt.Sprint(d.dims)] = d
	}
	if len(docs) != 6 {
		t.Fatalf("%d documents, want 6 (2 pipelines, 3 route+status, 1 global):\n%s", len(docs), buf.String())
	}
	orders := byDims["map[Pipeline:orders]"]
	want := map[string][]float64{
		"RowsRead": {100, 10}, "RowsLoaded": {90, 0}, "RowsRejected": {4, 5}, "RowsFiltered": {6, 0},
		"BytesRead": {5000, 300}, "FilesLoaded": {2, 0}, "RunDuration": {1500, 200},
		"RunSucceeded": {1, 0}, "RunFailed": {0, 1}, "RunPartial": {0, 0}, "RejectRatio": {0.04, 0.5},
		"SecondsSinceLastSuccess": {10},
	}
	units := map[string]string{"BytesRead": "Bytes", "RunDuration": "Milliseconds", "RejectRatio": "None", "SecondsSinceLastSuccess": "Seconds"}
	for name, vals := range want {
		if !slices.Equal(orders.metrics[name], vals) {
			t.Errorf("orders %s = %v, want %v", name, orders.metrics[name], vals)
		}
		unit := units[name]
		if unit == "" {
			unit = "Count"
		}
		if orders.units[name] != unit || !slices.Equal(orders.dimsOf[name], []string{"Pipeline"}) {
			t.Errorf("orders %s: unit %s, dimensions %v", name, orders.units[name], orders.dimsOf[name])
		}
	}
	if len(orders.metrics) != len(want) {
		t.Errorf("orders has metrics %v", orders.metrics)
	}
	events := byDims["map[Pipeline:events]"]
	if _, ok := events.metrics["RejectRatio"]; ok {
		t.Error("a run that read nothing has a reject ratio")
	}
	if _, ok := events.metrics["SecondsSinceLastSuccess"]; ok {
		t.Error("events never succeeded but has SecondsSinceLastSuccess")
	}
	ok2xx := byDims["map[Route:GET /v1/datasets Status:2xx]"]
	if !slices.Equal(ok2xx.metrics["Requests"], []float64{2}) || !slices.Equal(ok2xx.metrics["Latency"], []float64{12, 8}) {
		t.Errorf("2xx: %v", ok2xx.metrics)
	}
	if !slices.Equal(ok2xx.dimsOf["Requests"], []string{"Route", "Status"}) || !slices.Equal(ok2xx.dimsOf["Latency"], []string{"Route"}) || ok2xx.directives != 2 {
		t.Errorf("2xx dimension sets: %v", ok2xx.dimsOf)
	}
	if d := byDims["map[Route:GET /v1/datasets Status:5xx]"]; !slices.Equal(d.metrics["Requests"], []float64{1}) {
		t.Errorf("5xx: %v", d.metrics)
	}
	if d := byDims["map[Route:unmatched Status:4xx]"]; !slices.Equal(d.metrics["Requests"], []float64{1}) {
		t.Errorf("unmatched: %v", d.metrics)
	}
	global := byDims["map[]"]
	if !slices.Equal(global.metrics["DBConnectionsInUse"], []float64{3}) || !slices.Equal(global.metrics["ColdStart"], []float64{1}) {
		t.Errorf("global: %v", global.metrics)
	}
	if !slices.Equal(global.dimsOf["ColdStart"], nil) {
		t.Errorf("ColdStart dimensions: %v", global.dimsOf["ColdStart"])
	}

	// A second flush says only how long ago each pipeline last succeeded, and
	// the connections in use, which DBConnectionsFunc reads at every flush.
	c.Add(50 * time.Second)
	buf.Reset()
	if err := m.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	docs = parseEMF(t, buf.String())
	if len(docs) != 2 || !slices.Equal(docs[0].metrics["SecondsSinceLastSuccess"], []float64{60}) || len(docs[0].metrics) != 1 ||
		!slices.Equal(docs[1].metrics["DBConnectionsInUse"], []float64{3}) || len(docs[1].metrics) != 1 {
		t.Errorf("second flush:\n%s", buf.String())
	}
}

func TestFlushManyPipelinesAndRuns(t *testing.T) {
	t.Parallel()
	m := New(Options{NoProcessMetrics: true})
	for i := range 40 {
		m.RunFinished(fmt.Sprintf("p%02d", i), StatusSucceeded, RunCounts{RowsRead: 1}, time.Second)
	}
	for range 250 {
		m.RunFinished("busy", StatusSucceeded, RunCounts{RowsRead: 2, RowsLoaded: 2}, time.Second)
	}
	var buf bytes.Buffer
	if err := m.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.String())
	perPipeline := map[string]int{}
	busyRows := 0.0
	for _, d := range docs {
		if d.namespace != DefaultNamespace {
			t.Errorf("namespace %s", d.namespace)
		}
		p := d.dims["Pipeline"]
		perPipeline[p]++
		if p == "busy" {
			for _, v := range d.metrics["RowsRead"] {
				busyRows += v
			}
		}
	}
	if len(perPipeline) != 41 || perPipeline["busy"] != 3 || perPipeline["p07"] != 1 {
		t.Errorf("documents per pipeline: %v", perPipeline)
	}
	if busyRows != 500 {
		t.Errorf("busy rows read %v, want 500", busyRows)
	}
}

func TestNilMetrics(t *testing.T) {
	t.Parallel()
	var m *Metrics
	m.RunFinished("p", StatusSucceeded, RunCounts{}, time.Second)
	m.Request("r", 200, time.Second)
	m.DBConnections(1)
	m.ColdStart()
	m.LastSuccess("p", time.Now())
	if err := m.Flush(&bytes.Buffer{}); err != nil {
		t.Error(err)
	}
}

func TestPrometheus(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := New(Options{Now: c.Now})
	record(m)
	m.LastSuccess("events", c.Now().Add(-time.Hour))
	c.Add(30 * time.Second)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	value := func(name string, labels ...string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Errorf("no metric %s", name)
			return -1
		}
	metrics:
		for _, mt := range f.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				if label(mt, labels[i]) != labels[i+1] {
					continue metrics
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return mt.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return mt.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				return float64(mt.GetHistogram().GetSampleCount())
			}
		}
		t.Errorf("no %s%v", name, labels)
		return -1
	}
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"sluice_rows_read_total", []string{"pipeline", "orders"}, 110},
		{"sluice_rows_loaded_total", []string{"pipeline", "orders"}, 90},
		{"sluice_rows_rejected_total", []string{"pipeline", "orders"}, 9},
		{"sluice_rows_filtered_total", []string{"pipeline", "orders"}, 6},
		{"sluice_bytes_read_total", []string{"pipeline", "orders"}, 5300},
		{"sluice_files_loaded_total", []string{"pipeline", "orders"}, 2},
		{"sluice_run_duration_seconds", []string{"pipeline", "orders"}, 2},
		{"sluice_runs_total", []string{"pipeline", "orders", "status", "succeeded"}, 1},
		{"sluice_runs_total", []string{"pipeline", "orders", "status", "failed"}, 1},
		{"sluice_runs_total", []string{"pipeline", "events", "status", "partial"}, 1},
		{"sluice_run_reject_ratio", []string{"pipeline", "orders"}, 0.5},
		{"sluice_seconds_since_last_success", []string{"pipeline", "orders"}, 30},
		{"sluice_seconds_since_last_success", []string{"pipeline", "events"}, 3630},
		{"sluice_http_requests_total", []string{"route", "GET /v1/datasets", "status", "2xx"}, 2},
		{"sluice_http_requests_total", []string{"route", "GET /v1/datasets", "status", "5xx"}, 1},
		{"sluice_http_requests_total", []string{"route", "unmatched", "status", "4xx"}, 1},
		{"sluice_http_request_duration_seconds", []string{"route", "GET /v1/datasets"}, 3},
		{"sluice_db_connections_in_use", nil, 3},
	}
	for _, c := range checks {
		if got := value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if fams["go_goroutines"] == nil {
		t.Error("no Go runtime metrics")
	}
	for name, f := range fams {
		if f.GetType() == dto.MetricType_HISTOGRAM && name == "sluice_run_duration_seconds" {
			for _, mt := range f.Metric {
				if label(mt, "pipeline") == "orders" && mt.GetHistogram().GetSampleSum() != 1.7 {
					t.Errorf("run duration sum %v, want 1.7", mt.GetHistogram().GetSampleSum())
				}
			}
		}
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestRequestCounts(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := New(Options{Now: c.Now, NoProcessMetrics: true})
	m.Request("r", 500, time.Millisecond)
	c.Add(10 * time.Minute)
	for i := range 10 {
		m.Request("r", 200+300*(i%2), time.Millisecond) // 5 of them 500
	}
	total, errs := m.RequestCounts(c.Now().Add(-5 * time.Minute))
	if total != 10 || errs != 5 {
		t.Errorf("last 5 minutes: %d requests, %d errors", total, errs)
	}
	total, errs = m.RequestCounts(c.Now().Add(-time.Hour))
	if total != 11 || errs != 6 {
		t.Errorf("last hour: %d requests, %d errors", total, errs)
	}
	c.Add(2 * time.Hour)
	if total, _ := m.RequestCounts(c.Now().Add(-time.Hour)); total != 0 {
		t.Errorf("after two hours: %d requests", total)
	}
}
