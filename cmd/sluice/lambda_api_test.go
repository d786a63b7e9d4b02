package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/cli"
	"github.com/sluice-data/sluice/internal/syncbuf"
)

// apiResponse is what both sides answered, reduced to what must agree.
type apiResponse struct {
	Status      int
	ContentType string
	Body        string
}

// normalise drops what legitimately differs between the two servers: request
// ids, and the local server's /metrics route in the OpenAPI document.
func normalise(t *testing.T, r apiResponse) apiResponse {
	t.Helper()
	if !strings.Contains(r.ContentType, "json") || r.Body == "" {
		return r
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		return r
	}
	delete(v, "instance")
	delete(v, "request_id")
	if paths, ok := v["paths"].(map[string]any); ok {
		delete(paths, "/metrics") // served by sluice serve only
	}
	b, _ := json.Marshal(v)
	r.Body = string(b)
	return r
}

// TestLambdaAPIMatchesServe runs the built bootstrap as the api function under
// the Runtime Interface Emulator and sends it, as API Gateway HTTP API
// (payload 2.0) events, the requests also sent to `sluice serve` over the same
// database: the answers must be the same.
func TestLambdaAPIMatchesServe(t *testing.T) {
	t.Parallel()
	s3, env, _ := lambdaEnv(t, "api")
	s3.Put(t, "lake", "data/incoming/orders/a.csv", []byte("order_id,amount\n1,10.50\n2,7\n3,12.25\n4,\n"))
	dir := t.TempDir()
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := cli.Main(ctx, []string{"run", "-p", dir, "orders"}, getenv, nil, &out, &errOut); code != 0 {
		t.Fatalf("sluice run: %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := cli.Main(ctx, []string{"keys", "create", "-p", dir, "--name", "reader", "--scope", "read"}, getenv, nil, &out, &errOut); code != 0 {
		t.Fatalf("sluice keys create: %d\n%s", code, errOut.String())
	}
	key := strings.TrimSpace(out.String())

	// sluice serve, as a subprocess.
	addr := freePort(t)
	serve := sluiceCmd(t, dir, "serve", "-p", dir, "--addr", addr, "--no-scheduler", "--no-watch")
	for k, v := range env {
		serve.Env = append(serve.Env, k+"="+v)
	}
	var serveOut syncbuf.Buffer
	serve.Stdout, serve.Stderr = &serveOut, &serveOut
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	waitHTTP(t, "http://"+addr+"/healthz", &serveOut)

	fn := startFunction(t, env)
	auth := map[string]string{"authorization": "Bearer " + key}
	requests := []struct {
		path    string
		headers map[string]string
	}{
		{"/healthz", nil},
		{"/v1/datasets", nil}, // no credentials: 401
		{"/v1/datasets", map[string]string{"authorization": "Bearer sk_nope"}},
		{"/v1/datasets", auth},
		{"/v1/datasets/orders", auth},
		{"/v1/datasets/orders/rows?amount=gt.8&order=order_id.desc", auth},
		{"/v1/datasets/orders/rows?amount=is.null", auth},
		{"/v1/datasets/orders/rows?limit=2&order=order_id", auth},
		{"/v1/datasets/orders/rows/3", auth},
		{"/v1/datasets/orders/rows/999", auth},
		{"/v1/datasets/orders/rows?nope=eq.1", auth},
		{"/v1/datasets/orders/rows?amount=gt.abc", auth},
		{"/v1/datasets/nope/rows", auth},
		{"/v1/datasets/orders/rows?order=order_id", map[string]string{"authorization": "Bearer " + key, "accept": "text/csv"}},
		{"/v1/pipelines/orders", auth}, // read scope cannot see pipelines? either way, both agree
		{"/openapi.json", nil},
	}
	for _, rq := range requests {
		local := httpGet(t, "http://"+addr+rq.path, rq.headers)
		remote := lambdaGet(t, fn, rq.path, rq.headers)
		if l, r := normalise(t, local), normalise(t, remote); l != r {
			t.Logf("first difference: %s", firstDiff(l.Body, r.Body))
			t.Errorf("GET %s:\nserve:  %d %s %.400s\nlambda: %d %s %.400s", rq.path, l.Status, l.ContentType, l.Body, r.Status, r.ContentType, r.Body)
		}
	}
	checkLambdaOutput(t, fn, map[string]bool{"Requests": true, "Latency": true, "ColdStart": true})
	for _, l := range fn.jsonLines(t) {
		if l["msg"] == "request" {
			for _, k := range []string{"request_id", "route", "status", "aws_request_id"} {
				if _, ok := l[k]; !ok {
					t.Errorf("request line without %s: %v", k, l)
				}
			}
		}
	}
	if strings.Contains(fn.Output(), key) || strings.Contains(serveOut.String(), key) {
		t.Error("the API key appears in the output")
	}
}

func waitHTTP(t *testing.T, u string, out *syncbuf.Buffer) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v\n%s", u, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpGet(t *testing.T, u string, headers map[string]string) apiResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// lambdaGet sends a GET as the API Gateway HTTP API event it would be.
func lambdaGet(t *testing.T, fn *function, target string, headers map[string]string) apiResponse {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"host": "abc123.execute-api.eu-west-1.amazonaws.com", "user-agent": "test", "x-forwarded-for": "203.0.113.9"}
	for k, v := range headers {
		h[k] = v
	}
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": u.Path, "rawQueryString": u.RawQuery, "headers": h,
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "domainPrefix": "abc123",
			"http":      map[string]any{"method": "GET", "path": u.Path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "test"},
			"requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": "$default", "time": "04/Dec/2026:10:00:00 +0000", "timeEpoch": 1796378400000,
		},
		"isBase64Encoded": false,
	}
	if q := u.Query(); len(q) > 0 {
		qs := map[string]string{}
		for k, v := range q {
			qs[k] = strings.Join(v, ",")
		}
		ev["queryStringParameters"] = qs
	}
	var resp struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
		ErrorMessage    string            `json:"errorMessage"`
	}
	raw := fn.invoke(t, ev)
	if err := json.Unmarshal(raw, &resp); err != nil || resp.ErrorMessage != "" || resp.StatusCode == 0 {
		t.Fatalf("GET %s: the function answered %s (%v)", target, raw, err)
	}
	body := resp.Body
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	ct := resp.Headers["Content-Type"]
	if ct == "" {
		ct = resp.Headers["content-type"]
	}
	return apiResponse{resp.StatusCode, ct, body}
}

func firstDiff(a, b string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			lo := max(0, i-150)
			return "serve …" + a[lo:min(len(a), i+150)] + "\nlambda …" + b[lo:min(len(b), i+150)]
		}
	}
	return "lengths differ"
}
