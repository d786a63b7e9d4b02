// Package mysql is the MySQL and MariaDB sink (go-sql-driver/mysql). Rows are
// streamed from memory with LOAD DATA LOCAL INFILE (a registered reader, never a
// temporary file) into a temporary staging table, then applied with
// INSERT … SELECT (append), INSERT … ON DUPLICATE KEY UPDATE (merge) or
// DELETE + INSERT (replace) in one InnoDB transaction together with the file
// ledger, the dataset catalog and the run record.
//
// MySQL commits implicitly before any DDL on a real table (and even before an
// ALTER of a temporary one). So: staged columns are untyped (LONGTEXT) and never
// altered; the target's schema changes (CREATE TABLE, ADD COLUMN, MODIFY for a
// safe widening) run at the start of Apply, before any row moves, and the session
// runs with autocommit off so that the rows, the ledger and the run still commit
// together afterwards. A crash can therefore leave a created table or an added
// nullable column behind, never a partial load. Replace with a new schema builds
// the new table beside the old one and swaps them with one atomic RENAME TABLE at
// commit time.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/sink"
)

func init() {
	// The driver logs lost connections on its own; Sluice returns them as errors.
	mysql.SetLogger(log.New(io.Discard, "", 0))
}

// DB is a MySQL or MariaDB database that Sluice loads into.
type DB struct {
	db  *sql.DB
	cat *catalog.Catalog
}

var _ sink.DB = (*DB)(nil)

// sqlMode makes bad values errors instead of silent truncations, and lets
// identifiers be double-quoted as in the other databases.
const sqlMode = "'ANSI_QUOTES,STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"

// DSN turns mysql://user:pass@host:3306/db?tls=true&statement_timeout=30s into a
// go-sql-driver DSN. tls takes true, skip-verify or preferred;
// statement_timeout becomes MariaDB's max_statement_time.
func DSN(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "mysql" {
		return "", fmt.Errorf("bad MySQL URL: write mysql://user:password@host:3306/database")
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = u.Hostname() + ":3306"
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.AllowAllFiles = false
	cfg.Params = map[string]string{"sql_mode": sqlMode, "time_zone": "'+00:00'", "charset": "utf8mb4"}
	cfg.Collation = "utf8mb4_bin"
	cfg.Timeout = 10 * time.Second
	q := u.Query()
	if v := q.Get("tls"); v != "" {
		cfg.TLSConfig = v
	}
	if v := q.Get("statement_timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return "", fmt.Errorf("bad statement_timeout %q: write a duration such as 30s", v)
		}
		cfg.Params["max_statement_time"] = strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	}
	return cfg.FormatDSN(), nil
}

// Open connects to the database and migrates Sluice's tables.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	dsn, err := DSN(rawURL)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(4)
	d := &DB{db: db, cat: catalog.New(db, catalog.MySQL)}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) migrate(ctx context.Context) error {
	var have int
	if err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM sluice_migrations`).Scan(&have); err == nil && have == len(catalog.MySQL.Migrations) {
		return nil
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return classify(fmt.Errorf("connecting to MySQL: %w", err))
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('sluice:migrate', 60)").Scan(&got); err != nil || got.Int64 != 1 {
		return classify(fmt.Errorf("locking the Sluice schema for its migration: %v", err))
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('sluice:migrate')")
	return d.cat.Migrate(ctx, conn)
}

// Catalog returns Sluice's own tables.
func (d *DB) Catalog() *catalog.Catalog { return d.cat }

// SQL returns the database handle.
func (d *DB) SQL() *sql.DB { return d.db }

// Close closes the connections.
func (d *DB) Close() error { return d.db.Close() }

// lockName is the GET_LOCK name of a pipeline (at most 64 characters).
func lockName(pipeline string) string {
	n := "sluice:" + pipeline
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

// Begin takes the pipeline's named lock (GET_LOCK), records which run holds it,
// and starts the run's transaction with autocommit off.
func (d *DB) Begin(ctx context.Context, pipeline, runID string, lockWait time.Duration) (sink.Tx, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, classify(fmt.Errorf("connecting to MySQL: %w", err))
	}
	secs := int((lockWait + time.Second - 1) / time.Second)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lockName(pipeline), secs).Scan(&got); err != nil {
		conn.Close()
		return nil, classify(fmt.Errorf("locking pipeline %s: %w", pipeline, err))
	}
	if got.Int64 != 1 {
		holder := "another run"
		var id string
		if err := d.db.QueryRowContext(ctx, `SELECT run_id FROM sluice_locks WHERE pipeline = ?`, pipeline).Scan(&id); err == nil {
			holder = "run " + id
		}
		conn.Close()
		return nil, fmt.Errorf("%w: %s holds the lock of pipeline %s; waited %ds", sink.ErrLocked, holder, pipeline, secs)
	}
	t := &tx_{d: d, conn: conn, pipeline: pipeline}
	if _, err := conn.ExecContext(ctx, `REPLACE INTO sluice_locks (pipeline, run_id, since) VALUES (?, ?, ?)`, pipeline, runID, time.Now().UTC()); err != nil {
		t.release(ctx)
		return nil, classify(fmt.Errorf("recording the lock of pipeline %s: %w", pipeline, err))
	}
	// Off, so that the implicit commit of a DDL statement starts a new transaction
	// instead of leaving the rest of the run in autocommit.
	if _, err := conn.ExecContext(ctx, "SET autocommit = 0"); err != nil {
		t.release(ctx)
		return nil, classify(err)
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		t.release(ctx)
		return nil, classify(fmt.Errorf("starting the run's transaction: %w", err))
	}
	t.tx = tx
	return t, nil
}

// classify marks errors that a retry of the whole run may not meet again.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1213, 1205, 2006, 2013, 1927: // deadlock, lock wait timeout, gone away, lost connection, connection killed
			return sink.Transient(err)
		}
		return err
	}
	var ne net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) {
		return sink.Transient(err)
	}
	return err
}
