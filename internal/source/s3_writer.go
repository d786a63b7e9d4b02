package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Create writes an object. Bytes are buffered one part at a time: a body smaller
// than a part is written by one PutObject at Close; a larger one streams as a
// multipart upload that Close completes. Either way the object appears only
// when Close returns nil; on any error the multipart upload is aborted. (A
// writer dropped without Close leaves an incomplete upload: a bucket lifecycle
// rule AbortIncompleteMultipartUpload cleans those up.)
func (s *S3) Create(ctx context.Context, rawURL string) (io.WriteCloser, error) {
	bucket, key, err := ParseS3URL(rawURL)
	if err != nil {
		return nil, err
	}
	if key == "" || key[len(key)-1] == '/' {
		return nil, fmt.Errorf("writing %s: the URL names a folder, not an object", rawURL)
	}
	return &s3Writer{s: s, ctx: ctx, url: rawURL, bucket: bucket, key: key, buf: make([]byte, 0, s.opts.PartSize)}, nil
}

// s3Writer is an object being written.
type s3Writer struct {
	s           *S3
	ctx         context.Context
	url         string
	bucket, key string
	buf         []byte
	uploadID    *string
	parts       []types.CompletedPart
	err         error // sticky: after a failure every call returns it
	closed      bool
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, fmt.Errorf("writing %s: already closed", w.url)
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(w.buf) == cap(w.buf) {
			if err := w.flushPart(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flushPart uploads the buffer as the next part, starting the multipart upload
// first if needed.
func (w *s3Writer) flushPart() error {
	if w.uploadID == nil {
		in := &s3.CreateMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String(w.key), ContentType: contentType(w.key)}
		w.s.encrypt(&in.ServerSideEncryption, &in.SSEKMSKeyId)
		out, err := w.s.client.CreateMultipartUpload(w.ctx, in)
		if err != nil {
			return w.fail(s3Error("writing", w.url, w.bucket, w.key, err))
		}
		w.uploadID = out.UploadId
	}
	num := aws.Int32(int32(len(w.parts) + 1))
	out, err := w.s.client.UploadPart(w.ctx, &s3.UploadPartInput{
		Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: w.uploadID,
		PartNumber: num, Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf))),
	})
	if err != nil {
		return w.fail(s3Error("writing", w.url, w.bucket, w.key, err))
	}
	w.parts = append(w.parts, types.CompletedPart{
		PartNumber: num, ETag: out.ETag,
		ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME,
		ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256,
	})
	w.buf = w.buf[:0]
	return nil
}

// fail records err, aborts the multipart upload if one was started, and
// returns err.
func (w *s3Writer) fail(err error) error {
	w.err = err
	if w.uploadID != nil {
		// The caller's context may be what failed; the abort must still go out.
		ctx := context.WithoutCancel(w.ctx)
		if _, aerr := w.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: w.uploadID,
		}); aerr != nil {
			w.err = errors.Join(err, fmt.Errorf("aborting the multipart upload of %s (a lifecycle rule will remove it): %w", w.url, aerr))
		}
		w.uploadID = nil
	}
	return w.err
}

// Close writes what is buffered and completes the object.
func (w *s3Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.uploadID == nil {
		in := &s3.PutObjectInput{
			Bucket: aws.String(w.bucket), Key: aws.String(w.key), ContentType: contentType(w.key),
			Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf))),
		}
		w.s.encrypt(&in.ServerSideEncryption, &in.SSEKMSKeyId)
		if _, err := w.s.client.PutObject(w.ctx, in); err != nil {
			w.err = s3Error("writing", w.url, w.bucket, w.key, err)
		}
		w.buf = nil
		return w.err
	}
	if len(w.buf) > 0 {
		if err := w.flushPart(); err != nil {
			return err
		}
	}
	w.buf = nil
	_, err := w.s.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		return w.fail(s3Error("writing", w.url, w.bucket, w.key, err))
	}
	w.uploadID = nil
	return nil
}

// encrypt asks for SSE-KMS when the store is configured for it; otherwise the
// bucket's default encryption applies.
func (s *S3) encrypt(sse *types.ServerSideEncryption, keyID **string) {
	if s.opts.KMSKeyID != "" {
		*sse = types.ServerSideEncryptionAwsKms
		*keyID = aws.String(s.opts.KMSKeyID)
	}
}

// contentType is the media type of the files Sluice writes, by extension.
func contentType(key string) *string {
	switch path.Ext(key) {
	case ".jsonl", ".ndjson":
		return aws.String("application/x-ndjson")
	case ".json":
		return aws.String("application/json")
	case ".csv":
		return aws.String("text/csv")
	}
	return nil
}
