package main

import (
	"strings"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := ConfigFromMap(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.StackName != "Sluice" || c.Engine != "postgres" || c.MultiAz || c.NatGateways != 0 || c.Pipeline.Enabled ||
		c.EtlConcurrency != 5 || c.ApiConcurrency != 20 || c.DBPort() != 5432 || c.Env() != nil || len(c.Given) != 0 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestConfigValues(t *testing.T) {
	t.Parallel()
	c, err := ConfigFromMap(map[string]any{
		"engine": "MySQL", "multiAz": "true", "etlConcurrency": 0, "account": "123456789012", "region": "eu-west-1",
		"jwtIssuer": "https://issuer.example.com/", "jwtAudience": "sluice",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine != "mysql" || c.DBPort() != 3306 || !c.MultiAz || c.EtlConcurrency != 0 || *c.Env().Region != "eu-west-1" {
		t.Errorf("values: %+v", c)
	}
	if c.Given["jwtIssuer"] != "https://issuer.example.com/" || c.Given["multiAz"] != "true" || len(c.Given) != 7 {
		t.Errorf("given: %v", c.Given)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	_, err := ConfigFromMap(map[string]any{
		"engine": "oracle", "multiAz": "maybe", "maxAzs": "1", "jwtIssuer": "http://x", "dbStorageGiB": 50, "dbMaxStorageGiB": 30,
	})
	if err == nil {
		t.Fatal("bad context accepted")
	}
	for _, want := range []string{"engine", "multiAz", "maxAzs", "jwtIssuer and jwtAudience", "https://", "dbMaxStorageGiB"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no error about %s in:\n%v", want, err)
		}
	}
}

func TestDBIdentifier(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Sluice":                "sluice-db",
		"Prod-Sluice":           "prod-sluice-db",
		"9lives":                "sluice-9lives-db",
		"My_Stack--Name":        "my-stack-name-db",
		strings.Repeat("a", 80): strings.Repeat("a", 60) + "-db",
	} {
		if got := dbIdentifier(in); got != want {
			t.Errorf("dbIdentifier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSynthContext(t *testing.T) {
	t.Parallel()
	c, err := ConfigFromMap(map[string]any{"alarmEmail": "o'brien@example.com", "asset": "/tmp/x", "repo": "acme/sluice"})
	if err != nil {
		t.Fatal(err)
	}
	got := synthContext(c)
	want := `-c 'alarmEmail=o'\''brien@example.com' -c 'pipeline=true' -c 'repo=acme/sluice'`
	if got != want {
		t.Errorf("synthContext = %s\nwant %s", got, want)
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	for days, want := range map[int]string{1: "ONE_DAY", 30: "ONE_MONTH", 31: "TWO_MONTHS", 3000: "TEN_YEARS"} {
		if got := string(retention(days)); got != want {
			t.Errorf("retention(%d) = %s, want %s", days, got, want)
		}
	}
}
