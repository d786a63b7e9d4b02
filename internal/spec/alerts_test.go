package spec

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadProjectAlerts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"sluice.yaml": `version: 1
alerts:
  webhook: ${HOOK}
  rules:
    - {name: orders-stale, when: stale, pipeline: orders, after: 26h}
    - {name: reject-ratio, when: reject_ratio, above: 0.01}
    - {name: reject-day, when: reject_ratio, above: 0.05, window: 1d}
    - {name: run-failed, when: run_failed}
    - {name: api-errors, when: api_5xx_ratio, above: 0.01, window: 5m}
    - {name: api-default, when: api_5xx_ratio, above: 0.5}
`})
	p, err := LoadProject(dir, env(map[string]string{"HOOK": "https://hooks.example.com/T1/B2"}))
	if err != nil {
		t.Fatal(err)
	}
	p.Alerts.Pos = Pos{}
	for i := range p.Alerts.Rules {
		p.Alerts.Rules[i].Pos, p.Alerts.Rules[i].PipelinePos = Pos{}, Pos{}
	}
	want := Alerts{Webhook: "https://hooks.example.com/T1/B2", Rules: []AlertRule{
		{Name: "orders-stale", When: AlertStale, Pipeline: "orders", After: 26 * time.Hour},
		{Name: "reject-ratio", When: AlertRejectRatio, Above: 0.01},
		{Name: "reject-day", When: AlertRejectRatio, Above: 0.05, Window: 24 * time.Hour},
		{Name: "run-failed", When: AlertRunFailed},
		{Name: "api-errors", When: AlertAPI5xxRatio, Above: 0.01, Window: 5 * time.Minute},
		{Name: "api-default", When: AlertAPI5xxRatio, Above: 0.5, Window: DefaultAPIWindow},
	}}
	if !reflect.DeepEqual(p.Alerts, want) {
		t.Errorf("got %+v\nwant %+v", p.Alerts, want)
	}
}

func TestLoadProjectAlertErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string   // after "version: 1\nalerts:\n"
		want []string // "F" stands for the project file's path
	}{
		{"unknown key", "  webhok: x\n", []string{
			`F:3:3: unknown key "webhok" in alerts (did you mean "webhook"?); known keys: webhook, rules`}},
		{"bad webhook", "  webhook: ftp://u:pw@h/x\n", []string{
			`F:3:12: alerts.webhook: "ftp://u:xxxxx@h/x" is not an http:// or https:// URL`}},
		{"rules not a list", "  rules: {name: x}\n", []string{
			`F:3:10: alerts.rules: expected a list of rules, found a mapping`}},
		{"bad when", "  rules:\n    - {name: a, when: stael, after: 1h}\n", []string{
			`F:4:23: alerts.rules[0].when: "stael" is not one of stale, reject_ratio, run_failed, api_5xx_ratio (did you mean "stale"?)`}},
		{"missing keys", "  rules:\n    - {pipeline: orders}\n", []string{
			`F:4:7: alerts.rules[0]: missing required key "name"`,
			`F:4:7: alerts.rules[0]: missing required key "when"`}},
		{"stale needs after", "  rules:\n    - {name: a, when: stale}\n", []string{
			`F:4:7: alerts.rules[0] (a): when: stale needs after`}},
		{"bad duration", "  rules:\n    - {name: a, when: stale, after: 26}\n", []string{
			`F:4:37: alerts.rules[0].after: "26" is not a positive duration; write for example 90m, 26h or 2d`}},
		{"negative duration", "  rules:\n    - {name: a, when: stale, after: -1h}\n", []string{
			`F:4:37: alerts.rules[0].after: "-1h" is not a positive duration; write for example 90m, 26h or 2d`}},
		{"ratio range", "  rules:\n    - {name: a, when: reject_ratio, above: 5}\n", []string{
			`F:4:44: alerts.rules[0].above must be a ratio from 0 to 1 (0.01 is 1%), found 5`}},
		{"ratio not a number", "  rules:\n    - {name: a, when: reject_ratio, above: lots}\n", []string{
			`F:4:44: alerts.rules[0].above: expected a number, found "lots"`}},
		{"keys that do not apply", "  rules:\n    - {name: a, when: api_5xx_ratio, above: 0.1, pipeline: orders, after: 1h}\n", []string{
			`F:4:60: alerts.rules[0] (a): pipeline does not apply to when: api_5xx_ratio`,
			`F:4:75: alerts.rules[0] (a): after does not apply to when: api_5xx_ratio`}},
		{"run_failed takes no threshold", "  rules:\n    - {name: a, when: run_failed, above: 0.1}\n", []string{
			`F:4:42: alerts.rules[0] (a): above does not apply to when: run_failed`}},
		{"duplicate names", "  rules:\n    - {name: a, when: run_failed}\n    - {name: a, when: run_failed}\n", []string{
			`F:5:7: alerts.rules[1]: a rule named "a" exists already: give each rule its own name`}},
		{"bad pipeline name", "  rules:\n    - {name: a, when: run_failed, pipeline: Orders!}\n", []string{
			`F:4:45: alerts.rules[0].pipeline: "Orders!" is not a pipeline name (lowercase letters, digits and _)`}},
		{"unset webhook variable", "  webhook: ${NO_HOOK}\n", []string{
			`F:3:12: alerts.webhook: environment variable NO_HOOK is not set; set it or write ${NO_HOOK:-default}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"sluice.yaml": "version: 1\nalerts:\n" + tt.yaml})
			_, err := LoadProject(dir, env(nil))
			got := errorTexts(t, err)
			for i := range tt.want {
				tt.want[i] = strings.Replace(tt.want[i], "F:", filepath.Join(dir, "sluice.yaml")+":", 1)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestEmptyWebhookMeansNone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"sluice.yaml": "version: 1\nalerts:\n  webhook: ${HOOK:-}\n  rules: [{name: f, when: run_failed}]\n"})
	p, err := LoadProject(dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Alerts.Webhook != "" || len(p.Alerts.Rules) != 1 {
		t.Errorf("%+v", p.Alerts)
	}
}

func TestCheckAlerts(t *testing.T) {
	t.Parallel()
	p := &Project{Alerts: Alerts{Rules: []AlertRule{
		{Name: "a", When: AlertStale, Pipeline: "ordres", PipelinePos: Pos{File: "sluice.yaml", Line: 4, Col: 9}},
		{Name: "b", When: AlertRunFailed, Pipeline: "orders"},
		{Name: "c", When: AlertRunFailed},
	}}}
	err := CheckAlerts(p, []*Pipeline{{Name: "orders"}, {Name: "events"}})
	want := `sluice.yaml:4:9: alert rule a watches pipeline "ordres", which does not exist (did you mean "orders"?); pipelines: orders, events`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"26h": 26 * time.Hour, "2d": 48 * time.Hour, "1d12h": 36 * time.Hour, "90s": 90 * time.Second} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "d", "xd", "1.5d", "26", "1w"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q): no error", in)
		}
	}
}
