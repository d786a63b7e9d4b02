package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testProject  = "testdata/project"
	testInsights = "../ops/insights"
)

func TestLoadPlan(t *testing.T) {
	t.Parallel()
	p, err := LoadPlan(testProject, testInsights)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"clicks", "invoices", "orders"}; !slices.Equal(p.Pipelines, want) {
		t.Errorf("pipelines = %v, want %v", p.Pipelines, want)
	}
	wantSchedules := []ScheduleTrigger{
		{Pipeline: "clicks", Expression: "rate(1 hour)", MaxGap: time.Hour},
		{Pipeline: "invoices", Expression: "cron(30 4 ? * MON-FRI *)", MaxGap: 72 * time.Hour}, // Friday to Monday
	}
	if !slices.Equal(p.Schedules, wantSchedules) {
		t.Errorf("schedules = %+v\nwant %+v", p.Schedules, wantSchedules)
	}
	if want := []ArrivalTrigger{{Pipeline: "orders", KeyPrefix: "incoming/orders/"}}; !slices.Equal(p.Arrivals, want) {
		t.Errorf("arrivals = %+v, want %+v", p.Arrivals, want)
	}

	want := []PipelineAlarm{
		{Name: "alert-orders-stale-orders", Rule: "orders-stale", Kind: AlarmStale, Pipeline: "orders", Threshold: 26 * 3600},
		{Name: "alert-reject-ratio-clicks", Rule: "reject-ratio", Kind: AlarmRejectRatio, Pipeline: "clicks", Threshold: 0.01},
		{Name: "alert-reject-ratio-invoices", Rule: "reject-ratio", Kind: AlarmRejectRatio, Pipeline: "invoices", Threshold: 0.01},
		{Name: "alert-reject-ratio-orders", Rule: "reject-ratio", Kind: AlarmRejectRatio, Pipeline: "orders", Threshold: 0.01},
		{Name: "alert-clicks-rejects-clicks", Rule: "clicks-rejects", Kind: AlarmRejectRatio, Pipeline: "clicks", Threshold: 0.05, Window: time.Hour},
		{Name: "alert-invoices-failed-invoices", Rule: "invoices-failed", Kind: AlarmRunFailed, Pipeline: "invoices", Threshold: 1},
		{Name: "alert-api-errors", Rule: "api-errors", Kind: AlarmAPI5xxRatio, Threshold: 0.02, Window: 10 * time.Minute},
		// Both scheduled pipelines lack a stale rule: each gets a missed-schedule
		// alarm at twice its longest gap plus an hour.
		{Name: "missed-schedule-clicks", Rule: "default", Kind: AlarmMissed, Pipeline: "clicks", Threshold: 3 * 3600},
		{Name: "missed-schedule-invoices", Rule: "default", Kind: AlarmMissed, Pipeline: "invoices", Threshold: (2*72 + 1) * 3600},
	}
	if !slices.Equal(p.Alarms, want) {
		t.Errorf("alarms:\n got %+v\nwant %+v", p.Alarms, want)
	}
	if !strings.HasSuffix(p.PipelinesDir, "testdata/project/pipelines") {
		t.Errorf("pipelines dir = %s", p.PipelinesDir)
	}
}

func TestLoadPlanDemo(t *testing.T) {
	t.Parallel()
	p, err := LoadPlan("../examples/demo", testInsights)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Schedules) != 2 || len(p.Arrivals) != 1 || p.Arrivals[0].KeyPrefix != "incoming/orders/" {
		t.Errorf("demo: schedules %+v, arrivals %+v", p.Schedules, p.Arrivals)
	}
}

func TestLoadPlanErrors(t *testing.T) {
	t.Parallel()
	if _, err := LoadPlan("testdata/missing", testInsights); err == nil {
		t.Error("a missing project folder loaded")
	}
	if _, err := LoadPlan(testProject, "testdata"); err == nil || !strings.Contains(err.Error(), "no *.query files") {
		t.Errorf("an insights folder without queries: %v", err)
	}
}

func TestArrivalPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, want, err string
	}{
		{path: "incoming/orders/", want: "incoming/orders/"},
		{path: "incoming/orders", want: "incoming/orders/"},
		{path: "./incoming//orders/", want: "incoming/orders/"},
		{path: "/incoming/orders", want: "incoming/orders/"},
		{path: "s3://other/incoming/", err: "full URL"},
		{path: "./", err: "storage root"},
		{path: "_rejects/orders/", err: "overlaps _rejects/"},
		{path: "config/", err: "overlaps config/pipelines/"},
		{path: "config/pipelines/x", err: "overlaps config/pipelines/"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := arrivalPrefix(tc.path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("arrivalPrefix(%q) = %q, %v; want an error with %q", tc.path, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("arrivalPrefix(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
		})
	}
}

func TestMaxGap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr string
		want time.Duration
	}{
		{"rate(15 minutes)", 15 * time.Minute},
		{"rate(1 day)", 24 * time.Hour},
		{"cron(0 3 1 * ? *)", 31 * 24 * time.Hour},
		{"cron(0 2 ? * MON-FRI *)", 72 * time.Hour},
		{"cron(0 8,18 * * ? *)", 14 * time.Hour},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := maxGap(tc.expr)
			if err != nil || got != tc.want {
				t.Errorf("maxGap(%s) = %v, %v; want %v", tc.expr, got, err, tc.want)
			}
		})
	}
	if _, err := maxGap("cron(0 0 1 1 ? 2026)"); err == nil {
		t.Error("a schedule that fires once was accepted")
	}
}

func TestAlarmPeriod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a    PipelineAlarm
		want time.Duration
	}{
		{PipelineAlarm{Kind: AlarmStale}, time.Hour},
		{PipelineAlarm{Kind: AlarmMissed}, time.Hour},
		{PipelineAlarm{Kind: AlarmRunFailed}, 5 * time.Minute},
		{PipelineAlarm{Kind: AlarmRejectRatio, Window: 90 * time.Second}, 2 * time.Minute},
		{PipelineAlarm{Kind: AlarmAPI5xxRatio, Window: 48 * time.Hour}, 24 * time.Hour},
	} {
		if got := tc.a.Period(); got != tc.want {
			t.Errorf("%+v: period %v, want %v", tc.a, got, tc.want)
		}
	}
}

func TestLoadQueries(t *testing.T) {
	t.Parallel()
	qs, err := loadQueries(testInsights)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 5 {
		t.Fatalf("%d queries, want the 5 of ops/insights", len(qs))
	}
	for _, q := range qs {
		if !strings.HasPrefix(q.Name, "Sluice/") || strings.Contains(q.String, "# name:") || !strings.Contains(q.String, "|") {
			t.Errorf("query %q: %q", q.Name, q.String)
		}
	}
	if qs[0].Name != "Sluice/API latency by route" {
		t.Errorf("first query %q, want the name from its # name: line", qs[0].Name)
	}
}
