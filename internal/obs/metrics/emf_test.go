package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var emfUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
	"Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// emfDoc is one parsed, checked EMF document.
type emfDoc struct {
	root       map[string]any
	namespace  string
	dims       map[string]string    // every dimension key → its value
	metrics    map[string][]float64 // metric name → values
	units      map[string]string
	dimsOf     map[string][]string // metric name → its dimension set
	timestamp  int64
	directives int
}

// parseEMF checks every line of out against the rules of the EMF
// specification and returns the documents.
func parseEMF(t *testing.T, out string) []emfDoc {
	t.Helper()
	var docs []emfDoc
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		docs = append(docs, checkEMF(t, line))
	}
	return docs
}

func checkEMF(t *testing.T, line string) emfDoc {
	t.Helper()
	d := emfDoc{dims: map[string]string{}, metrics: map[string][]float64{}, units: map[string]string{}, dimsOf: map[string][]string{}}
	if err := json.Unmarshal([]byte(line), &d.root); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, line)
	}
	aws, ok := d.root["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %s", line)
	}
	for k := range aws {
		if k != "Timestamp" && k != "CloudWatchMetrics" && k != "LogGroupName" {
			t.Errorf("_aws has an unknown member %q", k)
		}
	}
	ts, ok := aws["Timestamp"].(float64)
	if !ok || ts != float64(int64(ts)) || ts < 1e12 {
		t.Errorf("_aws.Timestamp %v is not epoch milliseconds", aws["Timestamp"])
	}
	d.timestamp = int64(ts)
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		t.Fatalf("_aws.CloudWatchMetrics is not a non-empty array: %s", line)
	}
	d.directives = len(dirs)
	for _, di := range dirs {
		dir := di.(map[string]any)
		ns, _ := dir["Namespace"].(string)
		if ns == "" || len(ns) > 255 {
			t.Errorf("directive namespace %q", ns)
		}
		d.namespace = ns
		sets, ok := dir["Dimensions"].([]any)
		if !ok || len(sets) == 0 {
			t.Errorf("directive without Dimensions: %s", line)
		}
		var dimSet []string
		for _, si := range sets {
			set := si.([]any)
			if len(set) > maxDimensionsPerSet {
				t.Errorf("dimension set of %d keys", len(set))
			}
			for _, ki := range set {
				k := ki.(string)
				v, ok := d.root[k].(string)
				if !ok {
					t.Errorf("dimension %s has no string value at the top level: %s", k, line)
				}
				d.dims[k] = v
				dimSet = append(dimSet, k)
			}
		}
		ms, ok := dir["Metrics"].([]any)
		if !ok || len(ms) == 0 || len(ms) > maxMetricsPerDirective {
			t.Errorf("directive with %d metrics", len(ms))
		}
		for _, mi := range ms {
			m := mi.(map[string]any)
			name, _ := m["Name"].(string)
			unit, _ := m["Unit"].(string)
			if name == "" || len(name) > 255 {
				t.Errorf("metric name %q", name)
			}
			if unit != "" && !slices.Contains(emfUnits, unit) {
				t.Errorf("metric %s: unit %q is not a CloudWatch unit", name, unit)
			}
			switch v := d.root[name].(type) {
			case float64:
				d.metrics[name] = []float64{v}
			case []any:
				if len(v) == 0 || len(v) > maxValuesPerMetric {
					t.Errorf("metric %s has %d values", name, len(v))
				}
				for _, x := range v {
					f, ok := x.(float64)
					if !ok {
						t.Errorf("metric %s: value %v is not a number", name, x)
					}
					d.metrics[name] = append(d.metrics[name], f)
				}
			default:
				t.Errorf("metric %s has no numeric value at the top level: %s", name, line)
			}
			d.units[name] = unit
			d.dimsOf[name] = dimSet
		}
	}
	return d
}

func TestEncodeEMFSplitsMetrics(t *testing.T) {
	t.Parallel()
	g := group{Values: map[string]string{"Pipeline": "p"}}
	for i := range 250 {
		g.Series = append(g.Series, series{fmt.Sprintf("M%03d", i), UnitCount, []string{"Pipeline"}, []float64{float64(i)}})
	}
	var buf bytes.Buffer
	if err := encodeEMF(&buf, "NS", time.UnixMilli(1_700_000_000_000), g); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.String())
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3", len(docs))
	}
	seen := map[string]float64{}
	for i, d := range docs {
		if want := []int{100, 100, 50}[i]; len(d.metrics) != want {
			t.Errorf("document %d has %d metrics, want %d", i, len(d.metrics), want)
		}
		if d.dims["Pipeline"] != "p" || d.timestamp != 1_700_000_000_000 || d.namespace != "NS" {
			t.Errorf("document %d: %v %d %s", i, d.dims, d.timestamp, d.namespace)
		}
		for n, v := range d.metrics {
			if _, dup := seen[n]; dup {
				t.Errorf("metric %s written twice", n)
			}
			seen[n] = v[0]
		}
	}
	if len(seen) != 250 || seen["M249"] != 249 {
		t.Errorf("metrics lost: %d", len(seen))
	}
}

func TestEncodeEMFSplitsValues(t *testing.T) {
	t.Parallel()
	vals := make([]float64, 230)
	for i := range vals {
		vals[i] = float64(i)
	}
	g := group{Values: map[string]string{"Route": "GET /x"}, Series: []series{
		{"Latency", UnitMilliseconds, []string{"Route"}, vals},
		{"Requests", UnitCount, []string{"Route"}, []float64{230}},
	}}
	var buf bytes.Buffer
	if err := encodeEMF(&buf, "NS", time.Now(), g); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.String())
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3", len(docs))
	}
	var all []float64
	requests := 0.0
	for _, d := range docs {
		all = append(all, d.metrics["Latency"]...)
		for _, v := range d.metrics["Requests"] {
			requests += v
		}
	}
	if !slices.Equal(all, vals) || requests != 230 {
		t.Errorf("values lost: %d latencies, %v requests", len(all), requests)
	}
}

func TestEncodeEMFErrors(t *testing.T) {
	t.Parallel()
	many := map[string]string{}
	var names []string
	for i := range 31 {
		n := fmt.Sprintf("D%d", i)
		many[n] = "v"
		names = append(names, n)
	}
	tests := []struct {
		name string
		ns   string
		g    group
	}{
		{"31 dimensions", "NS", group{Values: many, Series: []series{{"M", UnitCount, names, []float64{1}}}}},
		{"dimension without value", "NS", group{Series: []series{{"M", UnitCount, []string{"Pipeline"}, []float64{1}}}}},
		{"metric named like a dimension", "NS", group{Values: map[string]string{"M": "x"}, Series: []series{{"M", UnitCount, nil, []float64{1}}}}},
		{"no namespace", "", group{Series: []series{{"M", UnitCount, nil, []float64{1}}}}},
	}
	for _, tt := range tests {
		if err := encodeEMF(&bytes.Buffer{}, tt.ns, time.Now(), tt.g); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
