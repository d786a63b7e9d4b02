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
// together afterwards. A crash can therefore leave a created table, an added
// nullable column or a widened column behind, never a partial load. Replace with
// a new schema builds the new table (t__sluice_new) beside the old one, fills it
// in the transaction, and swaps it in with one atomic RENAME TABLE at commit:
// readers see the old table until then. RENAME's own implicit commit commits the
// rows, ledger and run just before the swap; if the server dies in that instant
// the ledger is ahead of the table (the next run with a new schema drops the
// orphan, and --full-refresh repairs the table).
//
// LOAD DATA LOCAL implies IGNORE, so a value it would change (text that is not
// UTF-8, a number that does not fit) is only a warning: Write refuses any
// warning. Staged values are text and are CAST to the column types in the
// INSERT … SELECT, which strict mode checks. A text key column is VARCHAR(255)
// (InnoDB cannot index LONGTEXT); json is JSON, which MariaDB keeps as the text
// it was given (MySQL 8 normalises it: key order and spacing may differ).
// timestamptz is DATETIME(6) in UTC (every session runs with time_zone +00:00).
//
// The run's lock is GET_LOCK("sluice:<database>:<pipeline>"), held by the run's
// connection: a crash or a lost connection releases it. sluice_locks names the
// run holding it, for the message of a run that waits too long.
package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
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
	db   *sql.DB
	cat  *catalog.Catalog
	name string // the database's name: GET_LOCK names are server-wide
}

var _ sink.DB = (*DB)(nil)

// sqlMode makes bad values errors instead of silent truncations, and lets
// identifiers be double-quoted as in the other databases.
const sqlMode = "'ANSI_QUOTES,STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"

// DSN turns mysql://user:pass@host:3306/db?tls=true&statement_timeout=30s into a
// go-sql-driver DSN. The query takes tls (true, skip-verify or preferred),
// connect_timeout, read_timeout and write_timeout (durations, passed to the
// driver) and statement_timeout (MariaDB's max_statement_time; MySQL has no
// equivalent for writes and refuses the variable). Any other parameter is an
// error, so that a typo is not silently ignored.
//
// The DSN always asks for parseTime and UTC, utf8mb4 with a binary collation
// (text compares byte for byte, as in SQLite and PostgreSQL), a strict sql_mode
// with ANSI_QUOTES (identifiers in double quotes everywhere), and keeps
// multiStatements, interpolateParams and allowAllFiles off: LOAD DATA LOCAL
// reads only the readers the stage registers.
func DSN(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		return "", fmt.Errorf("bad MySQL URL %q: write mysql://user:password@host:3306/database", redact(rawURL))
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" || strings.Contains(cfg.DBName, "/") {
		return "", fmt.Errorf("bad MySQL URL %q: name one database, as in mysql://user@host:3306/database", redact(rawURL))
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.AllowAllFiles = false
	cfg.MultiStatements = false
	cfg.InterpolateParams = false
	cfg.Params = map[string]string{"sql_mode": sqlMode, "time_zone": "'+00:00'", "charset": "utf8mb4"}
	cfg.Collation = "utf8mb4_bin"
	cfg.Timeout = 10 * time.Second
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "tls":
			switch v {
			case "true", "skip-verify", "preferred", "false":
				cfg.TLSConfig = v
			default:
				return "", fmt.Errorf("bad MySQL URL: tls=%q; write tls=true, tls=skip-verify or tls=preferred", v)
			}
		case "connect_timeout", "read_timeout", "write_timeout", "statement_timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return "", fmt.Errorf("bad MySQL URL: %s=%q; write a duration such as 30s", k, v)
			}
			switch k {
			case "connect_timeout":
				cfg.Timeout = d
			case "read_timeout":
				cfg.ReadTimeout = d
			case "write_timeout":
				cfg.WriteTimeout = d
			default:
				cfg.Params["max_statement_time"] = strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
			}
		default:
			return "", fmt.Errorf("bad MySQL URL: unknown parameter %q; Sluice knows tls, connect_timeout, read_timeout, write_timeout and statement_timeout", k)
		}
	}
	return cfg.FormatDSN(), nil
}

// redact hides the password of a URL in messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// Options tune the connections of a DB. The zero value is Open's.
type Options struct {
	// MaxConns caps the open connections; 0 leaves them unlimited. In AWS
	// Lambda an execution environment serves one invocation at a time and
	// needs 2: a run's transaction and the catalog beside it.
	MaxConns int
	// Credentials give each new connection its user and password (a Secrets
	// Manager secret, RDS IAM tokens); nil uses the URL's.
	Credentials sink.Credentials
	// CleartextPasswords lets the driver send the password with the
	// mysql_clear_password plugin, which RDS IAM authentication asks for. It
	// is refused unless the URL has tls=true or tls=skip-verify. Default off.
	CleartextPasswords bool
}

// Open connects to the database and migrates Sluice's tables.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	return OpenWith(ctx, rawURL, Options{})
}

// OpenWith is Open with options. Idle connections are kept without a time
// limit: in Lambda they survive from one invocation to the next of an
// execution environment, and the driver checks that an idle connection is
// still alive before reusing it, so one that the server or RDS Proxy closed
// meanwhile is replaced instead of failing the run.
func OpenWith(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	dsn, err := DSN(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if opts.CleartextPasswords {
		if cfg.TLSConfig != "true" && cfg.TLSConfig != "skip-verify" {
			return nil, fmt.Errorf("MySQL URL %s: sending a password or IAM token in clear text needs TLS; add tls=true", redact(rawURL))
		}
		cfg.AllowCleartextPasswords = true
	}
	if opts.Credentials != nil {
		if err := cfg.Apply(mysql.BeforeConnect(login)); err != nil {
			return nil, err
		}
	}
	var conn driver.Connector
	if conn, err = mysql.NewConnector(cfg); err != nil {
		return nil, fmt.Errorf("MySQL URL %s: %w", redact(rawURL), err)
	}
	if opts.Credentials != nil {
		conn = sink.NewAuthConnector(conn, opts.Credentials, refused)
	}
	db := sql.OpenDB(conn)
	idle := 4
	if opts.MaxConns > 0 {
		db.SetMaxOpenConns(opts.MaxConns)
		idle = min(idle, opts.MaxConns)
	}
	db.SetMaxIdleConns(idle)
	d := &DB{db: db, cat: catalog.New(db, catalog.MySQL), name: cfg.DBName}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// login sets the user and password that sink.AuthConnector chose.
func login(ctx context.Context, cfg *mysql.Config) error {
	if user, password, ok := sink.Login(ctx); ok {
		cfg.User, cfg.Passwd = user, password
	}
	return nil
}

// refused reports whether the server refused the connection's credentials
// (ER_ACCESS_DENIED_ERROR).
func refused(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1045
}

func (d *DB) migrate(ctx context.Context) error {
	var have int
	err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM sluice_migrations`).Scan(&have)
	switch {
	case err == nil && have == len(catalog.MySQL.Migrations):
		return nil
	case refused(err): // a second attempt would be refused again
		return fmt.Errorf("connecting to MySQL: %w", err)
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return classify(fmt.Errorf("connecting to MySQL: %w", err))
	}
	defer conn.Close()
	var got sql.NullInt64
	lock := lockName(d.name, "")
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", lock).Scan(&got); err != nil {
		return classify(fmt.Errorf("locking the Sluice schema for its migration: %w", err))
	}
	if got.Int64 != 1 {
		return fmt.Errorf("another process has been migrating the Sluice schema of database %s for 60s (lock %s); retry, or look for a stuck sluice process", d.name, lock)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", lock)
	return d.cat.Migrate(ctx, conn)
}

// Catalog returns Sluice's own tables.
func (d *DB) Catalog() *catalog.Catalog { return d.cat }

// SQL returns the database handle.
func (d *DB) SQL() *sql.DB { return d.db }

// Close closes the connections.
func (d *DB) Close() error { return d.db.Close() }

// lockName is the GET_LOCK name of a pipeline of database db ("" names the
// lock of the catalog's migration). Lock names are server-wide, so they hold the
// database's name: two projects on one server may share pipeline names. MySQL
// limits names to 64 characters: a longer one is cut and ends with a hash of the
// whole name, so that two long names never share a lock.
func lockName(db, pipeline string) string {
	n := "sluice:" + db + ":" + pipeline
	if pipeline == "" {
		n = "sluice-migrate:" + db
	}
	if len(n) > 64 {
		sum := sha256.Sum256([]byte(n))
		n = n[:64-17] + ":" + hex.EncodeToString(sum[:8])
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
	secs := int((max(lockWait, 0) + time.Second - 1) / time.Second) // GET_LOCK waits forever on a negative time
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lockName(d.name, pipeline), secs).Scan(&got); err != nil {
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
