package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// readAhead is the least a ranged GET fetches: small reads (a Parquet footer's
// length, page headers) are served from the last window fetched instead of one
// request each.
const readAhead = 256 << 10

// OpenAt opens an object for random access with ranged GETs, all pinned to the
// same ETag (or version) so that a file overwritten between two reads fails
// instead of mixing versions. The size is the listed one; an object that was not
// listed (no ETag) is looked up with HeadObject first.
func (s *S3) OpenAt(ctx context.Context, obj Object) (File, error) {
	bucket, key, err := ParseS3URL(obj.URL)
	if err != nil {
		return nil, err
	}
	f := &s3File{s: s, ctx: ctx, url: obj.URL, bucket: bucket, key: key, size: obj.Size, etag: obj.ETag, version: obj.Version}
	if obj.ETag == "" {
		in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
		if obj.Version != "" {
			in.VersionId = aws.String(obj.Version)
		}
		out, err := s.client.HeadObject(ctx, in)
		if err != nil {
			return nil, s3Error("reading", obj.URL, bucket, key, err)
		}
		f.size, f.etag = aws.ToInt64(out.ContentLength), trimETag(aws.ToString(out.ETag))
	}
	return f, nil
}

// s3File is an S3 object read with ranged GETs. ReadAt is safe for concurrent
// use: the cached window is guarded, fetches run outside the lock.
type s3File struct {
	s             *S3
	ctx           context.Context // of OpenAt: io.ReaderAt has none of its own
	url           string
	bucket, key   string
	size          int64
	etag, version string

	mu     sync.Mutex
	buf    []byte // the last window fetched
	bufOff int64  // its offset in the object
}

func (f *s3File) Size() int64 { return f.size }

func (f *s3File) Close() error {
	f.mu.Lock()
	f.buf = nil
	f.mu.Unlock()
	return nil
}

// ReadAt reads len(p) bytes at off; fewer only at the end of the object, with
// io.EOF.
func (f *s3File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading %s: negative offset %d", f.url, off)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= f.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), f.size-off)
	f.mu.Lock()
	if off >= f.bufOff && off+want <= f.bufOff+int64(len(f.buf)) {
		copy(p, f.buf[off-f.bufOff:off-f.bufOff+want])
		f.mu.Unlock()
		return f.done(want, len(p))
	}
	f.mu.Unlock()

	start, end := off, off+want
	if want < readAhead {
		end = min(f.size, off+readAhead)
		if end == f.size { // near the end (a footer): take the whole last window
			start = min(off, max(0, f.size-readAhead))
		}
	}
	data, err := f.fetch(start, end)
	if err != nil {
		return 0, err
	}
	copy(p, data[off-start:off-start+want])
	if len(data) <= 2*readAhead { // keep small windows; a big column chunk is read once
		f.mu.Lock()
		f.buf, f.bufOff = data, start
		f.mu.Unlock()
	}
	return f.done(want, len(p))
}

func (f *s3File) done(n int64, asked int) (int, error) {
	if int(n) < asked {
		return int(n), io.EOF
	}
	return int(n), nil
}

// fetch GETs bytes [start, end). The SDK retries failed requests; a body cut
// short is fetched again a few times.
func (f *s3File) fetch(start, end int64) ([]byte, error) {
	buf := make([]byte, end-start)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		in := getInput(f.bucket, f.key, f.etag, f.version)
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", start, end-1))
		out, err := f.s.client.GetObject(f.ctx, in)
		if err != nil {
			return nil, s3Error("reading", f.url, f.bucket, f.key, err)
		}
		_, err = io.ReadFull(out.Body, buf)
		out.Body.Close()
		if err == nil {
			return buf, nil
		}
		lastErr = err
		if f.ctx.Err() != nil || errors.Is(err, io.ErrUnexpectedEOF) && aws.ToInt64(out.ContentLength) < end-start {
			break // the server sent fewer bytes than asked: the object is shorter than listed
		}
	}
	return nil, fmt.Errorf("reading %s bytes %d-%d: %w", f.url, start, end-1, lastErr)
}
