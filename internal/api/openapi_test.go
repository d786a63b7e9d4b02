package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestOpenAPI validates the document against the OpenAPI 3.1 schema, checks
// that every route is in it, and validates real responses against it.
func TestOpenAPI(t *testing.T) {
	b := openBackend(t, "sqlite")
	b.loadFixtures(t)
	s := newServer(t, b, func(c *Config) {
		c.Pipelines = testPipelines
		c.Runner = &fakeRunner{}
		c.Metrics = http.NotFoundHandler()
	})
	w := do(s, "GET", "/openapi.json")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi.json: %d %v", w.Code, w.Header())
	}
	doc, err := libopenapi.NewDocument(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("version %s", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("document: %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s", se.Reason)
			}
		}
	}
	var raw struct {
		Paths map[string]map[string]struct {
			Responses map[string]any `json:"responses"`
			Security  []any          `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, rt := range s.routes {
		op, ok := raw.Paths[rt.pattern][strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("route %s %s is not documented", rt.method, rt.pattern)
			continue
		}
		if !rt.public {
			for _, code := range []string{"401", "403", "429", "500"} {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s %s does not document %s", rt.method, rt.pattern, code)
				}
			}
			if len(op.Security) == 0 {
				t.Errorf("%s %s is documented as public", rt.method, rt.pattern)
			}
		}
	}
	documented := 0
	for _, ops := range raw.Paths {
		documented += len(ops)
	}
	if documented != len(s.routes) {
		t.Errorf("%d operations documented, %d routes", documented, len(s.routes))
	}
	// Real responses match the document.
	for _, target := range []string{
		"/v1/datasets", "/v1/datasets/items", "/v1/datasets/items/rows?limit=2", "/v1/datasets/items/rows?id=eq.x",
		"/v1/datasets/nope/rows", "/v1/pipelines", "/v1/pipelines/items", "/v1/runs?limit=3", "/healthz", "/readyz",
	} {
		req := httptest.NewRequest("GET", target, nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if ok, verrs := v.ValidateHttpResponse(req, rec.Result()); !ok {
			for _, e := range verrs {
				t.Errorf("%s (%d): %s: %s", target, rec.Code, e.Message, e.Reason)
			}
		}
	}
}

func TestDocsAndHeaders(t *testing.T) {
	b := openBackend(t, "sqlite")
	b.loadFixtures(t)
	s := newServer(t, b, func(c *Config) { c.CORSOrigins = []string{"https://app.example.com"} })
	w := do(s, "GET", "/docs")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "/docs/swagger-ui-bundle.js") || strings.Contains(w.Body.String(), "https://") {
		t.Errorf("/docs: %d %s", w.Code, w.Body)
	}
	if w := do(s, "GET", "/docs/swagger-ui-bundle.js"); w.Code != 200 || w.Body.Len() < 100000 || !strings.Contains(w.Body.String(), "SwaggerUIBundle") {
		t.Errorf("bundle: %d %d bytes", w.Code, w.Body.Len())
	}
	if w := do(s, "GET", "/docs/swagger-ui.css", "Accept-Encoding", "gzip"); w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip css: %d %v", w.Code, w.Header())
	}
	if w := do(s, "GET", "/docs/nope.js"); w.Code != 404 {
		t.Errorf("missing asset: %d", w.Code)
	}
	// Every response has a request id; a sane one is echoed.
	for _, p := range []string{"/healthz", "/nope", "/v1/datasets/nope", "/v1/datasets/items/rows?x=1"} {
		w := do(s, "GET", p, "X-Request-Id", "abc-123")
		if w.Header().Get("X-Request-Id") != "abc-123" {
			t.Errorf("%s: request id %q", p, w.Header().Get("X-Request-Id"))
		}
	}
	if w := do(s, "DELETE", "/v1/datasets"); w.Code != 405 || w.Header().Get("Allow") == "" || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("DELETE: %d %v", w.Code, w.Header())
	}
	if w := do(s, "GET", "/nope"); w.Code != 404 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown path: %d %v", w.Code, w.Header())
	}
	// ETag and 304; a load changes the ETag.
	w = do(s, "GET", "/v1/datasets/items/rows?limit=3")
	tag := w.Header().Get("ETag")
	if tag == "" || w.Header().Get("Last-Modified") == "" || !strings.Contains(w.Header().Get("Cache-Control"), "no-cache") {
		t.Fatalf("caching headers: %v", w.Header())
	}
	if w := do(s, "GET", "/v1/datasets/items/rows?limit=3", "If-None-Match", tag); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	if w := do(s, "GET", "/v1/datasets/items/rows?limit=4", "If-None-Match", tag); w.Code != 200 {
		t.Errorf("another query, same tag: %d", w.Code)
	}
	if w := do(s, "GET", "/v1/datasets/items/rows?limit=3", "If-None-Match", tag, "Accept", "text/csv"); w.Code != 200 {
		t.Errorf("another format, same tag: %d", w.Code)
	}
	b.load(t, "items.yaml", map[string]string{"items/2.csv": "id,name,price,qty,ratio,active,day,at,tags\n77,new,,,,,,,\n"})
	if w := do(s, "GET", "/v1/datasets/items/rows?limit=3", "If-None-Match", tag); w.Code != 200 || w.Header().Get("ETag") == tag {
		t.Errorf("after a load: %d, tag %s", w.Code, w.Header().Get("ETag"))
	}
	// CORS: off for unknown origins, on for configured ones, preflights answered.
	if w := do(s, "GET", "/healthz", "Origin", "https://evil.example.com"); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS for an unknown origin")
	}
	if w := do(s, "GET", "/healthz", "Origin", "https://app.example.com"); w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("CORS for the configured origin: %v", w.Header())
	}
	if w := do(s, "OPTIONS", "/v1/datasets", "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"); w.Code != 204 || w.Header().Get("Access-Control-Allow-Headers") == "" {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
}

// TestLargePageStreams: a page larger than the buffer streams, with Link as a
// trailer; with a response limit (Lambda) it is refused with a problem.
func TestLargePageStreams(t *testing.T) {
	b := openBackend(t, "sqlite")
	var sb strings.Builder
	sb.WriteString("kind,n\n")
	for i := range 5000 {
		sb.WriteString(strings.Repeat("x", 200) + ",")
		sb.WriteString(strings.Repeat("1", 1+i%5) + "\n")
	}
	b.load(t, "events.yaml", map[string]string{"events/big.csv": sb.String()})
	s := newServer(t, b, nil)
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, accept := range []string{"application/json", "text/csv", "application/x-ndjson"} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/datasets/events/rows?limit=1000", nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		buf := make([]byte, 32<<10)
		for {
			k, err := resp.Body.Read(buf)
			n += k
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.ContentLength != -1 || n < 64<<10 {
			t.Errorf("%s: not streamed (length %d, %d bytes)", accept, resp.ContentLength, n)
		}
		if !strings.Contains(resp.Trailer.Get("Link"), `rel="next"`) {
			t.Errorf("%s: no Link trailer: %v", accept, resp.Trailer)
		}
	}
	lim := newServer(t, b, func(c *Config) { c.MaxResponseBytes = 20000 })
	w := do(lim, "GET", "/v1/datasets/events/rows?limit=1000")
	if w.Code != 400 || !strings.Contains(w.Body.String(), "paginate") && !strings.Contains(w.Body.String(), "next_cursor") {
		t.Errorf("over the limit: %d %s", w.Code, w.Body)
	}
	if w := do(lim, "GET", "/v1/datasets/events/rows?limit=10"); w.Code != 200 {
		t.Errorf("under the limit: %d", w.Code)
	}
}
