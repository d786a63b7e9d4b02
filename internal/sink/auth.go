package sink

import (
	"context"
	"database/sql/driver"
	"fmt"
)

// Credentials give each new connection its user and password when the
// database URL does not hold them: a Secrets Manager secret (which rotation
// may change at any time) or RDS IAM tokens (which expire). dburl.Credentials
// implements it.
type Credentials interface {
	// Get returns the user and password for a connection about to be opened.
	Get(ctx context.Context) (user, password string, err error)
	// Refused is told that the database refused password. A nil error means
	// that newer credentials exist (a rotated secret, fetched again) and one
	// more attempt may succeed; otherwise the error says what to do.
	Refused(ctx context.Context, password string) error
}

type loginKey struct{}

type login struct{ user, password string }

// Login returns the user and password that an AuthConnector chose for the
// connection being opened with ctx. A driver's before-connect hook copies them
// into its configuration.
func Login(ctx context.Context) (user, password string, ok bool) {
	l, ok := ctx.Value(loginKey{}).(login)
	return l.user, l.password, ok
}

// AuthConnector opens connections with credentials from a Credentials: each
// connection asks for them anew, and a connection refused for its password is
// tried once more when newer credentials exist, so that a rotated secret heals
// on the next connection instead of failing every run until a restart.
type AuthConnector struct {
	next    driver.Connector
	creds   Credentials
	refused func(error) bool
}

var _ driver.Connector = (*AuthConnector)(nil)

// NewAuthConnector wraps next, whose before-connect hook reads Login.
// refused reports whether the driver's error is an authentication failure
// (PostgreSQL SQLSTATE 28P01 or 28000, MySQL error 1045).
func NewAuthConnector(next driver.Connector, creds Credentials, refused func(error) bool) *AuthConnector {
	return &AuthConnector{next: next, creds: creds, refused: refused}
}

// Connect opens a connection with the current credentials, and once more with
// newer ones when the database refused them.
func (a *AuthConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, password, err := a.connect(ctx)
	if err == nil || !a.refused(err) {
		return conn, err
	}
	if rerr := a.creds.Refused(ctx, password); rerr != nil {
		return nil, fmt.Errorf("%w; %w", err, rerr)
	}
	conn, _, err = a.connect(ctx)
	if err != nil && a.refused(err) {
		return nil, fmt.Errorf("%w (also with the credentials fetched again after the first refusal)", err)
	}
	return conn, err
}

func (a *AuthConnector) connect(ctx context.Context) (driver.Conn, string, error) {
	user, password, err := a.creds.Get(ctx)
	if err != nil {
		return nil, "", err
	}
	conn, err := a.next.Connect(context.WithValue(ctx, loginKey{}, login{user, password}))
	return conn, password, err
}

// Driver returns the wrapped connector's driver.
func (a *AuthConnector) Driver() driver.Driver { return a.next.Driver() }
