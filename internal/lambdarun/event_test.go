package lambdarun

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/spec"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pipeline(t *testing.T, yaml string) *spec.Pipeline {
	t.Helper()
	p, err := spec.LoadPipeline("p.yaml", []byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testPipelines(t *testing.T) []*spec.Pipeline {
	return []*spec.Pipeline{
		pipeline(t, "version: 1\nname: orders\nsource: {path: incoming/orders/, pattern: '*.csv'}\ntarget: {table: orders}\n"),
		pipeline(t, "version: 1\nname: events\nsource: {path: incoming/events/, pattern: '**/*.jsonl'}\ntarget: {table: events}\n"),
		pipeline(t, "version: 1\nname: customers\nschedule: rate(1 day)\nsource: {path: incoming/customers/}\ntarget: {table: customers}\n"),
		pipeline(t, "version: 1\nname: customers_eu\nschedule: rate(1 day)\nsource: {path: incoming/customers_eu/}\ntarget: {table: customers_eu}\n"),
	}
}

func TestDecodeFixtures(t *testing.T) {
	t.Parallel()
	deps := &Deps{Pipelines: testPipelines(t), StorageURL: "s3://lake/data"}
	h := &ETL{}
	for _, tc := range []struct {
		file, kind string
		want       []string // pipelines started
		trigger    string
	}{
		{"invoke.json", KindInvoke, []string{"orders"}, "invoke"},
		{"scheduled.json", KindSchedule, []string{"customers"}, "schedule"},
		{"s3_put.json", KindS3, []string{"orders"}, "s3"},
		{"eventbridge_s3.json", KindS3, []string{"events"}, "s3"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ev, err := Decode(fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != tc.kind {
				t.Fatalf("kind %s, want %s", ev.Kind, tc.kind)
			}
			jobs, err := h.jobs(deps, ev)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, j := range jobs {
				got = append(got, j.p.Name)
				if j.opts.Trigger != tc.trigger {
					t.Errorf("trigger %q, want %q", j.opts.Trigger, tc.trigger)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pipelines %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecodeS3KeyIsUnescaped(t *testing.T) {
	t.Parallel()
	ev, err := Decode(fixture(t, "s3_put.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Objects[0].URL(); got != "s3://lake/data/incoming/orders/orders 2026-12-04.csv" {
		t.Errorf("URL %q", got)
	}
}

func TestDecodeSQSBatch(t *testing.T) {
	t.Parallel()
	ev, err := Decode(fixture(t, "sqs_s3.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != KindSQS || len(ev.Messages) != 3 {
		t.Fatalf("%+v", ev)
	}
	if m := ev.Messages[0]; m.Err != nil || m.Event.Kind != KindS3 || len(m.Event.Objects) != 1 {
		t.Errorf("first message: %+v", m)
	}
	if m := ev.Messages[1]; m.Err != nil || len(m.Event.Objects) != 0 {
		t.Errorf("test event: %+v", m)
	}
	if m := ev.Messages[2]; m.Err == nil {
		t.Errorf("a body that is not JSON decoded: %+v", m)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ payload, want string }{
		{`[1]`, "not a JSON object"},
		{`{"hello": 1}`, "unrecognised event"},
		{`{"pipeline": ""}`, `"pipeline" is empty`},
		{`{"pipeline": "orders", "full_refersh": true}`, "unknown field"},
	} {
		_, err := Decode([]byte(tc.payload))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.payload, err, tc.want)
		}
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	ps := testPipelines(t)
	for _, tc := range []struct {
		url  string
		want string
	}{
		{"s3://lake/data/incoming/orders/a.csv", "orders"},
		{"s3://lake/data/incoming/orders/sub/a.csv", ""}, // * does not cross folders
		{"s3://lake/data/incoming/orders/a.json", ""},
		{"s3://lake/data/incoming/events/2026/01/x.jsonl", "events"},
		{"s3://lake/data/incoming/customers/c.csv", "customers"},
		{"s3://lake/data/incoming/customers_eu/c.csv", "customers_eu"},
		{"s3://other/data/incoming/orders/a.csv", ""},
		{"s3://lake/data/incoming/ordersx/a.csv", ""},
	} {
		var got []string
		for _, p := range ps {
			if Matches(p, "s3://lake/data/", tc.url) {
				got = append(got, p.Name)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s matches %v, want %q", tc.url, got, tc.want)
		}
	}
}

func TestPipelineOfRule(t *testing.T) {
	t.Parallel()
	ps := testPipelines(t)
	for rule, want := range map[string]string{
		"customers":                        "customers",
		"sluice-customers-schedule":        "customers",
		"Sluice-customers-eu-schedule-X1Y": "customers_eu",
		"sluice-nothing":                   "",
	} {
		got := ""
		if p := pipelineOfRule(rule, ps); p != nil {
			got = p.Name
		}
		if got != want {
			t.Errorf("rule %s: %q, want %q", rule, got, want)
		}
	}
}
