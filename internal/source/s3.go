package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3 serves s3://bucket/prefix URLs through the AWS SDK: listing with
// ListObjectsV2, streaming and ranged GETs pinned to the listed ETag (or to the
// object's version id when one is known), and writes that become visible only
// when they complete.
//
// The ledger identifies an S3 object by its URL, ETag and size (ListObjectsV2
// returns no version ids, and asking HeadObject for each of thousands of objects
// would cost a request each). That is sound for exactly-once loading: new bytes
// under a key give a new ETag, and reads are conditional on the listed ETag
// (If-Match), so a file overwritten between listing and reading fails the run
// with a clear message instead of loading a mix of versions. Object.Version,
// when a caller knows it (an S3 event names the version that was written), pins
// the read to that version.
type S3 struct {
	client *s3.Client
	opts   S3Options
}

// S3Options tunes an S3 store; the zero value is the default.
type S3Options struct {
	// KMSKeyID, when set, encrypts the objects Sluice writes (rejects, run
	// results) with SSE-KMS under this key (an id, ARN or alias). Default: the
	// bucket's default encryption.
	KMSKeyID string
	// PartSize is the size of a multipart upload's parts, at least 5 MiB (S3's
	// minimum). Default 8 MiB; objects smaller than one part are written with one
	// PutObject.
	PartSize int
}

// NewS3 returns a store that reaches S3 through client.
func NewS3(client *s3.Client, opts S3Options) *S3 {
	if opts.PartSize < minPartSize {
		opts.PartSize = defaultPartSize
	}
	return &S3{client: client, opts: opts}
}

// S3 multipart limits.
const (
	minPartSize     = 5 << 20
	defaultPartSize = 8 << 20
)

// ParseS3URL splits s3://bucket/key into its bucket and key. The key is taken as
// written (S3 keys may hold any character); it may be empty.
func ParseS3URL(rawURL string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(rawURL, "s3://")
	if !ok {
		return "", "", fmt.Errorf("not an s3 URL: %q (write s3://BUCKET/PREFIX)", rawURL)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("s3 URL %q names no bucket: write s3://BUCKET/PREFIX", rawURL)
	}
	return bucket, key, nil
}

// S3URL is the URL of an object.
func S3URL(bucket, key string) string { return "s3://" + bucket + "/" + key }

// List lists the objects below root (a folder: s3://bucket/prefix/ and
// s3://bucket/prefix are the same root) whose key relative to it matches,
// sorted by key. As for local folders, folders whose name starts with "_"
// (Sluice's _rejects) are skipped, and so are folder markers (keys ending in
// "/"). A prefix with no objects is an empty list, not an error: S3 has no
// folders to be missing.
func (s *S3) List(ctx context.Context, root string, match func(string) bool) ([]Object, error) {
	bucket, prefix, err := ParseS3URL(root)
	if err != nil {
		return nil, err
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	var out []Object
	pages := s3.NewListObjectsV2Paginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s3Error("listing", S3URL(bucket, prefix), bucket, "", err)
		}
		for _, o := range page.Contents {
			full := aws.ToString(o.Key)
			key := strings.TrimPrefix(full, prefix)
			if key == "" || strings.HasSuffix(key, "/") || underscoreFolder(key) || !match(key) {
				continue
			}
			obj := Object{URL: S3URL(bucket, full), Key: key, Size: aws.ToInt64(o.Size), ETag: trimETag(aws.ToString(o.ETag))}
			if o.LastModified != nil {
				obj.ModTime = o.LastModified.UTC()
			}
			out = append(out, obj)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// underscoreFolder reports whether a key lies in a folder whose name starts with
// "_" (at any depth).
func underscoreFolder(key string) bool {
	dir := path.Dir(key)
	if dir == "." {
		return false
	}
	for _, part := range strings.Split(dir, "/") {
		if strings.HasPrefix(part, "_") {
			return true
		}
	}
	return false
}

// trimETag removes the quotes S3 puts around entity tags.
func trimETag(etag string) string { return strings.Trim(etag, `"`) }

// quoteETag is an entity tag as If-Match wants it.
func quoteETag(etag string) string { return `"` + trimETag(etag) + `"` }

// getInput is the GetObject request for obj, pinned to its version or ETag when
// known.
func getInput(bucket, key string, etag, version string) *s3.GetObjectInput {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	if etag != "" {
		in.IfMatch = aws.String(quoteETag(etag))
	}
	return in
}

// s3Error names the URL of a failed S3 call and says what to do about the common
// failures. key is "" for bucket-level calls (listing).
func s3Error(op, url, bucket, key string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w", op, url, err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s %s: %w", op, url, err)
	}
	var hint string
	switch ae.ErrorCode() {
	case "NoSuchBucket":
		hint = fmt.Sprintf("bucket %q does not exist: check the storage URL (and AWS_REGION)", bucket)
	case "NoSuchKey", "NotFound":
		hint = "no such object: it was deleted or renamed, or the URL is wrong"
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		hint = "access denied: " + iamHint(op, bucket, key)
	case "PreconditionFailed":
		hint = "the object changed after it was listed (its ETag no longer matches): run again to load the new version"
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
		hint = "the AWS credentials were refused: check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or the function's role"
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		hint = "the bucket is in another region: set AWS_REGION to the bucket's region"
	case "InvalidObjectState":
		hint = "the object is archived (Glacier): restore it before loading"
	case "KMS.DisabledException", "KMS.NotFoundException", "KMSAccessDenied":
		hint = "the object's KMS key cannot be used: the role needs kms:Decrypt (and kms:GenerateDataKey to write) on the key"
	default:
		return fmt.Errorf("%s %s: %w", op, url, err)
	}
	return fmt.Errorf("%s %s: %s: %w", op, url, hint, err)
}

// iamHint names the IAM permission an operation needs, on which resource.
func iamHint(op, bucket, key string) string {
	switch op {
	case "listing":
		return fmt.Sprintf("the function's role (or your credentials) needs s3:ListBucket on arn:aws:s3:::%s", bucket)
	case "writing":
		return fmt.Sprintf("the function's role (or your credentials) needs s3:PutObject (and s3:AbortMultipartUpload) on arn:aws:s3:::%s/%s, and kms:GenerateDataKey if the bucket uses SSE-KMS", bucket, key)
	default:
		return fmt.Sprintf("the function's role (or your credentials) needs s3:GetObject on arn:aws:s3:::%s/%s, and kms:Decrypt if the object uses SSE-KMS", bucket, key)
	}
}

// Open streams an object. The read is pinned to the listed ETag (or version);
// a connection lost in the middle of a large object resumes with a ranged GET
// from where it stopped, pinned to the same ETag.
func (s *S3) Open(ctx context.Context, obj Object) (io.ReadCloser, error) {
	bucket, key, err := ParseS3URL(obj.URL)
	if err != nil {
		return nil, err
	}
	r := &s3Reader{s: s, ctx: ctx, url: obj.URL, bucket: bucket, key: key, etag: obj.ETag, version: obj.Version, size: -1}
	if err := r.get(); err != nil {
		return nil, err
	}
	return r, nil
}

// maxResumes bounds how often one streaming read resumes after a lost
// connection.
const maxResumes = 5

// s3Reader is a streaming GetObject that resumes after a broken connection.
type s3Reader struct {
	s             *S3
	ctx           context.Context
	url           string
	bucket, key   string
	etag, version string
	body          io.ReadCloser
	off           int64 // bytes delivered
	size          int64 // total bytes, -1 until the first response
	resumes       int
	err           error // sticky: a failed resume ends the stream
}

// get starts (or resumes, at r.off) the GET.
func (r *s3Reader) get() error {
	in := getInput(r.bucket, r.key, r.etag, r.version)
	if r.off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.off))
	}
	out, err := r.s.client.GetObject(r.ctx, in)
	if err != nil {
		return s3Error("reading", r.url, r.bucket, r.key, err)
	}
	if r.size < 0 {
		r.size = aws.ToInt64(out.ContentLength)
	}
	if r.etag == "" { // pin resumes to what the first response served
		r.etag = trimETag(aws.ToString(out.ETag))
	}
	r.body = out.Body
	return nil
}

func (r *s3Reader) Read(p []byte) (int, error) {
	for {
		if r.err != nil {
			return 0, r.err
		}
		if r.body == nil {
			return 0, fmt.Errorf("reading %s: closed", r.url)
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == nil || err == io.EOF {
			return n, err
		}
		if r.off >= r.size { // all bytes arrived; only the end was lost
			return n, io.EOF
		}
		if r.ctx.Err() != nil || r.resumes >= maxResumes {
			r.err = fmt.Errorf("reading %s at byte %d: %w", r.url, r.off, err)
			return n, r.err
		}
		r.resumes++
		r.body.Close()
		r.body = nil
		if gerr := r.get(); gerr != nil {
			r.err = fmt.Errorf("resuming after %v: %w", err, gerr)
			return n, r.err
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *s3Reader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}
