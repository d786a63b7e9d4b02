// Package postgres is the PostgreSQL sink (pgx v5). A run is one transaction on
// one connection: pg_advisory_xact_lock serialises runs of a pipeline, rows
// stream into a temporary staging table with the binary COPY protocol, and the
// target's DDL, the mode (append, merge as INSERT … ON CONFLICT, replace as a
// table swap), the file ledger, the dataset catalog and the run record commit
// together. PostgreSQL's DDL is transactional, so a crash leaves nothing behind.
//
// Connection URLs are libpq's (postgres://user:pass@host:5432/db?sslmode=verify-full);
// any other query parameter is a session setting, so statement_timeout=60000 or
// lock_timeout work as in PostgreSQL.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/sink"
)

// DB is a PostgreSQL database that Sluice loads into.
type DB struct {
	db  *sql.DB
	cat *catalog.Catalog
}

var _ sink.DB = (*DB)(nil)

// Options tune the connections of a DB. The zero value is Open's.
type Options struct {
	// MaxConns caps the open connections; 0 leaves them unlimited. In AWS
	// Lambda an execution environment serves one invocation at a time and
	// needs 2: a run's transaction and the catalog beside it.
	MaxConns int
	// Credentials give each new connection its user and password (a Secrets
	// Manager secret, RDS IAM tokens); nil uses the URL's.
	Credentials sink.Credentials
}

// Open connects to the database at rawURL and migrates Sluice's schema.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	return OpenWith(ctx, rawURL, Options{})
}

// OpenWith is Open with options. Idle connections are kept without a time
// limit: in Lambda they survive from one invocation to the next of an
// execution environment, and one idle for more than a second is pinged before
// reuse (pgx's stdlib default), so a connection that the server or RDS Proxy
// closed meanwhile is replaced instead of failing the run.
func OpenWith(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad PostgreSQL URL: %w", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "sluice"
	}
	var conn driver.Connector
	if opts.Credentials != nil {
		conn = sink.NewAuthConnector(stdlib.GetConnector(*cfg, stdlib.OptionBeforeConnect(login)), opts.Credentials, refused)
	} else {
		conn = stdlib.GetConnector(*cfg)
	}
	db := sql.OpenDB(conn)
	idle := 4
	if opts.MaxConns > 0 {
		db.SetMaxOpenConns(opts.MaxConns)
		idle = min(idle, opts.MaxConns)
	}
	db.SetMaxIdleConns(idle)
	d := &DB{db: db, cat: catalog.New(db, catalog.Postgres)}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// login sets the user and password that sink.AuthConnector chose.
func login(ctx context.Context, cfg *pgx.ConnConfig) error {
	if user, password, ok := sink.Login(ctx); ok {
		cfg.User, cfg.Password = user, password
	}
	return nil
}

// refused reports whether the server refused the connection's credentials:
// invalid_password, or invalid_authorization_specification (among others a
// user without the rds_iam role, or no pg_hba.conf entry).
func refused(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "28P01" || pe.Code == "28000")
}

func (d *DB) migrate(ctx context.Context) error {
	var have int
	err := d.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM sluice.migrations").Scan(&have)
	switch {
	case err == nil && have == len(catalog.Postgres.Migrations):
		return nil
	case refused(err): // a second attempt would be refused again
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(fmt.Errorf("connecting to PostgreSQL: %w", err))
	}
	defer tx.Rollback()
	// One migrator at a time, across processes.
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("sluice:migrate")); err != nil {
		return classify(fmt.Errorf("locking the Sluice schema: %w", err))
	}
	if err := d.cat.Migrate(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Catalog returns Sluice's own tables.
func (d *DB) Catalog() *catalog.Catalog { return d.cat }

// SQL returns the database handle.
func (d *DB) SQL() *sql.DB { return d.db }

// Close closes the connections.
func (d *DB) Close() error { return d.db.Close() }

// lockKey maps a lock name to the bigint of pg_advisory_xact_lock.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Begin takes the pipeline's advisory lock inside a new transaction, waiting up
// to lockWait; the session's application_name carries the run id, so a run that
// waits in vain can say which run holds the lock.
func (d *DB) Begin(ctx context.Context, pipeline, runID string, lockWait time.Duration) (sink.Tx, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, classify(fmt.Errorf("connecting to PostgreSQL: %w", err))
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, classify(fmt.Errorf("starting the run's transaction: %w", err))
	}
	t := &tx_{d: d, conn: conn, tx: tx}
	fail := func(err error) (sink.Tx, error) {
		t.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "SELECT set_config('application_name', $1, true)", "sluice run "+runID); err != nil {
		return fail(classify(err))
	}
	if lockWait <= 0 {
		lockWait = time.Millisecond
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", lockWait.Milliseconds())); err != nil {
		return fail(classify(err))
	}
	key := lockKey("sluice:pipeline:" + pipeline)
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", key); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			holder := d.lockHolder(context.WithoutCancel(ctx), key)
			return fail(fmt.Errorf("%w: %s holds the lock of pipeline %s; waited %s", sink.ErrLocked, holder, pipeline, lockWait))
		}
		return fail(classify(fmt.Errorf("locking pipeline %s: %w", pipeline, err)))
	}
	if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = 0"); err != nil {
		return fail(classify(err))
	}
	return t, nil
}

// lockHolder names the session holding an advisory lock, for error messages.
func (d *DB) lockHolder(ctx context.Context, key int64) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var app string
	err := d.db.QueryRowContext(ctx, `
SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid
LIMIT 1`, key).Scan(&app)
	if err != nil || app == "" {
		return "another run"
	}
	return strings.TrimPrefix(app, "sluice ")
}

// classify marks errors that a retry of the whole run may not meet again.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock
			return sink.Transient(err)
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // connection, admin shutdown, crash, cannot connect now
			return sink.Transient(err)
		}
		return err
	}
	var ne net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &ne) || pgconn.SafeToRetry(err) {
		return sink.Transient(err)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return sink.Transient(err)
	}
	return err
}
