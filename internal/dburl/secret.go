package dburl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// secret is one cached Secrets Manager secret.
type secret struct {
	id  string
	get SecretGetter

	mu     sync.Mutex
	loaded bool
	v      secretValue
}

// secretValue is a secret in the JSON form of RDS and the CDK.
type secretValue struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Host     string    `json:"host"`
	Port     portValue `json:"port"`
	DBName   string    `json:"dbname"`
	Engine   string    `json:"engine"`
}

var errBadPort = errors.New("port is not a number from 1 to 65535")

// portValue is a port given as a number (as RDS writes it) or as a string.
type portValue string

// UnmarshalJSON accepts 5432 and "5432".
func (p *portValue) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*p = ""
		return nil
	}
	if n, err := strconv.Atoi(s); err != nil || n <= 0 || n > 65535 {
		return errBadPort
	}
	*p = portValue(s)
	return nil
}

// secret returns the cached secret id, fetching it the first time.
func (r *Resolver) secret(ctx context.Context, id string) (*secret, secretValue, error) {
	r.mu.Lock()
	s := r.secrets[id]
	if s == nil {
		s = &secret{id: id, get: r.opts.Secrets}
		r.secrets[id] = s
	}
	r.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		v, err := s.fetch(ctx)
		if err != nil {
			return nil, secretValue{}, err
		}
		s.v, s.loaded = v, true
	}
	return s, s.v, nil
}

// fetch reads and decodes the secret's current value.
func (s *secret) fetch(ctx context.Context) (secretValue, error) {
	out, err := s.get.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.id)})
	if err != nil {
		return secretValue{}, fetchError(s.id, err)
	}
	raw := []byte(aws.ToString(out.SecretString))
	if out.SecretString == nil {
		raw = out.SecretBinary
	}
	var v secretValue
	if err := json.Unmarshal(raw, &v); err != nil {
		// The decoder's message may quote part of the secret: say where, not what.
		where := ""
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			where = fmt.Sprintf(" (bad JSON at byte %d)", se.Offset)
		case errors.As(err, &te):
			where = fmt.Sprintf(" (field %q is not a %s)", te.Field, te.Type)
		case errors.Is(err, errBadPort):
			where = " (" + errBadPort.Error() + ")"
		}
		return secretValue{}, fmt.Errorf("secret %s is not the JSON that RDS writes, {\"username\": …, \"password\": …, \"host\": …, \"port\": …, \"dbname\": …}%s; store the database credentials in that form", s.id, where)
	}
	if v.Username == "" || v.Password == "" {
		return secretValue{}, fmt.Errorf("secret %s has no \"username\" or no \"password\"; store the database credentials as RDS does: {\"username\": …, \"password\": …, \"host\": …, \"port\": …, \"dbname\": …}", s.id)
	}
	return v, nil
}

// fetchError explains a failed GetSecretValue and what to do about it.
func fetchError(id string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException":
			return fmt.Errorf("reading secret %s: access denied; allow secretsmanager:GetSecretValue on it to this function's role (and kms:Decrypt when a customer managed KMS key encrypts it): %w", id, err)
		case "ResourceNotFoundException":
			return fmt.Errorf("reading secret %s: no such secret in this account and region; check the ARN or name and AWS_REGION: %w", id, err)
		case "DecryptionFailure":
			return fmt.Errorf("reading secret %s: Secrets Manager cannot decrypt it; allow kms:Decrypt on its KMS key to this function's role: %w", id, err)
		case "InvalidRequestException":
			return fmt.Errorf("reading secret %s: the secret cannot be read now (is it scheduled for deletion?): %w", id, err)
		}
	}
	return fmt.Errorf("reading secret %s from AWS Secrets Manager (check the network path to Secrets Manager, e.g. a VPC endpoint, and the AWS credentials): %w", id, err)
}

// refused fetches the secret again after the database refused password. It
// returns nil when the secret now holds other credentials.
func (s *secret) refused(ctx context.Context, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && s.v.Password != password {
		return nil // another connection fetched the rotated secret already
	}
	v, err := s.fetch(ctx)
	if err != nil {
		return fmt.Errorf("fetching secret %s again after the database refused its password: %w", s.id, err)
	}
	if v.Password == password && v.Username == s.v.Username {
		return fmt.Errorf("secret %s, fetched again, still holds the refused password: make the password of database user %q the secret's (or rotate the secret)", s.id, v.Username)
	}
	s.v, s.loaded = v, true
	return nil
}

// login returns the cached user and password.
func (s *secret) login() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.v.Username, s.v.Password
}
