package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/schedule"
	"github.com/sluice-data/sluice/internal/spec"
)

// Key prefixes of the data bucket that Sluice itself writes or reads.
const (
	PipelinesPrefix = "config/pipelines/" // the pipeline specs, SLUICE_PIPELINES
	RejectsPrefix   = "_rejects/"         // rejected rows, expired by a lifecycle rule
)

// Plan is what the project folder asks of the infrastructure, read at synth time
// with the binary's own spec parser: the triggers of each pipeline, the alarms of
// its alert rules and the saved queries. It holds no CDK types, so that it is
// tested without synthesizing anything.
type Plan struct {
	PipelinesDir string // the folder whose specs are uploaded to PipelinesPrefix
	Pipelines    []string
	Schedules    []ScheduleTrigger
	Arrivals     []ArrivalTrigger
	Alarms       []PipelineAlarm
	Queries      []Query
}

// ScheduleTrigger is an EventBridge schedule rule for a pipeline with schedule:.
type ScheduleTrigger struct {
	Pipeline   string
	Expression string        // rate(…) or cron(…), EventBridge syntax as the spec holds it
	MaxGap     time.Duration // the longest time between two firings
}

// ArrivalTrigger is an EventBridge rule on the bucket's Object Created events
// for a pipeline without schedule:.
type ArrivalTrigger struct {
	Pipeline  string
	KeyPrefix string // the pipeline's source.path below the bucket
}

// Alarm kinds of a PipelineAlarm.
const (
	AlarmStale       = "stale"         // SecondsSinceLastSuccess above Threshold seconds
	AlarmMissed      = "missed"        // the default stale alarm of a scheduled pipeline
	AlarmRejectRatio = "reject_ratio"  // RejectRatio (Window 0) or RowsRejected/RowsRead above Threshold
	AlarmRunFailed   = "run_failed"    // RunFailed at least 1
	AlarmAPI5xxRatio = "api_5xx_ratio" // API Gateway 5xx/Count above Threshold
)

// Metric names and alarm periods; OPERATIONS.md names the metrics.
const (
	metricNamespace    = "Sluice"             // SLUICE_METRICS_NAMESPACE
	pipelineDimension  = "Pipeline"           // the EMF dimension of the run metrics
	defaultAlarmPeriod = 5 * time.Minute      // the period of alarms that name none
	stalePeriod        = time.Hour            // SecondsSinceLastSuccess is written at every invocation
	missedSlack        = time.Hour            // added to twice the schedule's gap
	maxAlarmWindow     = 24 * time.Hour       // the longest single period CloudWatch alarms take
	scheduleSampleSpan = 400 * 24 * time.Hour // firings sampled for a schedule's gap
	ruleSourceDefault  = "default"            // Rule of an alarm the project did not declare
)

// PipelineAlarm is one alarm on Sluice's EMF metrics (or, for api_5xx_ratio,
// the API's metrics) that the project asks for.
type PipelineAlarm struct {
	Name      string  // unique within the stack: alert-<rule>[-<pipeline>], or missed-schedule-<pipeline>
	Rule      string  // the alert rule's name, or "default"
	Kind      string  // one of the Alarm* kinds
	Pipeline  string  // the Pipeline dimension; "" for api_5xx_ratio
	Threshold float64 // seconds for stale and missed, a ratio otherwise
	Window    time.Duration
}

// Query is a saved Logs Insights query of the insights folder.
type Query struct {
	Name   string // from the file's "# name:" line, else Sluice/<file name>
	String string // the query without its comment lines
}

// LoadPlan reads the project folder and the insights folder.
func LoadPlan(projectDir, insightsDir string) (*Plan, error) {
	getenv := func(string) string { return "" } // synth must not depend on the caller's environment
	proj, err := spec.LoadProject(projectDir, getenv)
	if err != nil {
		return nil, fmt.Errorf("reading the project %s: %w", projectDir, err)
	}
	pipelines, err := spec.LoadPipelines(proj, getenv)
	if err != nil {
		return nil, fmt.Errorf("reading the pipelines of %s: %w", projectDir, err)
	}
	if err := spec.CheckAlerts(proj, pipelines); err != nil {
		return nil, err
	}
	p := &Plan{PipelinesDir: proj.Resolve(proj.Pipelines)}
	var errs []error
	for _, pl := range pipelines {
		p.Pipelines = append(p.Pipelines, pl.Name)
		if pl.Schedule != "" {
			gap, err := maxGap(pl.Schedule)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: schedule: %w", pl.File, err))
				continue
			}
			p.Schedules = append(p.Schedules, ScheduleTrigger{Pipeline: pl.Name, Expression: pl.Schedule, MaxGap: gap})
			continue
		}
		prefix, err := arrivalPrefix(pl.Source.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: pipeline %s runs on arrival, but %w", pl.File, pl.Name, err))
			continue
		}
		p.Arrivals = append(p.Arrivals, ArrivalTrigger{Pipeline: pl.Name, KeyPrefix: prefix})
	}
	p.Alarms = alarms(proj.Alerts.Rules, p.Pipelines, p.Schedules)
	if p.Queries, err = loadQueries(insightsDir); err != nil {
		errs = append(errs, err)
	}
	return p, errors.Join(errs...)
}

// arrivalPrefix is the bucket key prefix of a source.path: the path below the
// project's storage (s3://bucket/ in AWS), always ending in /, so that
// incoming/orders does not also match incoming/orders_old/.
func arrivalPrefix(path string) (string, error) {
	if strings.Contains(path, "://") {
		return "", fmt.Errorf("its source.path %s is a full URL: only a path below the project's storage can start runs on arrival; give it a schedule: instead", path)
	}
	p := strings.TrimPrefix(filepath.ToSlash(filepath.Clean("/"+path)), "/")
	if p == "" {
		return "", fmt.Errorf("its source.path %q is the storage root, where Sluice writes too: use a folder such as incoming/%s/", path, "name")
	}
	p += "/"
	for _, own := range []string{PipelinesPrefix, RejectsPrefix, "_"} {
		if strings.HasPrefix(p, own) || strings.HasPrefix(own, p) {
			return "", fmt.Errorf("its source.path %q overlaps %s, which Sluice writes: use a folder such as incoming/<name>/", path, own)
		}
	}
	return p, nil
}

// maxGap is the longest time between two firings of a schedule over a year and
// a month of firings, so that a monthly cron counts its 31-day months.
func maxGap(expr string) (time.Duration, error) {
	anchor := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := schedule.Parse(expr, anchor)
	if err != nil {
		return 0, err
	}
	end := anchor.Add(scheduleSampleSpan)
	var gap time.Duration
	t := s.Next(anchor)
	for n := 0; !t.IsZero() && t.Before(end) && n < 100_000; n++ {
		next := s.Next(t)
		if next.IsZero() {
			break
		}
		gap = max(gap, next.Sub(t))
		t = next
	}
	if gap == 0 {
		return 0, fmt.Errorf("%s fires less than twice in a year: it cannot be watched for missed runs", expr)
	}
	return gap, nil
}

// alarms turns the alert rules into alarms, one per pipeline a rule watches (a
// rule without pipeline: watches each), and adds a missed-schedule alarm for each
// scheduled pipeline that no stale rule watches.
func alarms(rules []spec.AlertRule, pipelines []string, schedules []ScheduleTrigger) []PipelineAlarm {
	var out []PipelineAlarm
	watched := map[string]bool{}
	each := func(r spec.AlertRule) []string {
		if r.Pipeline != "" {
			return []string{r.Pipeline}
		}
		return pipelines
	}
	for _, r := range rules {
		switch r.When {
		case spec.AlertStale:
			for _, pl := range each(r) {
				watched[pl] = true
				out = append(out, PipelineAlarm{Name: alertName(r.Name, pl), Rule: r.Name, Kind: AlarmStale, Pipeline: pl, Threshold: r.After.Seconds()})
			}
		case spec.AlertRejectRatio:
			for _, pl := range each(r) {
				out = append(out, PipelineAlarm{Name: alertName(r.Name, pl), Rule: r.Name, Kind: AlarmRejectRatio, Pipeline: pl, Threshold: r.Above, Window: r.Window})
			}
		case spec.AlertRunFailed:
			for _, pl := range each(r) {
				out = append(out, PipelineAlarm{Name: alertName(r.Name, pl), Rule: r.Name, Kind: AlarmRunFailed, Pipeline: pl, Threshold: 1})
			}
		case spec.AlertAPI5xxRatio:
			out = append(out, PipelineAlarm{Name: alertName(r.Name, ""), Rule: r.Name, Kind: AlarmAPI5xxRatio, Threshold: r.Above, Window: r.Window})
		}
	}
	for _, s := range schedules {
		if watched[s.Pipeline] {
			continue
		}
		threshold := (2*s.MaxGap + missedSlack).Seconds()
		out = append(out, PipelineAlarm{Name: "missed-schedule-" + s.Pipeline, Rule: ruleSourceDefault, Kind: AlarmMissed, Pipeline: s.Pipeline, Threshold: threshold})
	}
	return out
}

// alertName is the name of the alarm of an alert rule for a pipeline: alert-
// keeps the project's rule names apart from the stack's own alarms (api-errors).
func alertName(rule, pipeline string) string {
	n := "alert-" + strings.ReplaceAll(rule, "/", "-")
	if pipeline != "" {
		n += "-" + pipeline
	}
	return n
}

// Period is the alarm's evaluation period: its window rounded up to whole
// minutes, within CloudWatch's limits, or the default.
func (a PipelineAlarm) Period() time.Duration {
	switch {
	case a.Kind == AlarmStale || a.Kind == AlarmMissed:
		return stalePeriod
	case a.Window <= 0:
		return defaultAlarmPeriod
	}
	m := time.Duration(math.Ceil(a.Window.Minutes())) * time.Minute
	return min(m, maxAlarmWindow)
}

// loadQueries reads every *.query file of dir, sorted by file name.
func loadQueries(dir string) ([]Query, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.query"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("insights folder %s has no *.query files", dir)
	}
	slices.Sort(files)
	var out []Query
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading saved query: %w", err)
		}
		q := Query{Name: "Sluice/" + strings.TrimSuffix(filepath.Base(f), ".query")}
		var body []string
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#"); ok {
				if name, ok := strings.CutPrefix(strings.TrimSpace(rest), "name:"); ok {
					q.Name = strings.TrimSpace(name)
				}
				continue
			}
			if strings.TrimSpace(line) != "" {
				body = append(body, line)
			}
		}
		if len(body) == 0 {
			return nil, fmt.Errorf("saved query %s is empty", f)
		}
		q.String = strings.Join(body, "\n")
		out = append(out, q)
	}
	return out, nil
}
