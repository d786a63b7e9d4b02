package lambdaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sluice-data/sluice/internal/obs/metrics"
)

// TestInvoker drives the real SDK against a local Lambda endpoint: an Event
// invoke of the etl function with the run's id.
func TestInvoker(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	client := lambda.New(lambda.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	inv := &Invoker{Client: client, Function: "sluice-etl"}
	if err := inv.Start(context.Background(), "orders", "0192-run", true); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	if r.URL.Path != "/2015-03-31/functions/sluice-etl/invocations" || r.Header.Get("X-Amz-Invocation-Type") != "Event" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		t.Errorf("request %s %v", r.URL.Path, r.Header)
	}
	var req RunRequest
	if err := json.Unmarshal([]byte(bodies[0]), &req); err != nil || req != (RunRequest{Pipeline: "orders", RunID: "0192-run", FullRefresh: true, Trigger: "api"}) {
		t.Errorf("payload %s", bodies[0])
	}
	if err := (&Invoker{Client: client}).Start(context.Background(), "orders", "x", false); err == nil {
		t.Error("no function: no error")
	}
}

// TestHandlerFlushesEMF: each invocation writes its metrics once, as EMF.
func TestHandlerFlushesEMF(t *testing.T) {
	m := metrics.New(metrics.Options{NoProcessMetrics: true})
	var out bytes.Buffer
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	obsSrv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Request("GET /healthz", 204, 0)
		srv(w, r)
	})
	h := Handler(obsSrv, m, "", &out, slog.New(slog.DiscardHandler))
	for range 2 {
		resp, err := h(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: "/healthz", RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("%v %d", err, resp.StatusCode)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	cold := 0
	for _, l := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["_aws"] == nil {
			t.Fatalf("not EMF: %s", l)
		}
		if _, ok := doc["ColdStart"]; ok {
			cold++
		}
	}
	if cold != 1 {
		t.Errorf("cold starts in %d documents:\n%s", cold, out.String())
	}
}
