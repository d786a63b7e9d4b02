// Package alert evaluates the alert rules of sluice.yaml (OPERATIONS.md) against
// the run history and the API's recent requests, and notifies a Slack-compatible
// webhook once when a rule starts firing for a pipeline and once when it
// resolves. sluice serve calls Evaluate after every run and every minute; in AWS
// the infrastructure turns the same rules into CloudWatch alarms instead.
package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/spec"
)

// Alert states.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// RunHistory reads the run history, newest first; *catalog.Catalog is one.
type RunHistory interface {
	Runs(ctx context.Context, f catalog.RunFilter) ([]catalog.Run, error)
}

// RequestCounter counts the API's recent requests; *metrics.Metrics is one.
type RequestCounter interface {
	RequestCounts(since time.Time) (total, serverErrors int64)
}

// Options configure an Evaluator. Runs is required; the other fields work at
// their zero value.
type Options struct {
	Runs RunHistory
	// Requests counts API requests for api_5xx_ratio rules; nil: they never fire.
	Requests RequestCounter
	// Pipelines lists the project's pipelines, watched by rules without a
	// pipeline: together with every pipeline of the recent run history. nil: the
	// run history alone.
	Pipelines func() []string
	Client    *http.Client     // posts to the webhook; default: one with a 10s timeout
	Logger    *slog.Logger     // logs every notification; default: discard
	Now       func() time.Time // default time.Now
	Attempts  int              // tries per notification; default 3
	RetryWait time.Duration    // wait before the second try, doubled after; default 1s
}

// Alert is a rule's state for one pipeline (or for the API), and the structured
// part of a notification.
type Alert struct {
	Rule      string    `json:"alert"`
	When      string    `json:"when"`
	Status    string    `json:"status"` // firing or resolved
	Pipeline  string    `json:"pipeline,omitempty"`
	Value     float64   `json:"value"`     // seconds for stale, a ratio (0–1) for the ratios, 1 for run_failed
	Threshold float64   `json:"threshold"` // same unit as Value
	Message   string    `json:"message"`
	RunID     string    `json:"run_id,omitempty"` // the run behind the value, if one is
	Since     time.Time `json:"since"`            // when the alert started firing
	At        time.Time `json:"at"`               // when this state was found
}

func (a *Alert) key() string { return a.Rule + "\x00" + a.Pipeline }

// Evaluator evaluates alert rules and notifies on changes. It keeps which
// alerts fire in memory: a restarted server notifies again those still firing.
// Its methods are safe for concurrent use; evaluations run one at a time.
type Evaluator struct {
	rules    []spec.AlertRule
	notifier *notifier
	o        Options
	started  time.Time

	mu     sync.Mutex
	firing map[string]Alert // key → the alert, once its firing notification went out
}

// New returns an evaluator of cfg's rules.
func New(cfg spec.Alerts, o Options) *Evaluator {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.RetryWait <= 0 {
		o.RetryWait = time.Second
	}
	return &Evaluator{
		rules:    slices.Clone(cfg.Rules),
		notifier: &notifier{url: cfg.Webhook, client: o.Client, attempts: o.Attempts, wait: o.RetryWait},
		o:        o,
		started:  o.Now(),
		firing:   map[string]Alert{},
	}
}

// Evaluate evaluates every rule now and notifies the webhook of each alert that
// started firing or resolved since the last evaluation. It returns those
// notifications. A rule that cannot be evaluated (the database is down) keeps
// its alerts' states; a notification that cannot be delivered is tried again
// by the next evaluation. Both are reported in the error.
func (e *Evaluator) Evaluate(ctx context.Context) ([]Alert, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.Now()
	var errs []error
	current := map[string]Alert{}
	evaluated := map[string]bool{} // rules whose every pipeline was evaluated
	hist := &history{runs: e.o.Runs, cache: map[string][]catalog.Run{}}
	for _, r := range e.rules {
		alerts, err := e.evaluate(ctx, hist, r, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("alert rule %s: %w", r.Name, err))
			continue
		}
		evaluated[r.Name] = true
		for _, a := range alerts {
			current[a.key()] = a
		}
	}
	var sent []Alert
	for _, k := range sortedKeys(current) {
		a := current[k]
		if _, ok := e.firing[k]; ok {
			continue
		}
		a.Status, a.Since, a.At = StatusFiring, now, now
		if err := e.notify(ctx, a); err != nil {
			errs = append(errs, err)
			continue
		}
		e.firing[k] = a
		sent = append(sent, a)
	}
	for _, k := range sortedKeys(e.firing) {
		was := e.firing[k]
		if _, still := current[k]; still || !evaluated[was.Rule] {
			continue
		}
		a := was
		a.Status, a.At = StatusResolved, now
		a.Message = "resolved: " + was.Message
		if err := e.notify(ctx, a); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(e.firing, k)
		sent = append(sent, a)
	}
	return sent, errors.Join(errs...)
}

// Run evaluates the rules every interval (a minute, say) until ctx ends,
// logging failures. Call Evaluate after each run as well.
func (e *Evaluator) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
				e.o.Logger.WarnContext(ctx, "evaluating alerts", "error", err)
			}
		}
	}
}

// Firing returns the alerts firing now (as of the last evaluation).
func (e *Evaluator) Firing() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Alert, 0, len(e.firing))
	for _, k := range sortedKeys(e.firing) {
		out = append(out, e.firing[k])
	}
	return out
}

func (e *Evaluator) notify(ctx context.Context, a Alert) error {
	level := slog.LevelWarn
	if a.Status == StatusResolved {
		level = slog.LevelInfo
	}
	e.o.Logger.Log(ctx, level, "alert "+a.Status, "alert", a.Rule, "when", a.When, "pipeline", a.Pipeline,
		"value", a.Value, "threshold", a.Threshold, "message", a.Message)
	if err := e.notifier.send(ctx, a); err != nil {
		e.o.Logger.ErrorContext(ctx, "alert notification failed", "alert", a.Rule, "pipeline", a.Pipeline, "error", err)
		return fmt.Errorf("notifying %s %s: %w", a.Rule, a.Status, err)
	}
	return nil
}

func sortedKeys(m map[string]Alert) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
