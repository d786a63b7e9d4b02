package source

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Config says how to reach S3. The zero value uses the standard AWS chain
// (environment, shared config and profile, the Lambda function's or the
// instance's role), whose own sources the SDK reads; the fields override it.
type S3Config struct {
	// Region of the bucket. Default: from the chain (AWS_REGION, the profile).
	Region string
	// Endpoint is the URL of an S3-compatible server (MinIO, LocalStack, a test
	// server). Default: AWS, or what the chain names (AWS_ENDPOINT_URL_S3,
	// AWS_ENDPOINT_URL). Whenever an endpoint is set, from here or from the
	// chain, requests use path-style addressing (http://host/bucket/key), which
	// every S3-compatible server understands.
	Endpoint string
	// Profile names a shared config profile. Default: the chain's (AWS_PROFILE).
	Profile string
	// AccessKeyID, SecretAccessKey and SessionToken are static credentials, used
	// when AccessKeyID is set. Default: the chain's credentials.
	AccessKeyID, SecretAccessKey, SessionToken string
	// MaxAttempts bounds the attempts of one request (the first and its
	// retries). Throttling (503 SlowDown), 5xx answers and broken connections
	// are retried with exponential backoff and jitter. Default 6.
	MaxAttempts int
	// MaxBackoff caps the wait between two attempts. Default 20s.
	MaxBackoff time.Duration
}

// DefaultS3MaxAttempts is S3Config.MaxAttempts' default.
const DefaultS3MaxAttempts = 6

// NewS3Client builds an S3 client from the AWS config chain and cfg.
func NewS3Client(ctx context.Context, cfg S3Config) (*s3.Client, error) {
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultS3MaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				if cfg.MaxBackoff > 0 {
					o.MaxBackoff = cfg.MaxBackoff
				}
			})
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration for S3: %w", err)
	}
	if awsCfg.Region == "" {
		// S3 needs a region to sign; a custom endpoint rarely cares which.
		if cfg.Endpoint == "" {
			return nil, fmt.Errorf("no AWS region is configured for S3: set AWS_REGION to the bucket's region")
		}
		awsCfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Objects without a checksum (most of them, and every ranged read) would
		// each print a line to stderr, outside Sluice's logs.
		o.DisableLogOutputChecksumValidationSkipped = true
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		if o.BaseEndpoint != nil { // set here or by the chain (AWS_ENDPOINT_URL_S3)
			o.UsePathStyle = true
		}
	}), nil
}
