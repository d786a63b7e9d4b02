package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns the value of a setting, creating it with def() when it does
// not exist yet. Concurrent callers (several servers starting at once) all get
// the value the first one stored.
func (c *Catalog) Setting(ctx context.Context, name string, def func() (string, error)) (string, error) {
	var v string
	err := c.db.QueryRowContext(ctx, c.q(`SELECT value FROM {settings} WHERE name = ?`), name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("reading setting %s: %w", name, err)
	}
	nv, err := def()
	if err != nil {
		return "", err
	}
	// Insert unless present, in each dialect's words.
	stmt := `INSERT INTO {settings} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`
	if c.d.Name == "mysql" {
		stmt = `INSERT IGNORE INTO {settings} (name, value) VALUES (?, ?)`
	}
	if _, err := c.db.ExecContext(ctx, c.q(stmt), name, nv); err != nil {
		return "", fmt.Errorf("storing setting %s: %w", name, err)
	}
	if err := c.db.QueryRowContext(ctx, c.q(`SELECT value FROM {settings} WHERE name = ?`), name).Scan(&v); err != nil {
		return "", fmt.Errorf("reading setting %s: %w", name, err)
	}
	return v, nil
}
