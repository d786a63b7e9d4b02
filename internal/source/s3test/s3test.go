// Package s3test runs an in-process S3-compatible server for tests: gofakes3
// with its in-memory backend on an httptest server at 127.0.0.1, reached through
// the real AWS SDK. It can inject faults (S3 error answers such as 503
// SlowDown, bodies cut short) and logs every request, so tests can assert what
// the client sent and how often it retried.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Credentials and region the server accepts (it checks signatures' form, not
// their keys).
const (
	Region          = "us-east-1"
	AccessKeyID     = "test"
	SecretAccessKey = "test"
)

// Server is a running fake S3.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT: set it as AWS_ENDPOINT_URL_S3.
	URL string
	// Client reaches the server: path-style, static credentials, standard
	// retries with a 1ms backoff cap so that injected faults cost no time.
	Client *s3.Client

	mu       sync.Mutex
	faults   []*Injection
	requests []Request
}

// Request is one request the server received, in arrival order.
type Request struct {
	Method string
	Path   string // /bucket/key (path-style)
	Query  url.Values
	Header http.Header
	Status int // the status answered (an injected one, or the fake's)
}

// Fault describes answers to inject instead of (or on top of) the fake's own.
type Fault struct {
	// Match selects the requests the fault applies to. Default: every request.
	Match func(*http.Request) bool
	// Times is how many matching requests the fault answers; then it is spent.
	// Default 1.
	Times int
	// Status and Code make the answer an S3 error document (for example 503 and
	// "SlowDown", 500 and "InternalError", 403 and "AccessDenied").
	Status int
	Code   string
	// TruncateAfter, when Status is 0, lets the request through but sends only
	// the first TruncateAfter bytes of the body (after headers announcing all of
	// it) and then drops the connection.
	TruncateAfter int64
}

// Injection is an injected fault; Hits tells how many requests it answered.
type Injection struct {
	f    Fault
	hits int
	s    *Server
}

// Hits is the number of requests the fault has answered so far.
func (i *Injection) Hits() int {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return i.hits
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	fake := gofakes3.New(s3mem.New())
	s := &Server{}
	hs := httptest.NewServer(s.handler(fake.Server()))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	s.Client = s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(hs.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 6
			o.MaxBackoff = time.Millisecond
		}),
	})
	return s
}

// Env is the environment that points the AWS SDK's default chain (and so
// Sluice's CLI) at the server: endpoint, region and static credentials.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_S3":   s.URL,
		"AWS_REGION":            Region,
		"AWS_ACCESS_KEY_ID":     AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": SecretAccessKey,
	}
}

// Inject adds a fault; faults are tried in the order they were added.
func (s *Server) Inject(f Fault) *Injection {
	if f.Times <= 0 {
		f.Times = 1
	}
	in := &Injection{f: f, s: s}
	s.mu.Lock()
	s.faults = append(s.faults, in)
	s.mu.Unlock()
	return in
}

// FailNext answers the next n requests that match (nil: any) with an S3 error.
func (s *Server) FailNext(n, status int, code string, match func(*http.Request) bool) *Injection {
	return s.Inject(Fault{Match: match, Times: n, Status: status, Code: code})
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// CreateBucket creates a bucket.
func (s *Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
}

// EnableVersioning turns versioning on for a bucket.
func (s *Server) EnableVersioning(t testing.TB, bucket string) {
	t.Helper()
	_, err := s.Client.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		t.Fatalf("enabling versioning on %s: %v", bucket, err)
	}
}

// Put writes an object and returns its ETag (without quotes) and version id
// ("" in an unversioned bucket).
func (s *Server) Put(t testing.TB, bucket, key string, data []byte) (etag, version string) {
	t.Helper()
	out, err := s.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("putting s3://%s/%s: %v", bucket, key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), aws.ToString(out.VersionId)
}

// Get reads an object whole.
func (s *Server) Get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("getting s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("reading s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

// Keys lists the keys below prefix, sorted.
func (s *Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	pages := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("listing s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

// handler logs each request and answers it with the first fault that matches,
// or with the fake.
func (s *Server) handler(fake http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		var f *Fault
		for _, in := range s.faults {
			if in.hits < in.f.Times && (in.f.Match == nil || in.f.Match(r)) {
				in.hits++
				f = &in.f
				break
			}
		}
		i := len(s.requests)
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()})
		s.mu.Unlock()
		var status int
		defer func() { // also when a truncated answer panics to drop the connection
			s.mu.Lock()
			s.requests[i].Status = status
			s.mu.Unlock()
		}()
		s.serve(w, r, fake, f, &status)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, fake http.Handler, f *Fault, status *int) {
	switch {
	case f == nil:
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		fake.ServeHTTP(rec, r)
		*status = rec.status
	case f.Status != 0:
		*status = f.Status
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(f.Status)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>injected by s3test</Message><RequestId>s3test</RequestId></Error>`, f.Code)
		}
	default:
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, r)
		*status = rec.Code
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		w.Write(body[:min(int64(len(body)), f.TruncateAfter)])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // drops the connection: the client sees a short body
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
