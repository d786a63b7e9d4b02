package dburl

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// Credentials give each new connection of a resolved URL its user and
// password: those of a cached secret, or a fresh RDS IAM token. They
// implement sink.Credentials.
type Credentials struct {
	secret *secret
	iam    *iamToken
}

// iamToken makes RDS IAM authentication tokens for one user and endpoint.
type iamToken struct {
	endpoint, region, user string
	creds                  aws.CredentialsProvider
}

// Get returns the user and password for a new connection: the secret's, as
// last fetched, or the URL's user and a new IAM token.
func (c *Credentials) Get(ctx context.Context) (user, password string, err error) {
	switch {
	case c == nil:
		return "", "", errNoCredentials
	case c.secret != nil:
		u, p := c.secret.login()
		return u, p, nil
	case c.iam != nil:
		tok, err := auth.BuildAuthToken(ctx, c.iam.endpoint, c.iam.region, c.iam.user, c.iam.creds)
		if err != nil {
			return "", "", fmt.Errorf("making an RDS IAM token for database user %q at %s (check the AWS credentials): %w", c.iam.user, c.iam.endpoint, err)
		}
		return c.iam.user, tok, nil
	}
	return "", "", errNoCredentials
}

// Refused is told that the database refused password. For a secret it fetches
// the secret again, once, and returns nil when the secret changed (a rotation):
// the caller then connects again. A refused IAM token is not a matter of
// freshness, so the error says what to set up instead.
func (c *Credentials) Refused(ctx context.Context, password string) error {
	switch {
	case c == nil:
		return errNoCredentials
	case c.secret != nil:
		return c.secret.refused(ctx, password)
	case c.iam != nil:
		return fmt.Errorf("the database refused the RDS IAM token of user %q at %s: turn on IAM authentication on the instance, cluster or RDS Proxy, enable it for the user (PostgreSQL: GRANT rds_iam TO %s; MySQL: CREATE USER … IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'), and allow rds-db:connect on that user to this function's role; the token is signed for region %s", c.iam.user, c.iam.endpoint, c.iam.user, c.iam.region)
	}
	return errNoCredentials
}

// String names where the credentials come from, for messages: never a
// password or a token.
func (c *Credentials) String() string {
	switch {
	case c == nil:
		return "no credentials"
	case c.secret != nil:
		return "secret " + c.secret.id
	case c.iam != nil:
		return fmt.Sprintf("RDS IAM tokens for user %q at %s", c.iam.user, c.iam.endpoint)
	}
	return "no credentials"
}
