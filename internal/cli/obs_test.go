package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
)

func TestDatabasePasswordNeverShown(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"sluice.yaml":           "version: 1\n",
		"pipelines/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n",
	})
	env := map[string]string{"SLUICE_DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2"}
	for _, args := range [][]string{
		{"run", "-p", dir, "orders", "--log-format", "json"},
		{"run", "-p", dir, "orders", "--json"},
		{"runs", "-p", dir},
		{"plan", "-p", dir, "orders"},
	} {
		out, errOut, code := sluice(t, env, args...)
		if code == 0 {
			t.Errorf("%v: connected to nothing", args)
		}
		if strings.Contains(out+errOut, "hunter2") {
			t.Errorf("%v shows the password:\n%s\n%s", args, out, errOut)
		}
	}
}

func TestRunLogFormat(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"sluice.yaml":           "version: 1\n",
		"pipelines/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n2,oops\n",
	})
	_, errOut, code := sluice(t, map[string]string{"SLUICE_LOG_FORMAT": "json"}, "run", "-p", dir, "orders")
	if code != 0 {
		t.Fatalf("run: %d\n%s", code, errOut)
	}
	msgs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if m["run_id"] == nil || m["pipeline"] != "orders" {
			t.Errorf("line without run_id and pipeline: %s", line)
		}
		msgs[m["msg"].(string)] = true
	}
	if !msgs["run finished"] || !msgs["rows rejected"] {
		t.Errorf("messages: %v", msgs)
	}
	_, errOut, code = sluice(t, nil, "run", "-p", dir, "orders", "--log-format", "text", "--full-refresh")
	if code != 0 || !strings.Contains(errOut, `msg="run finished"`) {
		t.Errorf("text: %d\n%s", code, errOut)
	}
	_, errOut, code = sluice(t, nil, "run", "-p", dir, "orders", "--log-format", "yaml")
	if code != 2 || !strings.Contains(errOut, `log format "yaml"`) {
		t.Errorf("bad format: %d\n%s", code, errOut)
	}
}

func TestTrend(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id, status string, loaded int64) catalog.Run {
		at = at.Add(-time.Hour)
		return catalog.Run{ID: id, Pipeline: "p", Status: status, Files: 1, RowsLoaded: loaded, StartedAt: at, FinishedAt: at}
	}
	// Newest first, as Runs returns them.
	h := []catalog.Run{
		mk("6", catalog.StatusSucceeded, 70),
		mk("5", catalog.StatusFailed, 0),
		mk("4", catalog.StatusSucceeded, 100),
		mk("3", catalog.StatusSucceeded, 100),
		mk("2", catalog.StatusSucceeded, 50),
		mk("1", catalog.StatusSucceeded, 0),
	}
	want := map[string]string{
		"6": "▁▄██✗▅ ↓30%",
		"5": "▁▄██✗",
		"4": "▁▄██ =",
		"3": "▁▄█ ↑100%",
		"2": "▁█ ↑",
		"1": "▁",
	}
	for _, r := range h {
		if got := trend(r, h); got != want[r.ID] {
			t.Errorf("run %s: %q, want %q", r.ID, got, want[r.ID])
		}
	}
	if got := trend(catalog.Run{ID: "x"}, h); got != "-" {
		t.Errorf("unknown run: %q", got)
	}
}

func TestValidateAlerts(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"sluice.yaml": "version: 1\nalerts:\n  rules:\n    - {name: stale, when: stale, pipeline: ordres, after: 1d}\n" +
			"    - {name: bad, when: reject_ratio, above: 2}\n",
		"pipelines/orders.yaml": ordersSpec,
	})
	out, _, code := sluice(t, nil, "validate", "-p", dir)
	if code != 1 || !strings.Contains(out, `sluice.yaml:5:46: alerts.rules[1].above must be a ratio from 0 to 1`) {
		t.Errorf("validate: %d\n%s", code, out)
	}
	dir = writeProject(t, map[string]string{
		"sluice.yaml":           "version: 1\nalerts:\n  rules:\n    - {name: stale, when: stale, pipeline: ordres, after: 1d}\n",
		"pipelines/orders.yaml": ordersSpec,
	})
	out, _, code = sluice(t, nil, "validate", "-p", dir)
	if code != 1 || !strings.Contains(out, `sluice.yaml:4:44: alert rule stale watches pipeline "ordres", which does not exist (did you mean "orders"?)`) {
		t.Errorf("validate: %d\n%s", code, out)
	}
}
