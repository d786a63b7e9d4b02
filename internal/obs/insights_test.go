package obs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInsightsQueries checks the saved Logs Insights queries of ops/insights,
// which the CDK app reads: a name line, a query, and only fields that the logs
// have.
func TestInsightsQueries(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../ops/insights/*.query")
	if err != nil || len(files) < 5 {
		t.Fatalf("queries: %v %v", files, err)
	}
	slug := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.query$`)
	names := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, rest, _ := strings.Cut(string(data), "\n")
		name, ok := strings.CutPrefix(first, "# name: Sluice/")
		if !ok || strings.TrimSpace(name) == "" {
			t.Errorf("%s: the first line must be # name: Sluice/<name>, found %q", f, first)
		}
		if names[name] {
			t.Errorf("%s: name %q is used twice", f, name)
		}
		names[name] = true
		if !slug.MatchString(filepath.Base(f)) {
			t.Errorf("%s: not a slug", f)
		}
		var query []string
		for _, line := range strings.Split(rest, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				query = append(query, line)
			}
		}
		if len(query) == 0 || !strings.Contains(strings.Join(query, " "), "filter") {
			t.Errorf("%s: no query with a filter", f)
		}
	}
}
