package source_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/source/s3test"
)

// newS3 starts a fake S3 with one bucket and returns it with a router serving
// s3:// through a client built the way the CLI builds it (NewS3Client), with a
// short backoff.
func newS3(t *testing.T, opts source.S3Options) (*s3test.Server, *source.Router) {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "bkt")
	client, err := source.NewS3Client(context.Background(), source.S3Config{
		Endpoint: srv.URL, Region: s3test.Region, AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey,
		MaxBackoff: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := source.NewRouter()
	r.Register("s3", source.NewS3(client, opts))
	return srv, r
}

func readAll(t *testing.T, r *source.Router, obj source.Object) []byte {
	t.Helper()
	rc, err := r.Open(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keysOf(objs []source.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func count(reqs []s3test.Request, f func(s3test.Request) bool) int {
	n := 0
	for _, r := range reqs {
		if f(r) {
			n++
		}
	}
	return n
}

func isGet(r s3test.Request) bool {
	return r.Method == http.MethodGet && r.Query.Get("list-type") == ""
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	var seed [32]byte
	seed[0] = byte(n)
	rand.NewChaCha8(seed).Read(b)
	return b
}

func TestS3ListPrefixGlobAndOrder(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	for _, k := range []string{"in/b.csv", "in/a.csv", "in/x.json", "in/sub/c.csv", "in/sub/deep/d.csv", "in/_rejects/p/r.jsonl", "in/folder/", "inbox/z.csv", "top.csv"} {
		srv.Put(t, "bkt", k, []byte(k))
	}
	tests := []struct {
		root, pattern string
		want          []string
	}{
		{"s3://bkt/in/", "*.csv", []string{"a.csv", "b.csv"}},
		{"s3://bkt/in", "*.csv", []string{"a.csv", "b.csv"}}, // a root is a folder: inbox/ is not in it
		{"s3://bkt/in/", "**/*.csv", []string{"a.csv", "b.csv", "sub/c.csv", "sub/deep/d.csv"}},
		{"s3://bkt/in/", "sub/**", []string{"sub/c.csv", "sub/deep/d.csv"}},
		{"s3://bkt/in/", "", []string{"a.csv", "b.csv", "x.json"}},
		{"s3://bkt/in/", "*.{json,csv}", []string{"a.csv", "b.csv", "x.json"}},
		{"s3://bkt", "*.csv", []string{"top.csv"}},
		{"s3://bkt/", "**/z.csv", []string{"inbox/z.csv"}},
		{"s3://bkt/nothing/", "*", nil},
	}
	for _, tt := range tests {
		t.Run(tt.root+" "+tt.pattern, func(t *testing.T) {
			objs, err := r.List(context.Background(), tt.root, tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(objs); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	objs, err := r.List(context.Background(), "s3://bkt/in/", "a.csv")
	if err != nil || len(objs) != 1 {
		t.Fatal(objs, err)
	}
	o := objs[0]
	etag, _ := srv.Put(t, "bkt", "other", []byte("in/a.csv")) // same bytes, same ETag
	if o.URL != "s3://bkt/in/a.csv" || o.Size != int64(len("in/a.csv")) || o.ETag != etag || strings.Contains(o.ETag, `"`) || o.ModTime.IsZero() {
		t.Errorf("listed %+v; want URL s3://bkt/in/a.csv, size 8, ETag %s without quotes, a ModTime", o, etag)
	}
}

func TestS3ListPaginates(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	const n = 2500 // S3 and the fake answer at most 1,000 keys a page
	var want []string
	var wg sync.WaitGroup
	keys := make(chan string)
	for range 8 {
		wg.Go(func() {
			for k := range keys {
				srv.Put(t, "bkt", "many/"+k, []byte(k))
			}
		})
	}
	for i := range n {
		k := fmt.Sprintf("f%05d.csv", i)
		want = append(want, k)
		keys <- k
	}
	close(keys)
	wg.Wait()
	srv.ResetRequests()
	objs, err := r.List(context.Background(), "s3://bkt/many/", "*.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(objs); !slices.Equal(got, want) {
		t.Fatalf("listed %d keys, want %d in order", len(got), len(want))
	}
	if pages := count(srv.Requests(), func(r s3test.Request) bool { return r.Query.Get("list-type") == "2" }); pages != 3 {
		t.Errorf("%d ListObjectsV2 requests, want 3 pages", pages)
	}
}

func TestS3OpenStreamsGzipCSV(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	var csv bytes.Buffer
	csv.WriteString("id,name\n")
	for i := range 50_000 {
		fmt.Fprintf(&csv, "%d,name %d\n", i, i)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(csv.Bytes())
	zw.Close()
	srv.Put(t, "bkt", "in/orders.csv.gz", gz.Bytes())
	objs, err := r.List(context.Background(), "s3://bkt/in/", "*.csv.gz")
	if err != nil || len(objs) != 1 {
		t.Fatal(objs, err)
	}
	srv.ResetRequests()
	rc, err := r.Open(context.Background(), objs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, csv.Bytes()) {
		t.Fatalf("read %d bytes, want %d", len(got), csv.Len())
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Header.Get("If-Match") != `"`+objs[0].ETag+`"` || reqs[0].Header.Get("Range") != "" {
		t.Errorf("requests %+v: want one GET of the whole object with If-Match: %q", reqs, objs[0].ETag)
	}
}

func TestS3OpenResumesAfterLostConnection(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	data := randomBytes(1 << 20)
	etag, _ := srv.Put(t, "bkt", "big.bin", data)
	cut := srv.Inject(s3test.Fault{Match: func(r *http.Request) bool { return r.Method == http.MethodGet }, Times: 2, TruncateAfter: 100_000})
	srv.ResetRequests()
	got := readAll(t, r, source.Object{URL: "s3://bkt/big.bin", ETag: etag, Size: int64(len(data))})
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, not the object's %d", len(got), len(data))
	}
	if cut.Hits() != 2 {
		t.Fatalf("%d answers cut short, want 2", cut.Hits())
	}
	var ranges []string
	for _, q := range srv.Requests() {
		ranges = append(ranges, q.Header.Get("Range"))
		if q.Header.Get("If-Match") != `"`+etag+`"` {
			t.Errorf("request without If-Match: %+v", q)
		}
	}
	if want := []string{"", "bytes=100000-", "bytes=200000-"}; !slices.Equal(ranges, want) {
		t.Errorf("ranges %q, want %q", ranges, want)
	}
}

func TestS3OpenAtReadsRanges(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	data := randomBytes(3<<20 + 17)
	srv.Put(t, "bkt", "t.parquet", data)
	objs, err := r.List(context.Background(), "s3://bkt/", "*.parquet")
	if err != nil || len(objs) != 1 {
		t.Fatal(objs, err)
	}
	srv.ResetRequests()
	f, err := r.OpenAt(context.Background(), objs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := int64(len(data))
	if f.Size() != size {
		t.Fatalf("Size %d, want %d", f.Size(), size)
	}
	// A Parquet reader's first reads: the footer length, then the footer.
	for _, rd := range []struct{ off, n int64 }{{size - 8, 8}, {size - 5000, 4992}} {
		p := make([]byte, rd.n)
		if n, err := f.ReadAt(p, rd.off); n != int(rd.n) || err != nil || !bytes.Equal(p, data[rd.off:rd.off+rd.n]) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v, or wrong bytes", rd.n, rd.off, n, err)
		}
	}
	if gets := count(srv.Requests(), isGet); gets != 1 {
		t.Errorf("footer reads took %d GETs, want 1 (the second is inside the first window)", gets)
	}
	tests := []struct {
		name    string
		off, n  int64
		wantN   int64
		wantEOF bool
	}{
		{"start", 0, 10, 10, false},
		{"middle", 1_234_567, 1000, 1000, false},
		{"larger than the read-ahead", 100, 1 << 20, 1 << 20, false},
		{"whole", 0, size, size, false},
		{"across the end", size - 10, 100, 10, true},
		{"at the end", size, 1, 0, true},
		{"past the end", size + 5, 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := make([]byte, tt.n)
			n, err := f.ReadAt(p, tt.off)
			if int64(n) != tt.wantN || (err == io.EOF) != tt.wantEOF || (err != nil && err != io.EOF) {
				t.Fatalf("ReadAt = %d, %v; want %d, EOF %v", n, err, tt.wantN, tt.wantEOF)
			}
			if !bytes.Equal(p[:n], data[min(tt.off, size):min(tt.off, size)+int64(n)]) {
				t.Fatal("wrong bytes")
			}
		})
	}
	// Concurrent readers (row groups read in parallel) see their own bytes.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			off := int64(i) * 190_001
			p := make([]byte, 70_000)
			n, err := f.ReadAt(p, off)
			if err != nil || !bytes.Equal(p[:n], data[off:off+int64(n)]) {
				errs <- fmt.Errorf("ReadAt at %d: %d, %v or wrong bytes", off, n, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, q := range srv.Requests() {
		if isGet(q) && q.Header.Get("If-Match") != `"`+objs[0].ETag+`"` {
			t.Fatalf("ranged GET without If-Match: %+v", q)
		}
	}
}

func TestS3OpenAtUnlistedObject(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	data := []byte("hello ranged world")
	srv.Put(t, "bkt", "x.bin", data)
	f, err := r.OpenAt(context.Background(), source.Object{URL: "s3://bkt/x.bin"})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 6)
	if n, err := f.ReadAt(p, 6); f.Size() != int64(len(data)) || n != 6 || err != nil || string(p) != "ranged" {
		t.Fatalf("size %d, ReadAt %d %v %q", f.Size(), n, err, p)
	}
}

func TestS3Retries(t *testing.T) {
	t.Parallel()
	getOnly := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" }
	listOnly := func(r *http.Request) bool { return r.URL.Query().Get("list-type") == "2" }
	tests := []struct {
		name     string
		status   int
		code     string
		list     bool // the fault hits listing, not reading
		times    int
		attempts int // the requests answered by the fault; 0: all of them, and the call succeeds
	}{
		{"503 SlowDown on GET", 503, "SlowDown", false, 3, 0},
		{"500 InternalError on GET", 500, "InternalError", false, 2, 0},
		{"503 ServiceUnavailable on list", 503, "ServiceUnavailable", true, 3, 0},
		{"throttled beyond the attempts", 503, "SlowDown", false, 100, source.DefaultS3MaxAttempts},
		{"403 AccessDenied is not retried", 403, "AccessDenied", false, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, r := newS3(t, source.S3Options{})
			etag, _ := srv.Put(t, "bkt", "in/a.csv", []byte("id\n1\n"))
			match := getOnly
			if tt.list {
				match = listOnly
			}
			fault := srv.FailNext(tt.times, tt.status, tt.code, match)
			var err error
			if tt.list {
				var objs []source.Object
				objs, err = r.List(context.Background(), "s3://bkt/in/", "*.csv")
				if err == nil && len(objs) != 1 {
					t.Fatalf("listed %v", objs)
				}
			} else {
				var rc io.ReadCloser
				rc, err = r.Open(context.Background(), source.Object{URL: "s3://bkt/in/a.csv", ETag: etag})
				if err == nil {
					var got []byte
					got, err = io.ReadAll(rc)
					rc.Close()
					if err == nil && string(got) != "id\n1\n" {
						t.Fatalf("read %q", got)
					}
				}
			}
			if tt.attempts == 0 {
				if err != nil || fault.Hits() != tt.times {
					t.Fatalf("after %d injected answers (want %d, retried): %v", fault.Hits(), tt.times, err)
				}
				return
			}
			if err == nil || fault.Hits() != tt.attempts {
				t.Fatalf("%d attempts, want %d, then an error; got error %v", fault.Hits(), tt.attempts, err)
			}
		})
	}
}

func TestS3Errors(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	etag, _ := srv.Put(t, "bkt", "in/a.csv", []byte("id\n1\n"))
	ctx := context.Background()
	open := func(obj source.Object) error {
		rc, err := r.Open(ctx, obj)
		if err == nil {
			rc.Close()
		}
		return err
	}
	tests := []struct {
		name  string
		fault *s3test.Fault
		call  func() error
		want  []string
	}{
		{"missing bucket", nil, func() error { _, err := r.List(ctx, "s3://nope/in/", "*"); return err },
			[]string{"listing s3://nope/in/", `bucket "nope" does not exist`}},
		{"missing key", nil, func() error { return open(source.Object{URL: "s3://bkt/in/gone.csv"}) },
			[]string{"reading s3://bkt/in/gone.csv", "no such object"}},
		{"missing key, random access", nil, func() error { _, err := r.OpenAt(ctx, source.Object{URL: "s3://bkt/in/gone.csv"}); return err },
			[]string{"reading s3://bkt/in/gone.csv", "no such object"}},
		{"access denied reading", &s3test.Fault{Status: 403, Code: "AccessDenied"}, func() error { return open(source.Object{URL: "s3://bkt/in/a.csv", ETag: etag}) },
			[]string{"reading s3://bkt/in/a.csv: access denied", "needs s3:GetObject on arn:aws:s3:::bkt/in/a.csv"}},
		{"access denied listing", &s3test.Fault{Status: 403, Code: "AccessDenied"}, func() error { _, err := r.List(ctx, "s3://bkt/in/", "*"); return err },
			[]string{"listing s3://bkt/in/: access denied", "needs s3:ListBucket on arn:aws:s3:::bkt"}},
		{"access denied writing", &s3test.Fault{Status: 403, Code: "AccessDenied"}, func() error {
			w, err := r.Create(ctx, "s3://bkt/out/x.jsonl")
			if err != nil {
				return err
			}
			io.WriteString(w, "{}\n")
			return w.Close()
		}, []string{"writing s3://bkt/out/x.jsonl: access denied", "needs s3:PutObject"}},
		{"changed since listed", &s3test.Fault{Status: 412, Code: "PreconditionFailed"}, func() error { return open(source.Object{URL: "s3://bkt/in/a.csv", ETag: etag}) },
			[]string{"reading s3://bkt/in/a.csv: the object changed after it was listed"}},
		{"bad credentials", &s3test.Fault{Status: 403, Code: "InvalidAccessKeyId"}, func() error { _, err := r.List(ctx, "s3://bkt/in/", "*"); return err },
			[]string{"the AWS credentials were refused"}},
		{"folder URL written", nil, func() error { _, err := r.Create(ctx, "s3://bkt/out/"); return err },
			[]string{"names a folder"}},
		{"no bucket in URL", nil, func() error { _, err := r.List(ctx, "s3:///x", "*"); return err },
			[]string{"names no bucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the faults are the server's.
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestS3CreateSmall(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{KMSKeyID: "alias/sluice"})
	w, err := r.Create(context.Background(), "s3://bkt/pre/_rejects/p/run1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `{"reason":"bad"}`+"\n")
	if keys := srv.Keys(t, "bkt", "pre/"); len(keys) != 0 {
		t.Fatalf("object visible before Close: %v", keys)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := srv.Get(t, "bkt", "pre/_rejects/p/run1.jsonl"); string(got) != `{"reason":"bad"}`+"\n" {
		t.Fatalf("read back %q", got)
	}
	reqs := srv.Requests()
	put := reqs[len(reqs)-2] // then the Get above
	if put.Method != http.MethodPut || put.Header.Get("X-Amz-Server-Side-Encryption") != "aws:kms" ||
		put.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != "alias/sluice" || put.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("PutObject %s %s with headers %v: want SSE-KMS under alias/sluice and the NDJSON type", put.Method, put.Path, put.Header)
	}
	// Listing skips _rejects, as local folders do.
	if objs, err := r.List(context.Background(), "s3://bkt/pre/", "**"); err != nil || len(objs) != 0 {
		t.Errorf("listing the storage root returned %v, %v; want _rejects skipped", keysOf(objs), err)
	}
}

func TestS3CreateMultipart(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	data := randomBytes(11<<20 + 3) // two 5 MiB parts and a small last one
	srv.ResetRequests()
	w, err := source.NewS3(srv.Client, source.S3Options{PartSize: 5 << 20}).Create(context.Background(), "s3://bkt/out/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	for chunk := range slices.Chunk(data, 64<<10+1) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if keys := srv.Keys(t, "bkt", "out/"); len(keys) != 0 {
		t.Fatalf("object visible before Close: %v", keys)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	parts := count(reqs, func(q s3test.Request) bool { return q.Method == http.MethodPut && q.Query.Get("partNumber") != "" })
	completes := count(reqs, func(q s3test.Request) bool { return q.Method == http.MethodPost && q.Query.Has("uploadId") })
	if parts != 3 || completes != 1 {
		t.Errorf("%d parts and %d completions, want 3 and 1", parts, completes)
	}
	got := readAll(t, r, source.Object{URL: "s3://bkt/out/big.bin"})
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not the %d written", len(got), len(data))
	}
}

func TestS3CreateAbortsOnError(t *testing.T) {
	t.Parallel()
	srv, _ := newS3(t, source.S3Options{})
	fault := srv.Inject(s3test.Fault{Match: func(r *http.Request) bool { return r.URL.Query().Get("partNumber") == "2" }, Status: 403, Code: "AccessDenied"})
	w, err := source.NewS3(srv.Client, source.S3Options{PartSize: 5 << 20}).Create(context.Background(), "s3://bkt/out/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, werr := w.Write(randomBytes(12 << 20))
	cerr := w.Close()
	if werr == nil || cerr == nil || fault.Hits() != 1 {
		t.Fatalf("write %v, close %v, fault hits %d: want the failed part to fail both", werr, cerr, fault.Hits())
	}
	aborts := count(srv.Requests(), func(q s3test.Request) bool { return q.Method == http.MethodDelete && q.Query.Has("uploadId") })
	if aborts != 1 {
		t.Errorf("%d aborts of the multipart upload, want 1", aborts)
	}
	if keys := srv.Keys(t, "bkt", "out/"); len(keys) != 0 {
		t.Errorf("a failed write left %v", keys)
	}
}

func TestS3ReadsPinnedVersion(t *testing.T) {
	t.Parallel()
	srv, r := newS3(t, source.S3Options{})
	srv.EnableVersioning(t, "bkt")
	_, v1 := srv.Put(t, "bkt", "in/a.csv", []byte("version one"))
	_, v2 := srv.Put(t, "bkt", "in/a.csv", []byte("version two"))
	if v1 == "" || v1 == v2 {
		t.Fatalf("versions %q and %q", v1, v2)
	}
	if got := readAll(t, r, source.Object{URL: "s3://bkt/in/a.csv", Version: v1}); string(got) != "version one" {
		t.Errorf("read %q, want version one", got)
	}
	f, err := r.OpenAt(context.Background(), source.Object{URL: "s3://bkt/in/a.csv", Version: v1})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 3)
	if _, err := f.ReadAt(p, 8); err != nil || string(p) != "one" {
		t.Errorf("ReadAt of version one: %q, %v", p, err)
	}
}

// TestS3ClientFromEnvironment checks that the SDK's own chain reads
// AWS_ENDPOINT_URL_S3 and that such an endpoint gets path-style requests (the
// fake at 127.0.0.1 has no bucket host names).
func TestS3ClientFromEnvironment(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "envbkt")
	srv.Put(t, "envbkt", "k.csv", []byte("x"))
	for k, v := range srv.Env() {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	client, err := source.NewS3Client(context.Background(), source.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !client.Options().UsePathStyle {
		t.Error("a custom endpoint from the environment did not force path-style addressing")
	}
	objs, err := source.NewS3(client, source.S3Options{}).List(context.Background(), "s3://envbkt/", func(string) bool { return true })
	if err != nil || len(objs) != 1 {
		t.Fatalf("listing through the environment's endpoint: %v, %v", objs, err)
	}
}

func TestLazyBuildsOnFirstUse(t *testing.T) {
	t.Parallel()
	builds := 0
	r := source.NewRouter()
	r.Register("s3", source.Lazy(func(context.Context) (source.Store, error) {
		builds++
		if builds == 1 {
			return nil, fmt.Errorf("no region")
		}
		return source.NewS3(nil, source.S3Options{}), nil
	}))
	dir := t.TempDir()
	if _, err := r.List(context.Background(), source.FileURL(dir), "*"); err != nil || builds != 0 {
		t.Fatalf("a file:// listing built the s3 store (%d builds): %v", builds, err)
	}
	if _, err := r.Create(context.Background(), "s3://b/k"); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Fatalf("first use: %v, want the build error", err)
	}
	if _, err := r.Create(context.Background(), "s3://b/"); err == nil || builds != 2 || !strings.Contains(err.Error(), "names a folder") {
		t.Fatalf("second use: %v after %d builds; want a retried build and the store's own error", err, builds)
	}
}
