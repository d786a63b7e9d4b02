package dburl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sluice-data/sluice/internal/awstest"
	"github.com/sluice-data/sluice/internal/dburl"
)

// countingSecrets counts the calls that reach the real client.
type countingSecrets struct {
	*secretsmanager.Client
	n atomic.Int32
}

func (c *countingSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.n.Add(1)
	return c.Client.GetSecretValue(ctx, in, optFns...)
}

// secrets starts moto and returns a Secrets Manager client of it.
func secrets(t *testing.T) *secretsmanager.Client {
	t.Helper()
	return secretsmanager.NewFromConfig(awstest.Config(awstest.Moto(t)))
}

// putSecret creates secret name holding v (JSON unless a string) and returns its ARN.
func putSecret(t *testing.T, sm *secretsmanager.Client, name string, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		s = string(b)
	}
	out, err := sm.CreateSecret(awstest.Context(t), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(s)})
	if err != nil {
		t.Fatalf("creating secret %s: %v", name, err)
	}
	return aws.ToString(out.ARN)
}

// updateSecret stores a new version of secret id, as a rotation does.
func updateSecret(t *testing.T, sm *secretsmanager.Client, id string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.PutSecretValue(awstest.Context(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(string(b))}); err != nil {
		t.Fatalf("updating secret %s: %v", id, err)
	}
}

func TestResolveSecret(t *testing.T) {
	t.Parallel()
	sm := secrets(t)
	ctx := awstest.Context(t)
	const password = "s3cr3t-Pa55:w0rd@/?"
	arn := putSecret(t, sm, "prod/sluice/db", map[string]any{
		"username": "app", "password": password, "engine": "postgres",
		"host": "instance.abc.eu-west-1.rds.amazonaws.com", "port": 5432, "dbname": "shop",
	})
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:"+awstest.Region+":") {
		t.Fatalf("moto made ARN %s", arn)
	}
	mysqlARN := putSecret(t, sm, "prod/sluice/mysql", `{"username":"app","password":"pw","engine":"mariadb","host":"m.example","port":"3307"}`)
	sc := &countingSecrets{Client: sm}
	r := dburl.NewResolver(dburl.Options{Secrets: sc})
	for _, tc := range []struct{ name, in, want string }{
		{"all from the secret, by ARN", "postgres:///?secret=" + arn + "&sslmode=require", "postgres://app@instance.abc.eu-west-1.rds.amazonaws.com:5432/shop?sslmode=require"},
		{"the URL's host wins (RDS Proxy)", "postgres://proxy.example/?secret=" + arn, "postgres://app@proxy.example:5432/shop"},
		{"the URL's port and database win", "postgresql://olduser:oldpw@proxy.example:6432/other?secret=" + arn + "&statement_timeout=60000", "postgresql://app@proxy.example:6432/other?statement_timeout=60000"},
		{"by name", "postgres://?secret=prod/sluice/db", "postgres://app@instance.abc.eu-west-1.rds.amazonaws.com:5432/shop"},
		{"mysql with a string port", "mysql:///?secret=" + mysqlARN + "&tls=true", "mysql://app@m.example:3307/?tls=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Resolve(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.URL != tc.want || res.IAM || res.Credentials == nil {
				t.Errorf("Resolve = %s; want %s", res.URL, tc.want)
			}
			if strings.Contains(res.URL, "s3cr3t") || strings.Contains(res.URL, "secret=") {
				t.Errorf("the resolved URL holds the password or the secret parameter: %s", res.URL)
			}
			user, pw, err := res.Credentials.Get(ctx)
			if err != nil || user != "app" || (pw != password && pw != "pw") {
				t.Errorf("Get = %q, (password of %d bytes), %v", user, len(pw), err)
			}
		})
	}
	// Two secrets, one fetch each: "by name" is cached apart from its ARN.
	if n := sc.n.Load(); n != 3 {
		t.Errorf("%d fetches for 3 distinct secret ids; want each fetched once", n)
	}
	if got := fmt.Sprint(mustResolve(t, r, "postgres:///?secret="+arn).Credentials); got != "secret "+arn {
		t.Errorf("String() = %s", got)
	}
	if n := sc.n.Load(); n != 3 {
		t.Errorf("resolving a cached secret fetched it again (%d fetches)", n)
	}
}

func mustResolve(t *testing.T, r *dburl.Resolver, u string) *dburl.Resolved {
	t.Helper()
	res, err := r.Resolve(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSecretErrors(t *testing.T) {
	t.Parallel()
	sm := secrets(t)
	const password = "Tr0ub4dor-and-3"
	for _, tc := range []struct{ name, value, url, want string }{
		{"not JSON", "user=app password=" + password, "postgres://h/d", "not the JSON that RDS writes"},
		{"no password", `{"username":"app"}`, "postgres://h/d", `no "username" or no "password"`},
		{"bad port", `{"username":"app","password":"` + password + `","port":"x` + password + `"}`, "postgres://h/d", "port is not a number"},
		{"wrong type", `{"username":"app","password":["` + password + `"]}`, "postgres://h/d", `field "password"`},
		{"other engine", `{"username":"app","password":"` + password + `","engine":"mysql"}`, "postgres://h/d", "is for a mysql database"},
		{"no host anywhere", `{"username":"app","password":"` + password + `"}`, "postgres:///d", "names the database host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "errors/" + strings.ReplaceAll(tc.name, " ", "-")
			arn := putSecret(t, sm, name, tc.value)
			_, err := dburl.NewResolver(dburl.Options{Secrets: sm}).Resolve(context.Background(), tc.url+"?secret="+arn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one saying %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), arn) {
				t.Errorf("the error does not name the secret: %v", err)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("the error shows the password")
			}
		})
	}
	t.Run("missing secret", func(t *testing.T) {
		missing := "arn:aws:secretsmanager:" + awstest.Region + ":" + awstest.Account + ":secret:nope-AbCdEf"
		_, err := dburl.NewResolver(dburl.Options{Secrets: sm}).Resolve(context.Background(), "postgres://h/d?secret="+missing)
		if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "no such secret") {
			t.Errorf("error %v; want one naming the secret and saying it does not exist", err)
		}
	})
}

// TestSecretRefused covers the re-fetch after a refusal without a database:
// a rotated secret allows one more attempt, an unchanged one explains itself.
func TestSecretRefused(t *testing.T) {
	t.Parallel()
	sm := secrets(t)
	ctx := awstest.Context(t)
	arn := putSecret(t, sm, "rotating", map[string]any{"username": "app", "password": "old-pw", "host": "h"})
	sc := &countingSecrets{Client: sm}
	res := mustResolve(t, dburl.NewResolver(dburl.Options{Secrets: sc}), "postgres:///d?secret="+arn)
	err := res.Credentials.Refused(ctx, "old-pw")
	if err == nil || !strings.Contains(err.Error(), arn) || !strings.Contains(err.Error(), "still holds the refused password") || strings.Contains(err.Error(), "old-pw") {
		t.Errorf("refused with an unchanged secret: %v", err)
	}
	if n := sc.n.Load(); n != 2 {
		t.Errorf("%d fetches; want the first and one after the refusal", n)
	}
	updateSecret(t, sm, arn, map[string]any{"username": "app", "password": "new-pw", "host": "h"})
	if err := res.Credentials.Refused(ctx, "old-pw"); err != nil {
		t.Errorf("refused after a rotation: %v", err)
	}
	if _, pw, _ := res.Credentials.Get(ctx); pw != "new-pw" {
		t.Errorf("after the rotation Get gives the old password")
	}
	// A second connection refused with the old password finds the new one
	// cached and retries without fetching again.
	if err := res.Credentials.Refused(ctx, "old-pw"); err != nil || sc.n.Load() != 3 {
		t.Errorf("a second refusal of the old password: %v, %d fetches; want a retry and no new fetch", err, sc.n.Load())
	}
}
