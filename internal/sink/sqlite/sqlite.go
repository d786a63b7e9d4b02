// Package sqlite is the embedded SQLite sink (modernc.org/sqlite, pure Go). A run
// is one BEGIN IMMEDIATE transaction on one connection: rows are staged in a
// temporary table with batched prepared inserts, then applied to the target,
// recorded in the ledger and committed together. The database runs in WAL mode,
// so readers see the previous state until the commit.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/sink"
)

// DB is a SQLite database that Sluice loads into.
type DB struct {
	db   *sql.DB
	cat  *catalog.Catalog
	path string
}

var _ sink.DB = (*DB)(nil)

// PathOf returns the file path named by a sqlite:// URL: sqlite://./x.db,
// sqlite:///abs/x.db, or sqlite://:memory: is not supported (runs need a file).
func PathOf(rawURL string) (string, error) {
	rest, ok := strings.CutPrefix(rawURL, "sqlite://")
	if !ok {
		return "", fmt.Errorf("not a sqlite URL: %q", rawURL)
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	p, err := url.PathUnescape(rest)
	if err != nil || p == "" {
		return "", fmt.Errorf("bad sqlite URL %q: write sqlite://./file.db or sqlite:///abs/path.db", rawURL)
	}
	return filepath.FromSlash(p), nil
}

// Open opens (creating if needed) the SQLite database at path and migrates
// Sluice's tables.
func Open(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating the database folder: %w", err)
		}
	}
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=busy_timeout(30000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite database %s: %w", path, err)
	}
	d := &DB{db: db, cat: catalog.New(db, catalog.SQLite), path: path}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) migrate(ctx context.Context) error {
	// Reading the version takes no write lock: a database that is up to date opens
	// even while a run holds the lock.
	var have int
	if err := d.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM sluice_migrations").Scan(&have); err == nil && have == len(catalog.SQLite.Migrations) {
		return nil
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("opening sqlite database %s: %w", d.path, err)
	}
	defer tx.Rollback()
	if err := d.cat.Migrate(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Catalog returns Sluice's own tables.
func (d *DB) Catalog() *catalog.Catalog { return d.cat }

// SQL returns the database handle, for readers such as the API.
func (d *DB) SQL() *sql.DB { return d.db }

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Begin starts a run: it takes SQLite's write lock (BEGIN IMMEDIATE), which also
// serialises runs, waiting up to lockWait for another writer to finish.
func (d *DB) Begin(ctx context.Context, pipeline, runID string, lockWait time.Duration) (sink.Tx, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", d.path, err)
	}
	if lockWait <= 0 {
		lockWait = time.Millisecond
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", lockWait.Milliseconds())); err != nil {
		conn.Close()
		return nil, fmt.Errorf("setting the lock timeout: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		if isBusy(err) {
			return nil, fmt.Errorf("%w: another run holds the write lock of %s; waited %s", sink.ErrLocked, d.path, lockWait)
		}
		return nil, fmt.Errorf("starting the run's transaction: %w", err)
	}
	return &tx_{d: d, conn: conn, tx: tx}, nil
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}
