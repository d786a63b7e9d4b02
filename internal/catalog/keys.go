package catalog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// KeyPrefix starts every Sluice API key, so that secret scanners and the log
// redactor recognise one.
const KeyPrefix = "sk_"

// Key is an API key as stored: never the key itself, only its SHA-256.
type Key struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// HashKey returns the stored form of a key. Keys hold 190 random bits, so a fast
// hash is enough: there is nothing to brute-force.
func HashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomString(n int) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(base62)))
	for i := range b {
		x, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = base62[x.Int64()]
	}
	return string(b), nil
}

// CreateKey creates a key with a unique name and returns it with the secret,
// which is kept nowhere: the caller shows it once.
func (c *Catalog) CreateKey(ctx context.Context, name string, scopes []string, now time.Time) (*Key, string, error) {
	secret, err := randomString(32)
	if err != nil {
		return nil, "", err
	}
	id, err := randomString(10)
	if err != nil {
		return nil, "", err
	}
	key := KeyPrefix + secret
	k := &Key{ID: "key_" + id, Name: name, Scopes: scopes, CreatedAt: now.UTC().Truncate(time.Microsecond)}
	_, err = c.db.ExecContext(ctx, c.q(`INSERT INTO {api_keys} (id, name, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)`),
		k.ID, k.Name, HashKey(key), strings.Join(scopes, " "), k.CreatedAt)
	if err != nil {
		if existing, _ := c.keys(ctx, "name = ?", name); len(existing) > 0 {
			return nil, "", fmt.Errorf("a key named %q exists already: choose another name, or revoke and rename it", name)
		}
		return nil, "", fmt.Errorf("creating key %s: %w", name, err)
	}
	return k, key, nil
}

// Keys lists every key, revoked ones included, by creation time.
func (c *Catalog) Keys(ctx context.Context) ([]Key, error) { return c.keys(ctx, "") }

// KeyByHash returns the key with the given hash, or an error wrapping
// ErrNotFound. Revoked keys are returned too: the caller checks RevokedAt.
func (c *Catalog) KeyByHash(ctx context.Context, hash string) (*Key, error) {
	ks, err := c.keys(ctx, "hash = ?", hash)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("key: %w", ErrNotFound)
	}
	return &ks[0], nil
}

// RevokeKey revokes the key with this id or name. Revoking twice is not an error.
func (c *Catalog) RevokeKey(ctx context.Context, idOrName string, now time.Time) (*Key, error) {
	ks, err := c.keys(ctx, "id = ? OR name = ?", idOrName, idOrName)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("no key has the id or name %q (see 'sluice keys list'): %w", idOrName, ErrNotFound)
	}
	k := ks[0]
	if k.RevokedAt == nil {
		t := now.UTC().Truncate(time.Microsecond)
		if _, err := c.db.ExecContext(ctx, c.q(`UPDATE {api_keys} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), t, k.ID); err != nil {
			return nil, fmt.Errorf("revoking key %s: %w", k.Name, err)
		}
		k.RevokedAt = &t
	}
	return &k, nil
}

// TouchKey records that a key was used.
func (c *Catalog) TouchKey(ctx context.Context, id string, now time.Time) error {
	_, err := c.db.ExecContext(ctx, c.q(`UPDATE {api_keys} SET last_used_at = ? WHERE id = ?`), now.UTC().Truncate(time.Microsecond), id)
	return err
}

func (c *Catalog) keys(ctx context.Context, where string, args ...any) ([]Key, error) {
	q := `SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM {api_keys}`
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := c.db.QueryContext(ctx, c.q(q+" ORDER BY created_at, id"), args...)
	if err != nil {
		return nil, fmt.Errorf("reading API keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var scopes string
		var used, revoked sql.NullTime
		if err := rows.Scan(&k.ID, &k.Name, &scopes, &k.CreatedAt, &used, &revoked); err != nil {
			return nil, fmt.Errorf("reading an API key: %w", err)
		}
		k.Scopes = strings.Fields(scopes)
		k.CreatedAt = k.CreatedAt.UTC()
		if used.Valid {
			t := used.Time.UTC()
			k.LastUsedAt = &t
		}
		if revoked.Valid {
			t := revoked.Time.UTC()
			k.RevokedAt = &t
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
