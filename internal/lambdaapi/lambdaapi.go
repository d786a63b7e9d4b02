// Package lambdaapi runs the REST API as the `api` Lambda function: API
// Gateway HTTP API events through the same handler as `sluice serve`, runs
// started by invoking the `etl` function asynchronously, and the metrics of
// each invocation flushed as CloudWatch Embedded Metric Format.
package lambdaapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sluice-data/sluice/internal/api"
	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/obs/metrics"
)

// RunRequest is what the api function sends the etl function to start a run:
// the etl handler's direct invoke, with the run id the API already answered.
type RunRequest struct {
	Pipeline    string `json:"pipeline"`
	RunID       string `json:"run_id"`
	FullRefresh bool   `json:"full_refresh"`
	Trigger     string `json:"trigger"`
}

// LambdaInvoker is the part of the Lambda client the Invoker uses.
type LambdaInvoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Invoker starts runs by invoking the etl function asynchronously (an Event
// invoke: Lambda queues it, retries it twice and sends failures to the
// function's on-failure destination).
type Invoker struct {
	Client   LambdaInvoker
	Function string // name or ARN of the etl function
}

// Start implements api.Runner.
func (i *Invoker) Start(ctx context.Context, pipeline, runID string, fullRefresh bool) error {
	if i.Function == "" {
		return &api.Problem{Type: api.ProblemBase + "no-runner", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
			Detail: "this API cannot start runs: SLUICE_ETL_FUNCTION is not set"}
	}
	payload, _ := json.Marshal(RunRequest{Pipeline: pipeline, RunID: runID, FullRefresh: fullRefresh, Trigger: "api"})
	out, err := i.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(i.Function),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoking %s: %w", i.Function, err)
	}
	if out.StatusCode != http.StatusAccepted {
		return fmt.Errorf("invoking %s: status %d", i.Function, out.StatusCode)
	}
	return nil
}

// Active implements api.Runner: an invoked run is only known once the etl
// function records it.
func (i *Invoker) Active(string) (*catalog.Run, bool) { return nil, false }

// Handler serves API Gateway events with srv and, after each invocation,
// writes the invocation's metrics to out (stdout: CloudWatch reads EMF there).
func Handler(srv http.Handler, m *metrics.Metrics, basePath string, out io.Writer, log *slog.Logger) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	h := api.LambdaHandler(srv, basePath)
	var cold atomic.Bool
	cold.Store(true)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		first := cold.Swap(false)
		attrs := []slog.Attr{slog.Bool(obs.KeyColdStart, first), slog.String(obs.KeyFunctionName, lambdacontext.FunctionName)}
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			attrs = append(attrs, slog.String(obs.KeyAWSRequestID, lc.AwsRequestID))
		}
		ctx = obs.WithAttrs(ctx, attrs...)
		if first {
			m.ColdStart()
		}
		log.InfoContext(ctx, "invocation")
		resp, err := h(ctx, ev)
		if ferr := m.Flush(out); ferr != nil {
			log.WarnContext(ctx, "writing metrics", "error", ferr)
		}
		return resp, err
	}
}
