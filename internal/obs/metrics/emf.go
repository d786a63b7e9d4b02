package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Limits of the CloudWatch Embedded Metric Format specification.
const (
	maxMetricsPerDirective = 100 // MetricDefinition objects in one directive
	maxDimensionsPerSet    = 30  // dimension keys in one dimension set
	maxValuesPerMetric     = 100 // values in one metric's array
)

// EMF units used by Sluice's metrics.
const (
	UnitCount        = "Count"
	UnitBytes        = "Bytes"
	UnitMilliseconds = "Milliseconds"
	UnitSeconds      = "Seconds"
	UnitNone         = "None"
)

// series is the observations of one metric to publish with one dimension set.
type series struct {
	Name   string
	Unit   string
	Dims   []string // the dimension set: names of entries of the group's Values; empty for none
	Values []float64
}

// group is series that share dimension values: one or more EMF documents.
type group struct {
	Values map[string]string // dimension name → value, written at the top level
	Series []series
}

// emfDirective is a MetricDirective object.
type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

// emfMetric is a MetricDefinition object.
type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit,omitempty"`
}

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// encodeEMF writes g as EMF documents, one JSON object a line. A series with more
// than 100 values is spread over several documents (document k carries values
// 100k to 100k+99 of every series), and a document holds at most 100 metrics, so
// a group with more starts another document. Series with the same dimension set
// share a directive.
func encodeEMF(w io.Writer, namespace string, ts time.Time, g group) error {
	if namespace == "" || len(namespace) > 255 {
		return fmt.Errorf("EMF namespace %q: it must have 1 to 255 characters", namespace)
	}
	for _, s := range g.Series {
		if len(s.Dims) > maxDimensionsPerSet {
			return fmt.Errorf("EMF metric %s: %d dimensions, at most %d", s.Name, len(s.Dims), maxDimensionsPerSet)
		}
		for _, d := range s.Dims {
			if _, ok := g.Values[d]; !ok {
				return fmt.Errorf("EMF metric %s: dimension %s has no value", s.Name, d)
			}
		}
		if _, clash := g.Values[s.Name]; clash || s.Name == "_aws" {
			return fmt.Errorf("EMF metric %s: the name is taken by a dimension", s.Name)
		}
	}
	chunks := 0
	for _, s := range g.Series {
		chunks = max(chunks, (len(finite(s.Values))+maxValuesPerMetric-1)/maxValuesPerMetric)
	}
	for k := range chunks {
		var doc []series // this chunk's series, at most 100 per document
		for _, s := range g.Series {
			vs := finite(s.Values)
			lo := k * maxValuesPerMetric
			if lo >= len(vs) {
				continue
			}
			s.Values = vs[lo:min(lo+maxValuesPerMetric, len(vs))]
			doc = append(doc, s)
			if len(doc) == maxMetricsPerDirective {
				if err := writeDoc(w, namespace, ts, g.Values, doc); err != nil {
					return err
				}
				doc = nil
			}
		}
		if len(doc) > 0 {
			if err := writeDoc(w, namespace, ts, g.Values, doc); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeDoc writes one EMF document: the dimension values and every metric's
// value at the top level, and the _aws metadata naming them.
func writeDoc(w io.Writer, namespace string, ts time.Time, dims map[string]string, ss []series) error {
	root := make(map[string]any, len(dims)+len(ss)+1)
	var dirs []emfDirective
	for _, s := range ss {
		used := slices.Clone(s.Dims)
		if used == nil {
			used = []string{}
		}
		for _, d := range used {
			root[d] = dims[d]
		}
		if len(s.Values) == 1 {
			root[s.Name] = s.Values[0]
		} else {
			root[s.Name] = s.Values
		}
		i := slices.IndexFunc(dirs, func(d emfDirective) bool { return slices.Equal(d.Dimensions[0], used) })
		if i < 0 {
			dirs = append(dirs, emfDirective{Namespace: namespace, Dimensions: [][]string{used}})
			i = len(dirs) - 1
		}
		dirs[i].Metrics = append(dirs[i].Metrics, emfMetric{Name: s.Name, Unit: s.Unit})
	}
	root["_aws"] = emfMetadata{Timestamp: ts.UnixMilli(), CloudWatchMetrics: dirs}
	b, err := json.Marshal(root)
	if err != nil {
		return fmt.Errorf("encoding an EMF document: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// finite drops NaN and infinities, which JSON cannot carry.
func finite(vs []float64) []float64 {
	if !slices.ContainsFunc(vs, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }) {
		return vs
	}
	out := make([]float64, 0, len(vs))
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// dimKey orders groups for a stable output.
func dimKey(values map[string]string) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + values[k] + "\x00")
	}
	return b.String()
}
