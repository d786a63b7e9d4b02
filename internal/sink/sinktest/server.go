package sinktest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// Default addresses of the test servers; SLUICE_TEST_POSTGRES_URL and
// SLUICE_TEST_MYSQL_URL override them.
const (
	DefaultPostgresURL = "postgres://root@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultMySQLURL    = "mysql://root@127.0.0.1:3306/test"
)

// requireServers reports whether a missing server fails the test instead of
// skipping it: under CI=true, or with SLUICE_TEST_REQUIRE_SERVERS=1.
func requireServers() bool {
	return os.Getenv("CI") == "true" || os.Getenv("SLUICE_TEST_REQUIRE_SERVERS") == "1"
}

// unavailable skips the test, loudly, or fails it under CI.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s is not reachable (%v); start it (make services) or set its SLUICE_TEST_*_URL", what, err)
	if requireServers() {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%06d", prefix, time.Now().UnixNano()%1e9, rand.IntN(1e6))
}

// PostgresDatabase creates a fresh database on the test PostgreSQL server and
// returns its URL; the database is dropped when the test ends. driverName is a
// database/sql driver for PostgreSQL URLs (pgx's "pgx").
func PostgresDatabase(t testing.TB, driverName string) string {
	t.Helper()
	base := os.Getenv("SLUICE_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open(driverName, base)
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unavailable(t, "PostgreSQL at "+redact(base), err)
	}
	name := uniqueName("sluice_test")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
		admin.Close()
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// MySQLDatabase creates a fresh database on the test MySQL/MariaDB server and
// returns its URL (mysql://user@host:port/name); the database is dropped when the
// test ends. dsn converts such a URL to the driver's DSN.
func MySQLDatabase(t testing.TB, driverName string, dsn func(string) (string, error)) string {
	t.Helper()
	base := os.Getenv("SLUICE_TEST_MYSQL_URL")
	if base == "" {
		base = DefaultMySQLURL
	}
	d, err := dsn(base)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open(driverName, d)
	if err != nil {
		unavailable(t, "MySQL", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unavailable(t, "MySQL at "+redact(base), err)
	}
	name := uniqueName("sluice_test")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		admin.Close()
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
		admin.Close()
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return strings.SplitN(raw, "@", 2)[0]
	}
	return u.Redacted()
}
