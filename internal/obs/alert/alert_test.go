package alert

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
	"github.com/sluice-data/sluice/internal/spec"
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

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// webhook is a local Slack-compatible endpoint that keeps what it receives.
type webhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []Payload
	fail int // answer 500 to this many requests first
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook got %s with %s", r.Method, r.Header.Get("Content-Type"))
		}
		if w.fail > 0 {
			w.fail--
			http.Error(rw, "try later", http.StatusInternalServerError)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var p Payload
		var raw map[string]any
		if err := json.Unmarshal(body, &p); err != nil || json.Unmarshal(body, &raw) != nil {
			t.Errorf("webhook body is not JSON: %s", body)
		}
		for _, k := range []string{"text", "alert", "status", "value", "threshold", "message"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("webhook body has no %q: %s", k, body)
			}
		}
		w.got = append(w.got, p)
		rw.Write([]byte("ok"))
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) take() []Payload {
	w.mu.Lock()
	defer w.mu.Unlock()
	got := w.got
	w.got = nil
	return got
}

func openCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.Catalog()
}

func addRun(t *testing.T, c *catalog.Catalog, r catalog.Run) {
	t.Helper()
	r.ID = uuid.NewString()
	if r.StartedAt.IsZero() {
		r.StartedAt = r.FinishedAt.Add(-time.Minute)
	}
	if r.Trigger == "" {
		r.Trigger = "schedule"
	}
	if err := c.InsertRun(context.Background(), c.DB(), &r); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

func newEvaluator(t *testing.T, c *catalog.Catalog, hook string, clk *clock, rules ...spec.AlertRule) *Evaluator {
	return New(spec.Alerts{Webhook: hook, Rules: rules}, Options{
		Runs: c, Now: clk.Now, RetryWait: time.Millisecond,
		Pipelines: func() []string { return []string{"orders", "events"} },
	})
}

// step evaluates and checks what the webhook received: want lists "status
// rule pipeline" for each notification.
func step(t *testing.T, e *Evaluator, w *webhook, want ...string) []Payload {
	t.Helper()
	sent, err := e.Evaluate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := w.take()
	if len(got) != len(want) || len(sent) != len(want) {
		t.Fatalf("got %d notifications (%d returned), want %v: %+v", len(got), len(sent), want, got)
	}
	for i, p := range got {
		if s := p.Status + " " + p.Rule + " " + p.Pipeline; s != want[i] {
			t.Errorf("notification %d: %s, want %s", i, s, want[i])
		}
		if !strings.Contains(p.Text, strings.ToUpper(p.Status)) || !strings.Contains(p.Text, p.Rule) {
			t.Errorf("text %q", p.Text)
		}
	}
	return got
}

func TestStale(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	w := newWebhook(t)
	clk := &clock{t: t0}
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusSucceeded, FinishedAt: t0})
	e := newEvaluator(t, c, w.srv.URL, clk, spec.AlertRule{Name: "orders-stale", When: spec.AlertStale, Pipeline: "orders", After: 26 * time.Hour})

	clk.Set(t0.Add(time.Hour))
	step(t, e, w)
	clk.Set(t0.Add(27 * time.Hour))
	got := step(t, e, w, "firing orders-stale orders")
	if got[0].Value != (27*time.Hour).Seconds() || got[0].Threshold != (26*time.Hour).Seconds() || !got[0].Since.Equal(clk.Now()) {
		t.Errorf("firing: %+v", got[0])
	}
	clk.Set(t0.Add(28 * time.Hour))
	step(t, e, w) // still firing: no second notification
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusFailed, FinishedAt: t0.Add(28 * time.Hour)})
	step(t, e, w) // a failed run does not make it fresh
	if f := e.Firing(); len(f) != 1 || f[0].Rule != "orders-stale" {
		t.Errorf("Firing() = %+v", f)
	}
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusSucceeded, FinishedAt: t0.Add(28*time.Hour + time.Minute)})
	clk.Set(t0.Add(28*time.Hour + 2*time.Minute))
	got = step(t, e, w, "resolved orders-stale orders")
	if !got[0].Since.Equal(t0.Add(27 * time.Hour)) {
		t.Errorf("resolved: %+v", got[0])
	}
	step(t, e, w)
	if f := e.Firing(); len(f) != 0 {
		t.Errorf("Firing() = %+v", f)
	}
}

func TestStaleNeverSucceeded(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	w := newWebhook(t)
	clk := &clock{t: t0}
	e := newEvaluator(t, c, w.srv.URL, clk, spec.AlertRule{Name: "stale", When: spec.AlertStale, After: time.Hour})
	step(t, e, w) // a new server does not alert at once
	clk.Set(t0.Add(2 * time.Hour))
	step(t, e, w, "firing stale events", "firing stale orders")
}

func TestRejectRatio(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	w := newWebhook(t)
	clk := &clock{t: t0}
	e := newEvaluator(t, c, w.srv.URL, clk, spec.AlertRule{Name: "reject-ratio", When: spec.AlertRejectRatio, Above: 0.01})

	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusSucceeded, FinishedAt: t0, RowsRead: 1000, RowsRejected: 10})
	step(t, e, w) // 1% is not above 1%
	clk.Set(t0.Add(time.Hour))
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusFailed, FinishedAt: t0.Add(time.Hour), RowsRead: 100, RowsRejected: 30})
	got := step(t, e, w, "firing reject-ratio orders")
	if got[0].Value != 0.3 || got[0].Threshold != 0.01 || got[0].RunID == "" || !strings.Contains(got[0].Message, "30 of 100 rows") {
		t.Errorf("firing: %+v", got[0])
	}
	// A run that read nothing says nothing about the ratio.
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusSucceeded, FinishedAt: t0.Add(2 * time.Hour)})
	clk.Set(t0.Add(2 * time.Hour))
	step(t, e, w)
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusSucceeded, FinishedAt: t0.Add(3 * time.Hour), RowsRead: 500, RowsRejected: 1})
	clk.Set(t0.Add(3 * time.Hour))
	step(t, e, w, "resolved reject-ratio orders")
	step(t, e, w)
}

func TestRejectRatioWindow(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	w := newWebhook(t)
	clk := &clock{t: t0.Add(time.Hour)}
	e := newEvaluator(t, c, w.srv.URL, clk, spec.AlertRule{Name: "rr", When: spec.AlertRejectRatio, Pipeline: "events", Above: 0.1, Window: 2 * time.Hour})
	addRun(t, c, catalog.Run{Pipeline: "events", Status: catalog.StatusSucceeded, FinishedAt: t0, RowsRead: 10, RowsRejected: 8})
	addRun(t, c, catalog.Run{Pipeline: "events", Status: catalog.StatusSucceeded, FinishedAt: t0.Add(time.Hour), RowsRead: 90, RowsRejected: 5})
	step(t, e, w, "firing rr events") // 13 of 100
	clk.Set(t0.Add(2*time.Hour + time.Minute))
	step(t, e, w, "resolved rr events") // 5 of 90 once the first run left the window
}

func TestRunFailedAndRetries(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	w := newWebhook(t)
	clk := &clock{t: t0}
	e := newEvaluator(t, c, w.srv.URL, clk, spec.AlertRule{Name: "run-failed", When: spec.AlertRunFailed})
	addRun(t, c, catalog.Run{Pipeline: "events", Status: catalog.StatusFailed, FinishedAt: t0, Error: "opening postgres://u:xxxxx@db/x: refused"})
	w.mu.Lock()
	w.fail = 2 // two 500s, then the third try gets through
	w.mu.Unlock()
	got := step(t, e, w, "firing run-failed events")
	if !strings.Contains(got[0].Message, "refused") {
		t.Errorf("message: %s", got[0].Message)
	}

	// A webhook that keeps failing: the notification is tried again next time.
	addRun(t, c, catalog.Run{Pipeline: "events", Status: catalog.StatusSucceeded, FinishedAt: t0.Add(time.Minute)})
	w.mu.Lock()
	w.fail = 3
	w.mu.Unlock()
	if _, err := e.Evaluate(context.Background()); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("undelivered notification: %v", err)
	}
	if len(w.take()) != 0 || len(e.Firing()) != 1 {
		t.Error("an undelivered resolution changed the state")
	}
	step(t, e, w, "resolved run-failed events")
}

type requests struct{ total, errs int64 }

func (r *requests) RequestCounts(time.Time) (int64, int64) { return r.total, r.errs }

func TestAPI5xxRatio(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	w := newWebhook(t)
	clk := &clock{t: t0}
	reqs := &requests{}
	e := New(spec.Alerts{Webhook: w.srv.URL, Rules: []spec.AlertRule{{Name: "api-errors", When: spec.AlertAPI5xxRatio, Above: 0.01, Window: 5 * time.Minute}}},
		Options{Runs: c, Requests: reqs, Now: clk.Now})
	step(t, e, w) // no requests
	reqs.total, reqs.errs = 100, 5
	step(t, e, w, "firing api-errors ")
	reqs.total, reqs.errs = 100, 1
	step(t, e, w, "resolved api-errors ")
}

func TestNoWebhookLogsOnly(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	clk := &clock{t: t0}
	e := New(spec.Alerts{Rules: []spec.AlertRule{{Name: "f", When: spec.AlertRunFailed}}}, Options{Runs: c, Now: clk.Now})
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusFailed, FinishedAt: t0})
	sent, err := e.Evaluate(context.Background())
	if err != nil || len(sent) != 1 || sent[0].Status != StatusFiring {
		t.Errorf("%+v %v", sent, err)
	}
}

func TestWebhookErrorHidesURL(t *testing.T) {
	t.Parallel()
	n := &notifier{url: "http://127.0.0.1:1/services/T000/B000/SECRETPATH", client: &http.Client{Timeout: time.Second}, attempts: 1, wait: time.Millisecond}
	err := n.send(context.Background(), Alert{Rule: "x", Status: StatusFiring})
	if err == nil || strings.Contains(err.Error(), "SECRETPATH") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error: %v", err)
	}
}

func TestRunLoop(t *testing.T) {
	t.Parallel()
	c := openCatalog(t)
	w := newWebhook(t)
	addRun(t, c, catalog.Run{Pipeline: "orders", Status: catalog.StatusFailed, FinishedAt: t0})
	e := New(spec.Alerts{Webhook: w.srv.URL, Rules: []spec.AlertRule{{Name: "f", When: spec.AlertRunFailed}}}, Options{Runs: c})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.Run(ctx, 5*time.Millisecond)
		close(done)
	}()
	for len(e.Firing()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if got := w.take(); len(got) != 1 || got[0].Status != StatusFiring {
		t.Errorf("notifications: %+v", got)
	}
}
