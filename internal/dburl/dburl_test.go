package dburl_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sluice-data/sluice/internal/awstest"
	"github.com/sluice-data/sluice/internal/dburl"
	"github.com/sluice-data/sluice/internal/obs"
	"github.com/sluice-data/sluice/internal/sink"
)

var _ sink.Credentials = (*dburl.Credentials)(nil)

// countingCreds counts the retrievals of AWS credentials: BuildAuthToken
// retrieves them once per token.
type countingCreds struct {
	aws.CredentialsProvider
	n atomic.Int32
}

func (c *countingCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c.n.Add(1)
	return c.CredentialsProvider.Retrieve(ctx)
}

func iamResolver() (*dburl.Resolver, *countingCreds) {
	creds := &countingCreds{CredentialsProvider: awstest.Credentials()}
	return dburl.NewResolver(dburl.Options{Region: awstest.Region, Credentials: creds}), creds
}

func TestResolvePlainURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"postgres://u:p@h:5432/d?sslmode=disable",
		"mysql://u@h/d?tls=true",
		"sqlite://./x.db",
	} {
		if dburl.NeedsAWS(u) {
			t.Errorf("NeedsAWS(%s) = true", u)
		}
		res, err := dburl.NewResolver(dburl.Options{}).Resolve(context.Background(), u)
		if err != nil || res.URL != u || res.Credentials != nil || res.IAM {
			t.Errorf("Resolve(%s) = %+v, %v; want it unchanged", u, res, err)
		}
	}
}

func TestResolveIAM(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"postgres adds sslmode", "postgres://sluice@db.example/app?auth=iam", "postgres://sluice@db.example/app?sslmode=require"},
		{"postgres keeps verify-full", "postgresql://sluice@proxy.example:6432/app?auth=iam&sslmode=verify-full&statement_timeout=5000", "postgresql://sluice@proxy.example:6432/app?sslmode=verify-full&statement_timeout=5000"},
		{"mysql adds tls", "mysql://sluice@db.example/app?auth=iam", "mysql://sluice@db.example/app?tls=true"},
		{"mysql keeps skip-verify", "mysql://sluice@db.example:3307/app?tls=skip-verify&auth=iam", "mysql://sluice@db.example:3307/app?tls=skip-verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := iamResolver()
			if !dburl.NeedsAWS(tc.in) {
				t.Errorf("NeedsAWS(%s) = false", tc.in)
			}
			res, err := r.Resolve(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.URL != tc.want || !res.IAM || res.Credentials == nil {
				t.Errorf("Resolve(%s) = %s (IAM %v); want %s", tc.in, res.URL, res.IAM, tc.want)
			}
		})
	}
}

// TestIAMToken checks the token's shape: a presigned rds-db:connect URL for
// the endpoint, user and region, valid 15 minutes. No real RDS is at hand, so
// that the database accepts it is not tested.
func TestIAMToken(t *testing.T) {
	t.Parallel()
	r, creds := iamResolver()
	res, err := r.Resolve(context.Background(), "postgres://sluice_app@proxy.example:5432/app?auth=iam")
	if err != nil {
		t.Fatal(err)
	}
	if res.Credentials.String() != `RDS IAM tokens for user "sluice_app" at proxy.example:5432` {
		t.Errorf("String() = %s", res.Credentials)
	}
	user, tok, err := res.Credentials.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if user != "sluice_app" {
		t.Errorf("user %q", user)
	}
	if red := obs.Redact(tok); strings.Contains(red, "X-Amz-Signature=") && !strings.Contains(red, "X-Amz-Signature=xxxxx") {
		t.Errorf("obs.Redact leaves the token's signature: %s", red)
	}
	u, err := url.Parse("https://" + tok)
	if err != nil {
		t.Fatalf("the token is not a URL: %v", err)
	}
	q := u.Query()
	if !strings.HasPrefix(tok, "proxy.example:5432") || u.Host != "proxy.example:5432" {
		t.Errorf("token host %q: want the endpoint first, host:port", u.Host)
	}
	for k, want := range map[string]string{
		"Action":              "connect",
		"DBUser":              "sluice_app",
		"X-Amz-Algorithm":     "AWS4-HMAC-SHA256",
		"X-Amz-Expires":       "900",
		"X-Amz-SignedHeaders": "host",
	} {
		if q.Get(k) != want {
			t.Errorf("token %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if cred := q.Get("X-Amz-Credential"); !strings.HasPrefix(cred, "AKIAIOSFODNN7EXAMPLE/") || !strings.HasSuffix(cred, "/"+awstest.Region+"/rds-db/aws4_request") {
		t.Errorf("token X-Amz-Credential %q: want the access key, the region and the rds-db service", obs.Redact(cred))
	}
	if _, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err != nil {
		t.Errorf("token X-Amz-Date: %v", err)
	}
	if len(q.Get("X-Amz-Signature")) != 64 {
		t.Errorf("token signature has %d characters, want 64 hex digits", len(q.Get("X-Amz-Signature")))
	}
	if creds.n.Load() != 1 {
		t.Errorf("%d credential retrievals for one token", creds.n.Load())
	}
	if _, _, err := res.Credentials.Get(context.Background()); err != nil || creds.n.Load() != 2 {
		t.Errorf("a second Get made no new token (%d retrievals, %v)", creds.n.Load(), err)
	}
	if err := res.Credentials.Refused(context.Background(), tok); err == nil || !strings.Contains(err.Error(), "rds_iam") || strings.Contains(err.Error(), tok) {
		t.Errorf("Refused: %v", obs.RedactError(err))
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	r, _ := iamResolver()
	for _, tc := range []struct{ url, want string }{
		{"sqlite://./x.db?secret=s", "postgres:// and mysql://"},
		{"postgres://u@h/d?auth=kerberos", `auth="kerberos" is unknown`},
		{"postgres://u@h/d?auth=iam&secret=s", "not both"},
		{"postgres://u@h/d?secret=", "ARN or name"},
		{"postgres://u@h/d?secret=a&secret=b", "once each"},
		{"postgres://u:hunter2@h/d?auth=iam", "remove it from the URL"},
		{"postgres://h/d?auth=iam", "needs the database user"},
		{"postgres://u@/d?auth=iam", "needs the database host"},
		{"postgres://u@h/d?auth=iam&sslmode=prefer", "needs TLS"},
		{"mysql://u@h/d?auth=iam&tls=false", "needs TLS"},
		{"postgres://u@h/d?secret=arn:aws:secretsmanager:eu-west-1:1:secret:x", "no AWS Secrets Manager client"},
	} {
		_, err := r.Resolve(context.Background(), tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.url, err, tc.want)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", tc.url, err)
		}
	}
	noAWS := dburl.NewResolver(dburl.Options{})
	if _, err := noAWS.Resolve(context.Background(), "postgres://u@h/d?auth=iam"); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("auth=iam without AWS: %v", err)
	}
}
