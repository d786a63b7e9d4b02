// Package dburl resolves Sluice's database URLs into what a driver needs.
// Two query parameters are Sluice's own and never reach the driver:
//
//   - secret=<ARN or name> takes the credentials from an AWS Secrets Manager
//     secret in the JSON form that RDS and the CDK generate
//     ({"username","password","host","port","dbname","engine"}). Its username and
//     password always replace the URL's; its host, port and dbname fill in only
//     what the URL leaves empty, so an RDS Proxy endpoint in the URL wins over
//     the instance's host in the secret. The secret is fetched once per Resolver
//     (one per process) and fetched again only when the database refuses its
//     password: rotation heals on the next connection.
//   - auth=iam makes a fresh RDS IAM authentication token, signed with the AWS
//     credentials, the password of each new connection (tokens live 15 minutes;
//     an open connection outlives its token). The URL names the database user
//     and no password. The token travels in clear inside the protocol, so TLS is
//     required: sslmode=require is added to a PostgreSQL URL without sslmode,
//     tls=true to a MySQL URL without tls, and weaker settings are refused.
//
// Both give each new connection its credentials through a Credentials, so no
// password or token ever sits in a URL that could be printed.
package dburl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretGetter is the part of the Secrets Manager client that a Resolver uses.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Options configure a Resolver. At their zero value only URLs without secret=
// and auth=iam resolve.
type Options struct {
	// Secrets fetches the secrets of secret=; nil makes such URLs an error.
	Secrets SecretGetter
	// Region is the AWS region that IAM tokens are signed for; "" makes
	// auth=iam an error.
	Region string
	// Credentials sign IAM tokens; nil makes auth=iam an error.
	Credentials aws.CredentialsProvider
}

// Resolver resolves database URLs and caches the secrets they name. It is safe
// for concurrent use; a process keeps one, so that each secret is fetched once.
type Resolver struct {
	opts Options

	mu      sync.Mutex
	secrets map[string]*secret
}

// NewResolver returns a Resolver with an empty cache.
func NewResolver(opts Options) *Resolver {
	return &Resolver{opts: opts, secrets: map[string]*secret{}}
}

// Resolved is a database URL ready for a driver.
type Resolved struct {
	// URL is the database URL without secret and auth; with a secret it names
	// the secret's user and, where the URL left them empty, its host, port and
	// database. It holds no password from a secret or a token.
	URL string
	// Credentials give each new connection its user and password; nil when the
	// URL carries its own.
	Credentials *Credentials
	// IAM is set for auth=iam: a MySQL driver must then send the token with
	// the mysql_clear_password plugin (over TLS, which the URL now requires).
	IAM bool
}

// NeedsAWS reports whether rawURL has a secret or auth parameter, so that a
// caller loads the AWS configuration only when a URL needs it.
func NeedsAWS(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	q := u.Query()
	return q.Has("secret") || q.Has("auth")
}

// engineOf maps a URL scheme to the engine family of a secret's "engine".
func engineOf(scheme string) string {
	switch scheme {
	case "postgres", "postgresql":
		return "postgres"
	case "mysql":
		return "mysql"
	}
	return ""
}

// Resolve turns rawURL into a URL for the driver and, for secret= or auth=iam,
// the Credentials of its connections. A URL without either comes back as it
// is. Resolving a secret's URL fetches the secret unless this Resolver already
// holds it.
func (r *Resolver) Resolve(ctx context.Context, rawURL string) (*Resolved, error) {
	if !NeedsAWS(rawURL) {
		return &Resolved{URL: rawURL}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad database URL: %w", err)
	}
	family := engineOf(u.Scheme)
	if family == "" {
		return nil, fmt.Errorf("database URL %s: secret= and auth= work with postgres:// and mysql:// URLs only", u.Redacted())
	}
	q := u.Query()
	if len(q["secret"]) > 1 || len(q["auth"]) > 1 {
		return nil, fmt.Errorf("database URL %s: give secret= and auth= once each", u.Redacted())
	}
	secretID, auth := q.Get("secret"), q.Get("auth")
	q.Del("secret")
	q.Del("auth")
	switch {
	case auth != "" && auth != "iam":
		return nil, fmt.Errorf("database URL %s: auth=%q is unknown; write auth=iam for RDS IAM authentication, or leave it out", u.Redacted(), auth)
	case auth == "iam" && secretID != "":
		return nil, fmt.Errorf("database URL %s: use either secret= (a password from Secrets Manager) or auth=iam (RDS IAM tokens), not both", u.Redacted())
	case auth == "" && secretID == "":
		return nil, fmt.Errorf("database URL %s: secret= needs the ARN or name of a Secrets Manager secret", u.Redacted())
	}
	if auth == "iam" {
		return r.resolveIAM(u, q, family)
	}
	return r.resolveSecret(ctx, u, q, family, secretID)
}

// resolveSecret fills u from the secret and returns the secret's credentials.
func (r *Resolver) resolveSecret(ctx context.Context, u *url.URL, q url.Values, family, id string) (*Resolved, error) {
	if r.opts.Secrets == nil {
		return nil, fmt.Errorf("database URL names secret %s, but no AWS Secrets Manager client is configured", id)
	}
	s, v, err := r.secret(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Engine != "" && engineFamily(v.Engine) != "" && engineFamily(v.Engine) != family {
		return nil, fmt.Errorf("secret %s is for a %s database (engine %q), but the URL is %s://; name the secret of this database", id, engineFamily(v.Engine), v.Engine, u.Scheme)
	}
	u.User = url.User(v.Username)
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = v.Host
	}
	if port == "" && v.Port != "" {
		port = string(v.Port)
	}
	if host == "" {
		return nil, fmt.Errorf("database URL %s: neither the URL nor secret %s names the database host; add it to the URL", redactedURL(u, q), id)
	}
	u.Host = host
	if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	}
	if strings.Trim(u.Path, "/") == "" && v.DBName != "" {
		u.Path = "/" + v.DBName
	}
	u.RawQuery = q.Encode()
	return &Resolved{URL: u.String(), Credentials: &Credentials{secret: s}}, nil
}

// engineFamily maps a secret's engine (postgres, aurora-postgresql, mysql,
// mariadb, aurora-mysql, aurora) to the URL family; "" when unknown.
func engineFamily(engine string) string {
	e := strings.ToLower(engine)
	switch {
	case strings.Contains(e, "postgres"):
		return "postgres"
	case strings.Contains(e, "mysql"), strings.Contains(e, "mariadb"), e == "aurora":
		return "mysql"
	}
	return ""
}

// resolveIAM checks u for IAM tokens and returns their credentials.
func (r *Resolver) resolveIAM(u *url.URL, q url.Values, family string) (*Resolved, error) {
	red := redactedURL(u, q)
	if r.opts.Region == "" || r.opts.Credentials == nil {
		return nil, fmt.Errorf("database URL %s: auth=iam signs tokens with AWS credentials for a region; set AWS_REGION (Lambda sets it) and give the process AWS credentials", red)
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, fmt.Errorf("database URL %s: auth=iam needs the database user in the URL, as in %s://sluice@host/db?auth=iam", red, u.Scheme)
	}
	if _, ok := u.User.Password(); ok {
		return nil, fmt.Errorf("database URL %s: auth=iam makes the password; remove it from the URL", red)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("database URL %s: auth=iam needs the database host (the instance, cluster or RDS Proxy endpoint) in the URL", red)
	}
	port := u.Port()
	switch family {
	case "postgres":
		if port == "" {
			port = "5432"
		}
		switch m := q.Get("sslmode"); m {
		case "":
			q.Set("sslmode", "require")
		case "disable", "allow", "prefer":
			return nil, fmt.Errorf("database URL %s: auth=iam sends a token that is as good as a password for 15 minutes, so it needs TLS: use sslmode=require or verify-full, not %s", red, m)
		}
	case "mysql":
		if port == "" {
			port = "3306"
		}
		switch m := q.Get("tls"); m {
		case "":
			q.Set("tls", "true")
		case "false", "preferred":
			return nil, fmt.Errorf("database URL %s: auth=iam sends a token that is as good as a password for 15 minutes in clear text, so it needs TLS: use tls=true or tls=skip-verify, not %s", red, m)
		}
	}
	u.RawQuery = q.Encode()
	return &Resolved{
		URL: u.String(),
		IAM: true,
		Credentials: &Credentials{iam: &iamToken{
			endpoint: net.JoinHostPort(u.Hostname(), port),
			region:   r.opts.Region,
			user:     u.User.Username(),
			creds:    r.opts.Credentials,
		}},
	}, nil
}

// redactedURL is u with query q, for messages: without a password.
func redactedURL(u *url.URL, q url.Values) string {
	c := *u
	c.RawQuery = q.Encode()
	return c.Redacted()
}

// errNoCredentials is returned by a zero Credentials.
var errNoCredentials = errors.New("dburl: Credentials not made by Resolve")
