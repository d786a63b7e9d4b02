package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// MySQL is the dialect of MySQL and MariaDB, with ANSI_QUOTES on (identifiers
// in double quotes). InnoDB cannot index a utf8mb4 column of more than 768
// characters, and an S3 URL may be longer: from version 2 the ledger is unique
// on (pipeline, SHA-256 of the URL), a stored generated column, so URLs hold up
// to 4096 characters. Pipeline names hold up to 128.
var MySQL = Dialect{
	Name:        "mysql",
	Prefix:      "sluice_",
	Placeholder: func(int) string { return "?" },
	Migrations: []string{`
CREATE TABLE IF NOT EXISTS {runs} (
	id VARCHAR(64) PRIMARY KEY,
	pipeline VARCHAR(128) NOT NULL,
	"trigger" VARCHAR(32) NOT NULL,
	status VARCHAR(32) NOT NULL,
	started_at DATETIME(6) NOT NULL,
	finished_at DATETIME(6) NULL,
	files BIGINT NOT NULL DEFAULT 0,
	rows_read BIGINT NOT NULL DEFAULT 0,
	rows_loaded BIGINT NOT NULL DEFAULT 0,
	rows_inserted BIGINT NOT NULL DEFAULT 0,
	rows_updated BIGINT NOT NULL DEFAULT 0,
	rows_rejected BIGINT NOT NULL DEFAULT 0,
	rows_filtered BIGINT NOT NULL DEFAULT 0,
	bytes_read BIGINT NOT NULL DEFAULT 0,
	error TEXT NULL,
	rejects_url TEXT NULL,
	KEY runs_pipeline_started (pipeline, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS {files} (
	pipeline VARCHAR(64) NOT NULL,
	url VARCHAR(700) NOT NULL,
	etag VARCHAR(255) NOT NULL DEFAULT '',
	size BIGINT NOT NULL,
	mtime DATETIME(6) NULL,
	checksum VARCHAR(64) NOT NULL DEFAULT '',
	"rows" BIGINT NOT NULL DEFAULT 0,
	run_id VARCHAR(64) NOT NULL,
	loaded_at DATETIME(6) NOT NULL,
	PRIMARY KEY (pipeline, url)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS {datasets} (
	name VARCHAR(128) PRIMARY KEY,
	schema_name VARCHAR(128) NOT NULL DEFAULT '',
	pipeline VARCHAR(128) NOT NULL,
	key_columns TEXT NOT NULL,
	columns TEXT NOT NULL,
	row_count BIGINT NOT NULL DEFAULT 0,
	last_load_at DATETIME(6) NOT NULL,
	last_run_id VARCHAR(64) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS {api_keys} (
	id VARCHAR(64) PRIMARY KEY,
	name VARCHAR(128) NOT NULL UNIQUE,
	hash VARCHAR(128) NOT NULL UNIQUE,
	scopes TEXT NOT NULL,
	created_at DATETIME(6) NOT NULL,
	last_used_at DATETIME(6) NULL,
	revoked_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS {locks} (
	pipeline VARCHAR(128) PRIMARY KEY,
	run_id VARCHAR(64) NOT NULL,
	since DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`, `
ALTER TABLE {files}
	MODIFY pipeline VARCHAR(128) NOT NULL,
	MODIFY url VARCHAR(4096) NOT NULL,
	ADD COLUMN url_sha256 BINARY(32) AS (UNHEX(SHA2(url, 256))) STORED,
	DROP PRIMARY KEY,
	ADD UNIQUE KEY files_pipeline_url (pipeline, url_sha256)`, `
CREATE TABLE IF NOT EXISTS {settings} (
	name VARCHAR(128) PRIMARY KEY,
	value TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`},
	Upsert: func(table string, cols, key []string) string {
		var ph, set []string
		for _, c := range cols {
			ph = append(ph, "?")
			if !slices.Contains(key, c) {
				set = append(set, fmt.Sprintf("%s = VALUES(%s)", quoteMy(c), quoteMy(c)))
			}
		}
		q := make([]string, len(cols))
		for i, c := range cols {
			q[i] = quoteMy(c)
		}
		return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON DUPLICATE KEY UPDATE %s",
			table, strings.Join(q, ", "), strings.Join(ph, ", "), strings.Join(set, ", "))
	},
}

// quoteMy quotes the catalog's column names that MySQL reserves (rows, trigger).
func quoteMy(c string) string { return `"` + c + `"` }
