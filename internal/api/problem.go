package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Problem is an RFC 9457 problem detail, the body of every error response. It
// never holds internal detail (SQL, stack traces, file paths): Detail says what
// was wrong with the request and what to do.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Parameter names the query parameter or header at fault, if any.
	Parameter string `json:"parameter,omitempty"`

	retryAfter int // seconds, for 429 and 503
}

// ProblemBase is where the problem types are documented.
const ProblemBase = "https://github.com/sluice-data/sluice/blob/main/docs/API.md#problem-"

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

func problem(status int, slug, detail string, args ...any) *Problem {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &Problem{Type: ProblemBase + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

func badRequest(param, detail string, args ...any) *Problem {
	p := problem(http.StatusBadRequest, "bad-request", detail, args...)
	p.Parameter = param
	return p
}

func notFound(detail string, args ...any) *Problem {
	return problem(http.StatusNotFound, "not-found", detail, args...)
}

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	p.RequestID = w.Header().Get("X-Request-Id")
	h := w.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Del("Link")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="sluice"`)
	}
	b, _ := json.Marshal(p)
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(p.Status)
	w.Write(append(b, '\n'))
}

// WriteProblem writes p as an RFC 9457 problem response, for handlers in front
// of the Server (the Lambda adapter's, before the Server exists).
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) { writeProblem(w, r, p) }
