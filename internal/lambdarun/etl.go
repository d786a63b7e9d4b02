package lambdarun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/bmatcuk/doublestar/v4"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/obs/metrics"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// Runner runs one pipeline; *engine.Engine is one.
type Runner interface {
	Run(ctx context.Context, p *spec.Pipeline, opts engine.Options) (*engine.Result, error)
}

// ETL is the etl function's handler. It implements lambda.Handler, so it sees
// the raw payload and tells the event shapes apart itself.
type ETL struct {
	// Setup returns what an invocation needs. It is called on every
	// invocation so that the first one, not the function's init, pays for
	// connecting (a cold start then stays fast), and so that pipeline specs
	// changed in S3 are seen; it should cache what does not change.
	Setup func(ctx context.Context) (*Deps, error)
	// Reserve is the time kept before the invocation's deadline for applying
	// and committing what was read; default a quarter of the time the
	// invocation has, between 1 s and 60 s.
	Reserve time.Duration
	// Metrics, when set, is flushed as CloudWatch EMF to Out after every
	// invocation.
	Metrics *metrics.Metrics
	Out     io.Writer
	Logger  *slog.Logger // default: discard
	// Command, when set, runs the sluice command line of a command invoke
	// (`{"command": ["keys", "create", ...]}`) and returns what it printed:
	// how an operator whose database is only reachable from inside the VPC
	// creates the first API key. Only callers allowed lambda:InvokeFunction
	// reach it; nil refuses command invokes.
	Command func(ctx context.Context, args []string) (*CommandResult, error)

	cold atomic.Bool // set once the first invocation started
}

// Deps are what an invocation runs pipelines with.
type Deps struct {
	Runner     Runner
	Pipelines  []*spec.Pipeline
	StorageURL string // the project's storage root, for relative source paths
	// LastSuccess, when set, returns when a pipeline last succeeded, for the
	// SecondsSinceLastSuccess metric.
	LastSuccess func(ctx context.Context, pipeline string) (time.Time, bool)
}

// CommandResult is what a command invoke returns. Its output is not logged:
// `keys create` prints a new key there, once.
type CommandResult struct {
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

// Summary is what an invocation returns (except for SQS batches, which get
// the partial batch response Lambda expects).
type Summary struct {
	// Status is failed when any run failed, partial when any stopped at the
	// deadline (or could not start before it), else succeeded.
	Status string            `json:"status"`
	Runs   []*engine.Result  `json:"runs"`
	Errors map[string]string `json:"errors,omitempty"` // by pipeline
}

// Invoke implements lambda.Handler.
func (h *ETL) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	first := !h.cold.Swap(true)
	attrs := []slog.Attr{slog.Bool(obs.KeyColdStart, first), slog.String(obs.KeyFunctionName, lambdacontext.FunctionName)}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String(obs.KeyAWSRequestID, lc.AwsRequestID))
	}
	ctx = obs.WithAttrs(ctx, attrs...)
	log := h.logger()
	if first && h.Metrics != nil {
		h.Metrics.ColdStart()
	}
	defer func() {
		if h.Metrics != nil && h.Out != nil {
			if err := h.Metrics.Flush(h.Out); err != nil {
				log.WarnContext(ctx, "writing metrics", "error", err)
			}
		}
	}()
	ev, err := Decode(payload)
	if err != nil {
		log.ErrorContext(ctx, "invocation", "error", err)
		return nil, err
	}
	log.InfoContext(ctx, "invocation", "event", ev.Kind)
	if ev.Kind == KindCommand {
		if h.Command == nil {
			return nil, errors.New("this function does not take command invokes")
		}
		log.InfoContext(ctx, "running a command", "command", ev.Command[0])
		res, err := h.Command(ctx, ev.Command)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	}
	deps, err := h.Setup(ctx)
	if err != nil {
		log.ErrorContext(ctx, "setting up", "error", err)
		return nil, err
	}
	stopAt := h.stopAt(ctx)
	if ev.Kind == KindSQS {
		return json.Marshal(h.batch(ctx, deps, ev, stopAt))
	}
	jobs, err := h.jobs(deps, ev)
	if err != nil {
		log.ErrorContext(ctx, "invocation", "error", err)
		return nil, err
	}
	if len(jobs) == 0 && ev.Kind == KindS3 {
		keys := make([]string, len(ev.Objects))
		for i, o := range ev.Objects {
			keys[i] = o.URL()
		}
		log.InfoContext(ctx, "no pipeline's source matches the objects", "objects", keys)
	}
	sum := h.runAll(ctx, deps, jobs, stopAt)
	out, merr := json.Marshal(sum)
	if merr != nil {
		return nil, merr
	}
	if sum.Status == catalog.StatusFailed {
		// An error makes the invocation count in the function's Errors metric,
		// and an asynchronous one is retried, then sent to the on-failure
		// destination, where nothing is lost.
		return nil, fmt.Errorf("%s", strings.Join(errorLines(sum.Errors), "; "))
	}
	return out, nil
}

func errorLines(errs map[string]string) []string {
	lines := make([]string, 0, len(errs))
	for p, e := range errs {
		lines = append(lines, "pipeline "+p+": "+e)
	}
	slices.Sort(lines)
	return lines
}

func (h *ETL) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// stopAt is when runs stop taking new files: the deadline less the reserve.
func (h *ETL) stopAt(ctx context.Context) time.Time {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}
	}
	reserve := h.Reserve
	if reserve == 0 {
		reserve = min(max(time.Until(deadline)/4, time.Second), time.Minute)
	}
	return deadline.Add(-reserve)
}

// job is one pipeline to run.
type job struct {
	p    *spec.Pipeline
	opts engine.Options
}

// jobs maps an event to the pipelines it starts, each once.
func (h *ETL) jobs(deps *Deps, ev *Event) ([]job, error) {
	byName := map[string]*spec.Pipeline{}
	for _, p := range deps.Pipelines {
		byName[p.Name] = p
	}
	switch ev.Kind {
	case KindInvoke:
		p, ok := byName[ev.Invoke.Pipeline]
		if !ok {
			return nil, fmt.Errorf("no pipeline named %q (pipelines: %s)", ev.Invoke.Pipeline, strings.Join(names(deps.Pipelines), ", "))
		}
		trigger := ev.Invoke.Trigger
		if trigger == "" {
			trigger = "invoke"
		}
		return []job{{p, engine.Options{FullRefresh: ev.Invoke.FullRefresh, RunID: ev.Invoke.RunID, Trigger: trigger}}}, nil
	case KindSchedule:
		var out []job
		for _, rule := range ev.Rules {
			p := pipelineOfRule(rule, deps.Pipelines)
			if p == nil {
				return nil, fmt.Errorf("scheduled event from rule %q names no pipeline: give the rule the constant input {\"pipeline\": \"NAME\"}, or a name that contains the pipeline's (pipelines: %s)", rule, strings.Join(names(deps.Pipelines), ", "))
			}
			if !slices.ContainsFunc(out, func(j job) bool { return j.p == p }) {
				out = append(out, job{p, engine.Options{Trigger: "schedule"}})
			}
		}
		if len(out) == 0 {
			return nil, errors.New("scheduled event without a rule in its resources")
		}
		return out, nil
	case KindS3:
		var out []job
		for _, p := range deps.Pipelines {
			if slices.ContainsFunc(ev.Objects, func(o ObjectRef) bool { return Matches(p, deps.StorageURL, o.URL()) }) {
				out = append(out, job{p, engine.Options{Trigger: "s3"}})
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot run a %s event here", ev.Kind)
}

// Matches reports whether the object at objURL is a source file of p: below the
// pipeline's source path and matching its pattern.
func Matches(p *spec.Pipeline, storageURL, objURL string) bool {
	root := strings.TrimSuffix(source.Join(storageURL, p.Source.Path), "/") + "/"
	rel, ok := strings.CutPrefix(objURL, root)
	if !ok || rel == "" {
		return false
	}
	pattern := p.Source.Pattern
	if pattern == "" {
		pattern = "*"
	}
	ok, _ = doublestar.Match(pattern, rel)
	return ok
}

// pipelineOfRule finds the pipeline a schedule rule is for: the one whose name
// is the rule's name, or the longest one that appears in it between dashes
// (sluice-orders-schedule).
func pipelineOfRule(rule string, ps []*spec.Pipeline) *spec.Pipeline {
	var best *spec.Pipeline
	padded := "-" + strings.ToLower(rule) + "-"
	for _, p := range ps {
		n := strings.ToLower(strings.ReplaceAll(p.Name, "_", "-"))
		if strings.Contains(padded, "-"+n+"-") && (best == nil || len(p.Name) > len(best.Name)) {
			best = p
		}
	}
	return best
}

func names(ps []*spec.Pipeline) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// runAll runs the jobs one after the other; a job not started by stopAt is
// left for the next invocation.
func (h *ETL) runAll(ctx context.Context, deps *Deps, jobs []job, stopAt time.Time) *Summary {
	log := h.logger()
	sum := &Summary{Status: catalog.StatusSucceeded, Runs: []*engine.Result{}}
	for i, j := range jobs {
		if i > 0 && !stopAt.IsZero() && time.Now().After(stopAt) {
			sum.Status = worse(sum.Status, catalog.StatusPartial)
			sum.addError(j.p.Name, "not started: the invocation reached its deadline; the next one runs it")
			log.WarnContext(ctx, "pipeline left for the next invocation", "pipeline", j.p.Name)
			continue
		}
		j.opts.StopAt = stopAt
		res, err := deps.Runner.Run(ctx, j.p, j.opts)
		if res != nil {
			sum.Runs = append(sum.Runs, res)
			sum.Status = worse(sum.Status, res.Status)
		}
		if err != nil {
			sum.Status = catalog.StatusFailed
			sum.addError(j.p.Name, err.Error())
		}
		if h.Metrics != nil && deps.LastSuccess != nil {
			if t, ok := deps.LastSuccess(ctx, j.p.Name); ok {
				h.Metrics.LastSuccess(j.p.Name, t)
			}
		}
	}
	return sum
}

func (s *Summary) addError(pipeline, msg string) {
	if s.Errors == nil {
		s.Errors = map[string]string{}
	}
	s.Errors[pipeline] = msg
}

// worse returns the worse of two run statuses.
func worse(a, b string) string {
	rank := func(s string) int {
		switch s {
		case catalog.StatusFailed:
			return 2
		case catalog.StatusPartial:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// batch runs the pipelines an SQS batch names, each once, and reports the
// messages to deliver again: those that could not be decoded, and those
// whose pipelines failed or stopped at the deadline (their redelivery then
// continues the run).
func (h *ETL) batch(ctx context.Context, deps *Deps, ev *Event, stopAt time.Time) events.SQSEventResponse {
	log := h.logger()
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	fail := func(id string) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	var all []job
	msgJobs := make([][]string, len(ev.Messages))
	for i, m := range ev.Messages {
		if m.Err != nil {
			log.ErrorContext(ctx, "undecodable SQS message", "message_id", m.ID, "error", m.Err)
			fail(m.ID)
			continue
		}
		js, _ := h.jobs(deps, m.Event)
		for _, j := range js {
			msgJobs[i] = append(msgJobs[i], j.p.Name)
			if !slices.ContainsFunc(all, func(x job) bool { return x.p == j.p }) {
				all = append(all, j)
			}
		}
	}
	sum := h.runAll(ctx, deps, all, stopAt)
	bad := map[string]bool{}
	for p := range sum.Errors {
		bad[p] = true
	}
	for _, r := range sum.Runs {
		if r.Status != catalog.StatusSucceeded {
			bad[r.Pipeline] = true
		}
	}
	for i, m := range ev.Messages {
		if m.Err == nil && slices.ContainsFunc(msgJobs[i], func(p string) bool { return bad[p] }) {
			fail(m.ID)
		}
	}
	log.InfoContext(ctx, "batch done", "messages", len(ev.Messages), "runs", len(sum.Runs), "failures", len(resp.BatchItemFailures), "status", sum.Status)
	return resp
}
