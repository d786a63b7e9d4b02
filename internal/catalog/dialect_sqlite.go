package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// SQLite is the dialect of the embedded SQLite database.
var SQLite = Dialect{
	Name:        "sqlite",
	Prefix:      "sluice_",
	Placeholder: func(int) string { return "?" },
	Migrations: []string{`
CREATE TABLE {runs} (
	id TEXT PRIMARY KEY,
	pipeline TEXT NOT NULL,
	trigger TEXT NOT NULL,
	status TEXT NOT NULL,
	started_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP,
	files INTEGER NOT NULL DEFAULT 0,
	rows_read INTEGER NOT NULL DEFAULT 0,
	rows_loaded INTEGER NOT NULL DEFAULT 0,
	rows_inserted INTEGER NOT NULL DEFAULT 0,
	rows_updated INTEGER NOT NULL DEFAULT 0,
	rows_rejected INTEGER NOT NULL DEFAULT 0,
	rows_filtered INTEGER NOT NULL DEFAULT 0,
	bytes_read INTEGER NOT NULL DEFAULT 0,
	error TEXT,
	rejects_url TEXT
);
CREATE INDEX {runs_pipeline_started} ON {runs} (pipeline, started_at);
CREATE TABLE {files} (
	pipeline TEXT NOT NULL,
	url TEXT NOT NULL,
	etag TEXT NOT NULL DEFAULT '',
	size INTEGER NOT NULL,
	mtime TIMESTAMP,
	checksum TEXT NOT NULL DEFAULT '',
	rows INTEGER NOT NULL DEFAULT 0,
	run_id TEXT NOT NULL,
	loaded_at TIMESTAMP NOT NULL,
	PRIMARY KEY (pipeline, url)
);
CREATE TABLE {datasets} (
	name TEXT PRIMARY KEY,
	schema_name TEXT NOT NULL DEFAULT '',
	pipeline TEXT NOT NULL,
	key_columns TEXT NOT NULL,
	columns TEXT NOT NULL,
	row_count INTEGER NOT NULL DEFAULT 0,
	last_load_at TIMESTAMP NOT NULL,
	last_run_id TEXT NOT NULL
);
CREATE TABLE {api_keys} (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	hash TEXT NOT NULL UNIQUE,
	scopes TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	last_used_at TIMESTAMP,
	revoked_at TIMESTAMP
)`, `
CREATE TABLE {settings} (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
)`},
	Upsert: func(table string, cols, key []string) string {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		var set []string
		for _, c := range cols {
			if !slices.Contains(key, c) {
				set = append(set, fmt.Sprintf("%s = excluded.%s", c, c))
			}
		}
		return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
			table, strings.Join(cols, ", "), ph, strings.Join(key, ", "), strings.Join(set, ", "))
	},
}
