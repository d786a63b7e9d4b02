package cli

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sluice-data/sluice/internal/dburl"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/postgres"
	"github.com/sluice-data/sluice/internal/source"
)

// dbOptions tune openDB. The zero value suits a long-lived process.
type dbOptions struct {
	// Lambda caps the pool at lambdaMaxConns connections: an AWS Lambda
	// execution environment serves one invocation at a time and keeps its
	// connections from one invocation to the next, and many environments
	// share the database (or its RDS Proxy). Default off: no cap.
	Lambda bool
}

// lambdaMaxConns is the pool size in Lambda: a run's transaction and the
// catalog beside it.
const lambdaMaxConns = 2

func (o dbOptions) maxConns() int {
	if o.Lambda {
		return lambdaMaxConns
	}
	return 0
}

// dbResolver is the process's resolver of database URLs: it holds the
// Secrets Manager secrets that the URLs name, so that a Lambda execution
// environment fetches a secret once and not at every invocation.
var dbResolver struct {
	mu sync.Mutex
	r  *dburl.Resolver
}

// resolveDB resolves the secret= and auth= parameters of a database URL,
// loading the standard AWS configuration (environment, shared files, the
// Lambda role) the first time a URL needs it.
func resolveDB(ctx context.Context, u string) (*dburl.Resolved, error) {
	if !dburl.NeedsAWS(u) {
		return &dburl.Resolved{URL: u}, nil
	}
	dbResolver.mu.Lock()
	r := dbResolver.r
	if r == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			dbResolver.mu.Unlock()
			return nil, fmt.Errorf("database URL %s needs AWS: loading the AWS configuration: %w", source.Redact(u), err)
		}
		r = dburl.NewResolver(dburl.Options{
			Secrets:     secretsmanager.NewFromConfig(cfg),
			Region:      cfg.Region,
			Credentials: cfg.Credentials,
		})
		dbResolver.r = r
	}
	dbResolver.mu.Unlock()
	return r.Resolve(ctx, u)
}

func openPostgres(ctx context.Context, u string, o dbOptions) (sink.DB, error) {
	res, err := resolveDB(ctx, u)
	if err != nil {
		return nil, err
	}
	opts := postgres.Options{MaxConns: o.maxConns()}
	if res.Credentials != nil {
		opts.Credentials = res.Credentials
	}
	return postgres.OpenWith(ctx, res.URL, opts)
}

func openMySQL(ctx context.Context, u string, o dbOptions) (sink.DB, error) {
	res, err := resolveDB(ctx, u)
	if err != nil {
		return nil, err
	}
	opts := mysql.Options{MaxConns: o.maxConns(), CleartextPasswords: res.IAM}
	if res.Credentials != nil {
		opts.Credentials = res.Credentials
	}
	return mysql.OpenWith(ctx, res.URL, opts)
}
