package main

import (
	"slices"
	"strings"
	"testing"
)

// alarmWant is what one alarm must watch.
type alarmWant struct {
	namespace, metric, stat, op string
	threshold                   float64
	dimension                   string // the value of the one dimension; "" to skip the check
	math                        string // the expression of a metric-math alarm
	mathMetrics                 []string
}

const (
	gte = "GreaterThanOrEqualToThreshold"
	gt  = "GreaterThanThreshold"
	lt  = "LessThanThreshold"
)

func TestAlarms(t *testing.T) {
	raw, _ := sluice(t)
	want := map[string]alarmWant{
		"etl-errors":               {namespace: "AWS/Lambda", metric: "Errors", stat: "Sum", op: gte, threshold: 1},
		"etl-throttles":            {namespace: "AWS/Lambda", metric: "Throttles", stat: "Sum", op: gte, threshold: 1},
		"api-errors":               {namespace: "AWS/Lambda", metric: "Errors", stat: "Sum", op: gte, threshold: 1},
		"api-throttles":            {namespace: "AWS/Lambda", metric: "Throttles", stat: "Sum", op: gte, threshold: 1},
		"api-5xx":                  {namespace: "AWS/ApiGateway", metric: "5xx", stat: "Sum", op: gte, threshold: 5},
		"api-latency-p99":          {namespace: "AWS/ApiGateway", metric: "Latency", stat: "p99", op: gt, threshold: 3000},
		"db-cpu":                   {namespace: "AWS/RDS", metric: "CPUUtilization", stat: "Average", op: gt, threshold: 80},
		"db-storage":               {namespace: "AWS/RDS", metric: "FreeStorageSpace", stat: "Minimum", op: lt, threshold: 2 << 30},
		"db-memory":                {namespace: "AWS/RDS", metric: "FreeableMemory", stat: "Minimum", op: lt, threshold: 128 << 20},
		"db-connections":           {namespace: "AWS/RDS", metric: "DatabaseConnections", stat: "Maximum", op: gt, threshold: 60},
		"etl-failures-dlq":         {namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", stat: "Maximum", op: gte, threshold: 1},
		"trigger-failures-dlq":     {namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", stat: "Maximum", op: gte, threshold: 1},
		"missed-schedule-clicks":   {namespace: "Sluice", metric: "SecondsSinceLastSuccess", stat: "Maximum", op: gt, threshold: 3 * 3600, dimension: "clicks"},
		"missed-schedule-invoices": {namespace: "Sluice", metric: "SecondsSinceLastSuccess", stat: "Maximum", op: gt, threshold: 145 * 3600, dimension: "invoices"},
		// The project's alert rules (testdata/project/sluice.yaml).
		"alert-orders-stale-orders":      {namespace: "Sluice", metric: "SecondsSinceLastSuccess", stat: "Maximum", op: gt, threshold: 26 * 3600, dimension: "orders"},
		"alert-reject-ratio-clicks":      {namespace: "Sluice", metric: "RejectRatio", stat: "Maximum", op: gt, threshold: 0.01, dimension: "clicks"},
		"alert-reject-ratio-invoices":    {namespace: "Sluice", metric: "RejectRatio", stat: "Maximum", op: gt, threshold: 0.01, dimension: "invoices"},
		"alert-reject-ratio-orders":      {namespace: "Sluice", metric: "RejectRatio", stat: "Maximum", op: gt, threshold: 0.01, dimension: "orders"},
		"alert-invoices-failed-invoices": {namespace: "Sluice", metric: "RunFailed", stat: "Sum", op: gte, threshold: 1, dimension: "invoices"},
		"alert-clicks-rejects-clicks":    {op: gt, threshold: 0.05, math: "IF(read > 0, rejected / read, 0)", mathMetrics: []string{"Sluice/RowsRead", "Sluice/RowsRejected"}},
		"alert-api-errors":               {op: gt, threshold: 0.02, math: "IF(requests > 0, errors / requests, 0)", mathMetrics: []string{"AWS/ApiGateway/5xx", "AWS/ApiGateway/Count"}},
	}
	topics := resources(raw, "AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%d topics", len(topics))
	}
	topic := "<" + ids(topics)[0] + ">"
	got := map[string]map[string]any{}
	for _, a := range resources(raw, "AWS::CloudWatch::Alarm") {
		p := props(a)
		got[strings.TrimPrefix(p["AlarmName"].(string), "Sluice-")] = p
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected alarm %s", name)
		}
	}
	for name, w := range want {
		p := got[name]
		if p == nil {
			t.Errorf("no alarm %s", name)
			continue
		}
		if p["ComparisonOperator"] != w.op || p["Threshold"] != w.threshold {
			t.Errorf("%s: %v %v, want %s %v", name, p["ComparisonOperator"], p["Threshold"], w.op, w.threshold)
		}
		if actions := list(p["AlarmActions"]); len(actions) != 1 || render(actions[0]) != topic {
			t.Errorf("%s: alarm actions %v, want the topic %s", name, actions, topic)
		}
		if w.math != "" {
			var expr string
			var metrics []string
			for _, m := range list(p["Metrics"]) {
				m := m.(map[string]any)
				if e, ok := m["Expression"].(string); ok {
					expr = e
				}
				if ms, ok := m["MetricStat"].(map[string]any); ok {
					metric := ms["Metric"].(map[string]any)
					metrics = append(metrics, metric["Namespace"].(string)+"/"+metric["MetricName"].(string))
				}
			}
			slices.Sort(metrics)
			if expr != w.math || !slices.Equal(metrics, w.mathMetrics) {
				t.Errorf("%s: %q over %v, want %q over %v", name, expr, metrics, w.math, w.mathMetrics)
			}
			continue
		}
		stat := p["Statistic"]
		if stat == nil {
			stat = p["ExtendedStatistic"]
		}
		if p["Namespace"] != w.namespace || p["MetricName"] != w.metric || stat != w.stat {
			t.Errorf("%s: %v/%v %v, want %s/%s %s", name, p["Namespace"], p["MetricName"], stat, w.namespace, w.metric, w.stat)
		}
		if w.dimension != "" {
			dims := list(p["Dimensions"])
			if len(dims) != 1 || dims[0].(map[string]any)["Name"] != "Pipeline" || dims[0].(map[string]any)["Value"] != w.dimension {
				t.Errorf("%s: dimensions %v, want Pipeline=%s", name, dims, w.dimension)
			}
		}
	}
}

func TestDashboardAndQueries(t *testing.T) {
	raw, _ := sluice(t)
	dashboards := resources(raw, "AWS::CloudWatch::Dashboard")
	if len(dashboards) != 1 {
		t.Fatalf("%d dashboards", len(dashboards))
	}
	for _, d := range dashboards {
		body := render(props(d)["DashboardBody"])
		for _, want := range []string{`"type":"alarm"`, `"type":"log"`, "SecondsSinceLastSuccess", "RejectRatio", "ApproximateNumberOfMessagesVisible", "DatabaseConnections", `filter level = \"ERROR\"`} {
			if !strings.Contains(body, want) {
				t.Errorf("dashboard has no %s", want)
			}
		}
	}
	queries := resources(raw, "AWS::Logs::QueryDefinition")
	names := map[string]bool{}
	for _, q := range queries {
		p := props(q)
		names[p["Name"].(string)] = true
		groups := list(p["LogGroupNames"])
		if len(groups) != 2 || !strings.HasPrefix(render(groups[0]), "<FunctionsEtlLogs") || !strings.HasPrefix(render(groups[1]), "<FunctionsApiLogs") {
			t.Errorf("query %v over %v, want both functions' log groups", p["Name"], groups)
		}
	}
	for _, want := range []string{"Sluice/Slowest runs", "Sluice/Rejects by reason", "Sluice/Errors by pipeline", "Sluice/Cold starts", "Sluice/API latency by route"} {
		if !names[want] {
			t.Errorf("no saved query %q: %v", want, names)
		}
	}
}

func TestTopic(t *testing.T) {
	raw, _ := sluice(t)
	subs := resources(raw, "AWS::SNS::Subscription")
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions, want the alarmEmail one", len(subs))
	}
	for _, s := range subs {
		if p := props(s); p["Protocol"] != "email" || p["Endpoint"] != "ops@example.com" {
			t.Errorf("subscription %v", p)
		}
	}
}
