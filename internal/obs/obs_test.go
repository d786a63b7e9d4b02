package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"testing/slogtest"
)

func TestNewLoggerFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    LogOptions
		json bool
	}{
		{"zero value", LogOptions{}, true},
		{"auto on a terminal", LogOptions{Terminal: true}, false},
		{"auto in Lambda on a terminal", LogOptions{Terminal: true, Lambda: true}, true},
		{"json on a terminal", LogOptions{Format: "JSON", Terminal: true}, true},
		{"text", LogOptions{Format: "text"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			log, err := NewLogger(&buf, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			log.Info("hello", "n", 1)
			var m map[string]any
			isJSON := json.Unmarshal(buf.Bytes(), &m) == nil
			if isJSON != tt.json {
				t.Fatalf("JSON = %v, want %v: %s", isJSON, tt.json, buf.String())
			}
			if isJSON && (m["msg"] != "hello" || m["level"] != "INFO" || m["time"] == nil) {
				t.Errorf("keys: %v", m)
			}
		})
	}
	if _, err := NewLogger(&bytes.Buffer{}, LogOptions{Level: "loud"}); err == nil {
		t.Error("bad level accepted")
	}
	if _, err := NewLogger(&bytes.Buffer{}, LogOptions{Format: "xml"}); err == nil {
		t.Error("bad format accepted")
	}
}

func TestLogOptionsFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		flag LogOptions
		env  map[string]string
		want LogOptions
	}{
		{"nothing", LogOptions{}, nil, LogOptions{}},
		{"env", LogOptions{}, map[string]string{"SLUICE_LOG_LEVEL": "debug", "SLUICE_LOG_FORMAT": "text"}, LogOptions{Level: "debug", Format: "text"}},
		{"flag wins over env", LogOptions{Level: "warn", Format: "json"}, map[string]string{"SLUICE_LOG_LEVEL": "debug", "SLUICE_LOG_FORMAT": "text"}, LogOptions{Level: "warn", Format: "json"}},
		{"auto flag leaves env", LogOptions{Format: "auto"}, map[string]string{"SLUICE_LOG_FORMAT": "text"}, LogOptions{Format: "text"}},
		{"lambda wins", LogOptions{Level: "warn"}, map[string]string{
			"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_LOG_LEVEL": "TRACE", "AWS_LAMBDA_LOG_FORMAT": "Text", "SLUICE_LOG_FORMAT": "json",
		}, LogOptions{Level: "debug", Format: "text", Lambda: true}},
		{"lambda without log config", LogOptions{}, map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "SLUICE_LOG_LEVEL": "error"}, LogOptions{Level: "error", Lambda: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := LogOptionsFromEnv(tt.flag, func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"no secret here: 3 rows", "no secret here: 3 rows"},
		{`failed to connect to postgres://u:hunter2@127.0.0.1:1/x: refused`, `failed to connect to postgres://u:xxxxx@127.0.0.1:1/x: refused`},
		{`dial "mysql://root:p@ss:w0rd@db:3306/app?tls=true"`, `dial "mysql://root:xxxxx@db:3306/app?tls=true"`},
		{`postgresql://user:secret@h`, `postgresql://user:xxxxx@h`},
		{`s3://bucket/key@v1 and https://example.com/a@b`, `s3://bucket/key@v1 and https://example.com/a@b`},
		{`postgres://u@h/db`, `postgres://u@h/db`},
		{`dsn root:hunter2@tcp(127.0.0.1:3306)/x`, `dsn root:xxxxx@tcp(127.0.0.1:3306)/x`},
		{`host=db user=u password=hunter2 dbname=x`, `host=db user=u password=xxxxx dbname=x`},
		{`?sslmode=require&password=hunter2&x=1`, `?sslmode=require&password=xxxxx&x=1`},
		{`Authorization: Bearer abc.def.ghi`, `Authorization: [REDACTED]`},
		{`authorization="Basic dTpwYXNz"`, `authorization="[REDACTED]"`},
		{`token is bearer eyJhbGciOi.x.y ok`, `token is bearer [REDACTED] ok`},
		{`key sk_4fGh7Kq2ZxY9 was revoked`, `key sk_[REDACTED] was revoked`},
		{`aws key AKIAIOSFODNN7EXAMPLE`, `aws key AKIA[REDACTED]`},
		{`mail a@b.c; a=b`, `mail a@b.c; a=b`},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

func TestRedactHandlerNoSecretInAnyOutput(t *testing.T) {
	t.Parallel()
	const key = "sk_9aZbYcXdWe8f7G6h"
	secrets := []string{"hunter2", key[3:], "abc.def.ghi"}
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			log, err := NewLogger(&buf, LogOptions{Format: format, Level: "debug"})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse("postgres://u:hunter2@127.0.0.1:1/x")
			dbErr := fmt.Errorf("opening postgres://u:hunter2@127.0.0.1:1/x: %w", errors.New("connection refused"))
			ctx := WithAttrs(context.Background(), slog.String("database", "postgres://u:hunter2@h/x"))
			log.With("api_key", key, "dsn", "u:hunter2@tcp(h)/x").InfoContext(ctx, "connecting to postgres://u:hunter2@127.0.0.1:1/x",
				"error", dbErr, "url", u, "header", "Authorization: Bearer abc.def.ghi", "password", "hunter2",
				"Authorization", "Bearer abc.def.ghi", "note", "key "+key, "obj", struct{ DSN string }{"postgres://u:hunter2@h"},
				slog.Group("g", "secret_token", "hunter2", "s", stringer{"x:hunter2@tcp(h)/"}), "raw", []byte("password=hunter2"))
			log.Error("failed", "error", dbErr)
			out := buf.String()
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%q leaked:\n%s", s, out)
				}
			}
			if !strings.Contains(out, "127.0.0.1:1/x") || !strings.Contains(out, "connection refused") {
				t.Errorf("redaction removed more than the secret:\n%s", out)
			}
			if format == "json" {
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil {
						t.Errorf("not JSON: %s", line)
					}
				}
			}
		})
	}
}

func TestContextAttrs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := NewLogger(&buf, LogOptions{Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithAttrs(context.Background(), slog.String(KeyRequestID, "r1"), slog.String(KeyPipeline, "from-ctx"))
	ctx = WithAttrs(ctx, slog.String(KeyRequestID, "r2"), slog.Bool(KeyColdStart, true))
	log.With(KeyPipeline, "orders").InfoContext(ctx, "one", "n", 1)
	log.InfoContext(ctx, "two", KeyColdStart, false)
	log.Info("three")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines: %q", lines)
	}
	want := []string{
		`"pipeline":"orders","request_id":"r2","cold_start":true,"n":1`,
		`"pipeline":"from-ctx","request_id":"r2","cold_start":false`,
		`"msg":"three"}`,
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %s\nwant it to contain %s", i+1, lines[i], w)
		}
		if strings.Count(lines[i], `"pipeline"`) > 1 || strings.Count(lines[i], `"cold_start"`) > 1 {
			t.Errorf("line %d repeats a key: %s", i+1, lines[i])
		}
	}
}

// TestHandlerConformance runs slog's own handler test suite over the chain that
// NewLogger builds.
func TestHandlerConformance(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := NewLogger(&buf, LogOptions{Format: "json", Level: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	results := func() []map[string]any {
		var ms []map[string]any
		for _, line := range bytes.Split(buf.Bytes(), []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		return ms
	}
	if err := slogtest.TestHandler(log.Handler(), results); err != nil {
		t.Error(err)
	}
}

func TestWith(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	base, err := NewLogger(&buf, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithAttrs(context.Background(), slog.String(KeyAWSRequestID, "a1"), slog.String(KeyPipeline, "old"))
	log := With(ctx, base, slog.String(KeyRunID, "r1"), slog.String(KeyPipeline, "orders"))
	log.Info("no context")
	log.InfoContext(ctx, "with context")
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		for _, want := range []string{`"aws_request_id":"a1"`, `"run_id":"r1"`, `"pipeline":"orders"`} {
			if !strings.Contains(line, want) || strings.Count(line, `"pipeline"`) != 1 || strings.Count(line, `"aws_request_id"`) != 1 {
				t.Errorf("%s: want %s once", line, want)
			}
		}
	}
}
