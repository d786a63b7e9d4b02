package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// TestLambdaEvents replays recorded API Gateway HTTP API (payload 2.0) events
// through the adapter and compares each answer with the local server's answer
// to the same request.
func TestLambdaEvents(t *testing.T) {
	b := openBackend(t, "sqlite")
	b.loadFixtures(t)
	_, key, err := b.db.Catalog().CreateKey(context.Background(), "k", []string{"admin"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	runner := &fakeRunner{}
	s := newServer(t, b, func(c *Config) {
		c.NoAuth = false
		c.Pipelines = testPipelines
		c.Runner = runner
		c.MaxResponseBytes = LambdaMaxResponse
	})
	local := newServer(t, b, func(c *Config) { c.NoAuth = false; c.Pipelines = testPipelines; c.Runner = runner })
	handle := LambdaHandler(s, "/data")
	cases := []struct {
		file   string
		local  string // the same request to the local server
		accept string
		status int
		body   string // expected substring
	}{
		{"rows.json", "/v1/datasets/items/rows?price=gt.1&price=lt.5&order=price.desc&select=id,price", "application/json", 200, `{"data":[{"id":6,"price":4.50},{"id":7,"price":4.50},{"id":4,"price":3.00},{"id":2,"price":2.00},{"id":1,"price":1.50},{"id":12,"price":1.10}],"next_cursor":null}`},
		{"row_custom_domain.json", "/v1/datasets/items/rows/5?select=id,name", "*/*", 200, `{"id":5,"name":"Cherry, red"}`},
		{"csv_stage.json", "/v1/datasets/items/rows?name=in.(%22Cherry,%20red%22,zucchini)&limit=5", "text/csv", 200, "id,name,price"},
		{"run_base64.json", "", "", 202, `"full_refresh":true`},
		{"jwt_authorizer.json", "", "", 200, `"name":"items"`},
	}
	for _, c := range cases {
		raw, err := os.ReadFile(filepath.Join("testdata", "apigw", c.file))
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), "Bearer KEY", "Bearer "+key)), &ev); err != nil {
			t.Fatal(err)
		}
		resp, err := handle(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		body := resp.Body
		if resp.StatusCode != c.status || !strings.Contains(body, c.body) {
			t.Errorf("%s: %d %s", c.file, resp.StatusCode, body)
			continue
		}
		if resp.Headers[http.CanonicalHeaderKey("X-Request-Id")] != ev.RequestContext.RequestID {
			t.Errorf("%s: request id %q, want API Gateway's %q", c.file, resp.Headers["X-Request-Id"], ev.RequestContext.RequestID)
		}
		if c.local != "" {
			w := do(local, "GET", c.local, "Authorization", "Bearer "+key, "Accept", c.accept)
			if w.Code != resp.StatusCode || w.Body.String() != body {
				t.Errorf("%s: Lambda and local differ:\nlambda %d %q\nlocal  %d %q", c.file, resp.StatusCode, body, w.Code, w.Body)
			}
			for _, h := range []string{"Content-Type", "ETag", "Cache-Control"} {
				if w.Header().Get(h) != resp.Headers[http.CanonicalHeaderKey(h)] {
					t.Errorf("%s: header %s: lambda %q, local %q", c.file, h, resp.Headers[h], w.Header().Get(h))
				}
			}
		}
	}
	if len(runner.started) != 1 {
		t.Errorf("runs started: %v", runner.started)
	}
	// The authorizer's claims count, the client's headers never do: without an
	// authorizer the same token is not accepted.
	raw, _ := os.ReadFile("testdata/apigw/jwt_authorizer.json")
	var ev events.APIGatewayV2HTTPRequest
	json.Unmarshal(raw, &ev)
	ev.RequestContext.Authorizer = nil
	ev.Headers["x-amzn-oidc-data"] = "forged"
	if resp, _ := handle(context.Background(), ev); resp.StatusCode != 401 {
		t.Errorf("without the authorizer: %d", resp.StatusCode)
	}
	_ = httptest.NewRecorder
}
