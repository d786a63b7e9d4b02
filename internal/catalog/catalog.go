// Package catalog keeps Sluice's own tables in the target database: the run
// history, the file ledger, the dataset catalog and the API keys, created and
// upgraded by versioned migrations. Its queries work on every database through a
// Dialect (sluice_ prefix in SQLite and MySQL, schema sluice in PostgreSQL).
package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Querier is what the catalog needs to run a statement: *sql.DB, *sql.Tx and
// *sql.Conn all satisfy it, so catalog writes can join a run's transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Dialect adapts the catalog's SQL to one database.
type Dialect struct {
	// Name is the database's name: sqlite, postgres or mysql.
	Name string
	// Prefix qualifies the catalog's table names: "sluice_" or "sluice.".
	Prefix string
	// Placeholder returns the n-th (1-based) bind parameter: "?" or "$n".
	Placeholder func(n int) string
	// Migrations are the schema versions in order; Migrations[i] brings the schema
	// to version i+1. Each entry may hold several statements separated by ";\n".
	Migrations []string
	// Upsert renders "insert or update" of cols into table with the key columns.
	Upsert func(table string, cols, key []string) string
	// Bootstrap statements run before the migrations table is created (for
	// example CREATE SCHEMA IF NOT EXISTS sluice).
	Bootstrap []string
}

// Catalog reads and writes Sluice's own tables.
type Catalog struct {
	db *sql.DB
	d  Dialect
}

// New returns a catalog over db.
func New(db *sql.DB, d Dialect) *Catalog { return &Catalog{db: db, d: d} }

// DB returns the underlying database handle.
func (c *Catalog) DB() *sql.DB { return c.db }

// Dialect returns the catalog's dialect.
func (c *Catalog) Dialect() Dialect { return c.d }

// T returns the qualified name of a catalog table ("runs" → "sluice_runs").
func (c *Catalog) T(name string) string { return c.d.Prefix + name }

// q rewrites "?" placeholders for the dialect and expands {name} table names.
func (c *Catalog) q(query string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; ch {
		case '?':
			n++
			b.WriteString(c.d.Placeholder(n))
		case '{':
			j := strings.IndexByte(query[i:], '}')
			b.WriteString(c.T(query[i+1 : i+j]))
			i += j
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// Migrate brings the catalog's tables to the newest version. It runs inside tx,
// which the caller has opened with the database's write lock held, so that
// concurrent processes migrate once.
func (c *Catalog) Migrate(ctx context.Context, tx Querier) error {
	for _, stmt := range c.d.Bootstrap {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("preparing the Sluice schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, c.q(`CREATE TABLE IF NOT EXISTS {migrations} (version INTEGER PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)`)); err != nil {
		return fmt.Errorf("creating the migrations table: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, c.q(`SELECT COALESCE(MAX(version), 0) FROM {migrations}`)).Scan(&have); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if have > len(c.d.Migrations) {
		return fmt.Errorf("the database's Sluice schema is version %d, newer than this binary knows (%d); upgrade sluice", have, len(c.d.Migrations))
	}
	for v := have + 1; v <= len(c.d.Migrations); v++ {
		for _, stmt := range strings.Split(c.d.Migrations[v-1], ";\n") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, c.q(stmt)); err != nil {
				return fmt.Errorf("migrating the Sluice schema to version %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, c.q(`INSERT INTO {migrations} (version, applied_at) VALUES (?, ?)`), v, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("recording schema version %d: %w", v, err)
		}
	}
	return nil
}

// ErrNotFound is returned when a run, dataset or key does not exist.
var ErrNotFound = errors.New("not found")
