package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// Postgres is the dialect of PostgreSQL: Sluice's tables live in schema sluice.
var Postgres = Dialect{
	Name:        "postgres",
	Prefix:      "sluice.",
	Placeholder: func(n int) string { return fmt.Sprintf("$%d", n) },
	Bootstrap:   []string{`CREATE SCHEMA IF NOT EXISTS sluice`},
	Migrations: []string{`
CREATE TABLE {runs} (
	id text PRIMARY KEY,
	pipeline text NOT NULL,
	trigger text NOT NULL,
	status text NOT NULL,
	started_at timestamptz NOT NULL,
	finished_at timestamptz,
	files bigint NOT NULL DEFAULT 0,
	rows_read bigint NOT NULL DEFAULT 0,
	rows_loaded bigint NOT NULL DEFAULT 0,
	rows_inserted bigint NOT NULL DEFAULT 0,
	rows_updated bigint NOT NULL DEFAULT 0,
	rows_rejected bigint NOT NULL DEFAULT 0,
	rows_filtered bigint NOT NULL DEFAULT 0,
	bytes_read bigint NOT NULL DEFAULT 0,
	error text,
	rejects_url text
);
CREATE INDEX runs_pipeline_started ON {runs} (pipeline, started_at);
CREATE TABLE {files} (
	pipeline text NOT NULL,
	url text NOT NULL,
	etag text NOT NULL DEFAULT '',
	size bigint NOT NULL,
	mtime timestamptz,
	checksum text NOT NULL DEFAULT '',
	rows bigint NOT NULL DEFAULT 0,
	run_id text NOT NULL,
	loaded_at timestamptz NOT NULL,
	PRIMARY KEY (pipeline, url)
);
CREATE TABLE {datasets} (
	name text PRIMARY KEY,
	schema_name text NOT NULL DEFAULT '',
	pipeline text NOT NULL,
	key_columns text NOT NULL,
	columns text NOT NULL,
	row_count bigint NOT NULL DEFAULT 0,
	last_load_at timestamptz NOT NULL,
	last_run_id text NOT NULL
);
CREATE TABLE {api_keys} (
	id text PRIMARY KEY,
	name text NOT NULL UNIQUE,
	hash text NOT NULL UNIQUE,
	scopes text NOT NULL,
	created_at timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at timestamptz
)`, `
CREATE TABLE {settings} (
	name text PRIMARY KEY,
	value text NOT NULL
)`},
	Upsert: func(table string, cols, key []string) string {
		var ph, set []string
		for _, c := range cols {
			ph = append(ph, "?")
			if !slices.Contains(key, c) {
				set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", c, c))
			}
		}
		return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
			table, strings.Join(cols, ", "), strings.Join(ph, ", "), strings.Join(key, ", "), strings.Join(set, ", "))
	},
}
