package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// LambdaMaxResponse is the largest body the Lambda adapter returns: API
// Gateway's 6 MB payload limit, less room for headers.
const LambdaMaxResponse = 6_000_000 - 64<<10

// LambdaHandler adapts API Gateway HTTP API (payload 2.0) events to the
// server. basePath is a custom domain's API mapping key to strip ("" for none).
func LambdaHandler(h http.Handler, basePath string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	basePath = "/" + strings.Trim(basePath, "/")
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		req, err := lambdaRequest(ctx, ev, basePath)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: `{"title":"Bad Request","status":400,"detail":"the request could not be read"}`,
				Headers: map[string]string{"Content-Type": "application/problem+json"}}, nil
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return lambdaResponse(rec), nil
	}
}

func lambdaRequest(ctx context.Context, ev events.APIGatewayV2HTTPRequest, basePath string) (*http.Request, error) {
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	// A stage other than $default, and a custom domain's mapping key, prefix
	// the path API Gateway passes on.
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		path = trimPrefixPath(path, "/"+st)
	}
	if basePath != "/" {
		path = trimPrefixPath(path, basePath)
	}
	u := &url.URL{Path: path, RawQuery: ev.RawQueryString}
	if p, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = p, path
	}
	var body *strings.Reader
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, err
		}
		body = strings.NewReader(string(b))
	} else {
		body = strings.NewReader(ev.Body)
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, u.RequestURI(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.Host = ev.RequestContext.DomainName
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP + ":0"
	req.ContentLength = int64(body.Len())
	if !requestIDPattern.MatchString(req.Header.Get("X-Request-Id")) && ev.RequestContext.RequestID != "" {
		req.Header.Set("X-Request-Id", ev.RequestContext.RequestID)
	}
	if a := ev.RequestContext.Authorizer; a != nil && a.JWT != nil && len(a.JWT.Claims) > 0 {
		claims := make(map[string]string, len(a.JWT.Claims)+1)
		for k, v := range a.JWT.Claims {
			claims[k] = v
		}
		if len(a.JWT.Scopes) > 0 && claims["scope"] == "" {
			claims["scope"] = strings.Join(a.JWT.Scopes, " ")
		}
		req = req.WithContext(WithAuthorizerClaims(req.Context(), claims))
	}
	return req, nil
}

func trimPrefixPath(path, prefix string) string {
	if path == prefix {
		return "/"
	}
	if strings.HasPrefix(path, prefix+"/") {
		return path[len(prefix):]
	}
	return path
}

func lambdaResponse(rec *httptest.ResponseRecorder) events.APIGatewayV2HTTPResponse {
	res := rec.Result()
	out := events.APIGatewayV2HTTPResponse{StatusCode: res.StatusCode, Headers: map[string]string{}}
	for k, vs := range res.Header {
		if k == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		if k == "Trailer" || k == "Content-Length" {
			continue
		}
		out.Headers[k] = strings.Join(vs, ", ")
	}
	for k, vs := range res.Trailer {
		out.Headers[k] = strings.Join(vs, ", ")
	}
	body := rec.Body.Bytes()
	ct := res.Header.Get("Content-Type")
	if isText(ct) || len(body) == 0 {
		out.Body = string(body)
	} else {
		out.Body = base64.StdEncoding.EncodeToString(body)
		out.IsBase64Encoded = true
	}
	return out
}

func isText(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "javascript") || strings.Contains(ct, "ndjson")
}
