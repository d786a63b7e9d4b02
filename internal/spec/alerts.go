package spec

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Alert conditions: what an alert rule's when: says.
const (
	AlertStale       = "stale"         // no succeeded run of the pipeline for after
	AlertRejectRatio = "reject_ratio"  // rejected over read rows above above
	AlertRunFailed   = "run_failed"    // the pipeline's last run failed
	AlertAPI5xxRatio = "api_5xx_ratio" // 5xx responses over all requests above above, over window
	DefaultAPIWindow = 5 * time.Minute // api_5xx_ratio's window when none is given
)

var alertConditions = []string{AlertStale, AlertRejectRatio, AlertRunFailed, AlertAPI5xxRatio}

// Alerts is the alerts: section of the project file (OPERATIONS.md).
type Alerts struct {
	Pos     Pos
	Webhook string // Slack-compatible JSON endpoint (http or https); "" logs alerts only
	Rules   []AlertRule
}

// AlertRule is one alert rule.
type AlertRule struct {
	Pos         Pos
	Name        string // unique among the rules
	When        string // stale | reject_ratio | run_failed | api_5xx_ratio
	Pipeline    string // the pipeline watched; "" for every pipeline (not for api_5xx_ratio)
	PipelinePos Pos
	// After is, for stale, how long a pipeline may go without a succeeded run.
	After time.Duration
	// Above is, for reject_ratio and api_5xx_ratio, the ratio from 0 to 1 above
	// which the rule fires.
	Above float64
	// Window is, for api_5xx_ratio, the span of requests counted (default 5m);
	// for reject_ratio, the span of runs counted together (default 0: the last
	// run that read rows).
	Window time.Duration
}

// alerts decodes the alerts: section.
func (d *decoder) alerts(n *yaml.Node, a *Alerts) {
	a.Pos = d.pos(n)
	d.mapping(n, "alerts", []field{
		{name: "webhook", decode: func(n *yaml.Node) {
			s, ok := d.str(n, "alerts.webhook")
			if !ok || s == "" {
				return
			}
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				d.errorf(n, "alerts.webhook: %q is not an http:// or https:// URL", redactURL(s))
				return
			}
			a.Webhook = s
		}},
		{name: "rules", decode: func(n *yaml.Node) {
			if n.Kind != yaml.SequenceNode {
				d.errorf(n, "alerts.rules: expected a list of rules, found %s", describe(n))
				return
			}
			names := map[string]bool{}
			for i, item := range n.Content {
				r, ok := d.alertRule(resolve(item), i)
				if !ok {
					continue
				}
				if names[r.Name] {
					d.errorAt(r.Pos, "alerts.rules[%d]: a rule named %q exists already: give each rule its own name", i, r.Name)
					continue
				}
				names[r.Name] = true
				a.Rules = append(a.Rules, r)
			}
		}},
	})
}

// alertRule decodes one rule and checks that its keys fit its condition.
func (d *decoder) alertRule(n *yaml.Node, i int) (AlertRule, bool) {
	what := "alerts.rules[" + strconv.Itoa(i) + "]"
	r := AlertRule{Pos: d.pos(n)}
	given := map[string]*yaml.Node{}
	bad := false
	dur := func(dst *time.Duration, key string) func(*yaml.Node) {
		return func(n *yaml.Node) {
			given[key] = n
			s, ok := d.scalar(n, what+"."+key, "a duration")
			if !ok {
				bad = true
				return
			}
			v, err := ParseDuration(s)
			if err != nil || v <= 0 {
				d.errorf(n, "%s.%s: %s is not a positive duration; write for example 90m, 26h or 2d", what, key, describe(n))
				bad = true
				return
			}
			*dst = v
		}
	}
	ok := d.mapping(n, what, []field{
		{name: "name", required: true, decode: func(n *yaml.Node) {
			s, ok := d.str(n, what+".name")
			if ok && strings.TrimSpace(s) == "" {
				d.errorf(n, "%s.name is empty: name the rule", what)
				ok = false
			}
			if !ok {
				bad = true
				return
			}
			r.Name = s
		}},
		{name: "when", required: true, decode: func(n *yaml.Node) {
			s, ok := d.str(n, what+".when")
			if !ok || !d.oneOf(n, what+".when", s, alertConditions...) {
				bad = true
				return
			}
			r.When = s
		}},
		{name: "pipeline", decode: func(n *yaml.Node) {
			given["pipeline"] = n
			s, ok := d.str(n, what+".pipeline")
			if !ok || s == "" {
				return
			}
			if !pipelineName.MatchString(s) {
				d.errorf(n, "%s.pipeline: %q is not a pipeline name (lowercase letters, digits and _)", what, s)
				bad = true
				return
			}
			r.Pipeline, r.PipelinePos = s, d.pos(n)
		}},
		{name: "after", decode: dur(&r.After, "after")},
		{name: "window", decode: dur(&r.Window, "window")},
		{name: "above", decode: func(n *yaml.Node) {
			given["above"] = n
			f, ok := d.number(n, what+".above")
			if !ok {
				bad = true
				return
			}
			if f < 0 || f > 1 {
				d.errorf(n, "%s.above must be a ratio from 0 to 1 (0.01 is 1%%), found %v", what, f)
				bad = true
				return
			}
			r.Above = f
		}},
	})
	if !ok || r.When == "" || r.Name == "" {
		return r, false
	}
	if name := r.Name; name != "" {
		what += " (" + name + ")"
	}
	need := map[string][]string{ // keys that must, and that may, be given
		AlertStale:       {"after"},
		AlertRejectRatio: {"above"},
		AlertRunFailed:   nil,
		AlertAPI5xxRatio: {"above"},
	}
	may := map[string][]string{
		AlertStale:       {"pipeline", "after"},
		AlertRejectRatio: {"pipeline", "above", "window"},
		AlertRunFailed:   {"pipeline"},
		AlertAPI5xxRatio: {"above", "window"},
	}
	for _, k := range need[r.When] {
		if given[k] == nil {
			d.errorf(n, "%s: when: %s needs %s", what, r.When, k)
			bad = true
		}
	}
	for _, k := range []string{"pipeline", "after", "above", "window"} {
		if nk := given[k]; nk != nil && !slices.Contains(may[r.When], k) {
			d.errorf(nk, "%s: %s does not apply to when: %s", what, k, r.When)
			bad = true
		}
	}
	if r.When == AlertAPI5xxRatio && r.Window == 0 {
		r.Window = DefaultAPIWindow
	}
	return r, !bad
}

// ParseDuration reads a duration as time.ParseDuration does, and also whole days
// in front: 2d, 1d12h.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	days := time.Duration(0)
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 10000 {
			return 0, errors.New("bad number of days")
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return days + v, nil
}

// redactURL hides a password in a URL for messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// CheckAlerts reports the alert rules of p that name a pipeline that is not
// among pipelines, for sluice validate.
func CheckAlerts(p *Project, pipelines []*Pipeline) error {
	known := map[string]bool{}
	var names []string
	for _, pl := range pipelines {
		known[pl.Name] = true
		names = append(names, pl.Name)
	}
	var errs []error
	for _, r := range p.Alerts.Rules {
		if r.Pipeline != "" && !known[r.Pipeline] {
			errs = append(errs, Errorf(r.PipelinePos, "alert rule %s watches pipeline %q, which does not exist%s; pipelines: %s",
				r.Name, r.Pipeline, suggest(r.Pipeline, names), strings.Join(names, ", ")))
		}
	}
	return errors.Join(errs...)
}
