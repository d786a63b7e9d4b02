package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sluice-data/sluice/internal/catalog"
)

// Scopes a principal may hold.
const (
	ScopeRead  = "read"  // every dataset; pipelines and runs
	ScopeRun   = "run"   // trigger pipelines; pipelines and runs
	ScopeAdmin = "admin" // everything
	// "read:<dataset>" reads one dataset.
)

// ValidScope reports whether s is a scope Sluice knows.
func ValidScope(s string) bool {
	switch s {
	case ScopeRead, ScopeRun, ScopeAdmin:
		return true
	}
	name, ok := strings.CutPrefix(s, "read:")
	return ok && name != "" && !strings.ContainsAny(name, " \t\n")
}

// Principal is who a request acts for.
type Principal struct {
	Subject string   // key name or JWT subject
	KeyID   string   // API key id, or "jwt:<sub>"
	Scopes  []string // as granted
}

func (p *Principal) has(scope string) bool {
	return slices.Contains(p.Scopes, ScopeAdmin) || slices.Contains(p.Scopes, scope)
}

// canRead reports whether p may read the dataset.
func (p *Principal) canRead(dataset string) bool {
	return p.has(ScopeRead) || slices.Contains(p.Scopes, "read:"+dataset)
}

// canReadSome reports whether p may read at least one dataset.
func (p *Principal) canReadSome() bool {
	if p.has(ScopeRead) {
		return true
	}
	for _, s := range p.Scopes {
		if strings.HasPrefix(s, "read:") {
			return true
		}
	}
	return false
}

type principalKey struct{}

func principalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// WithAuthorizerClaims marks a request as authenticated by an API Gateway JWT
// authorizer: the Lambda adapter passes the claims API Gateway verified, never
// anything a client sent.
func WithAuthorizerClaims(ctx context.Context, claims map[string]string) context.Context {
	return context.WithValue(ctx, authorizerKey{}, claims)
}

type authorizerKey struct{}

// JWTConfig configures bearer JWTs from an OIDC issuer.
type JWTConfig struct {
	Issuer      string
	Audience    string
	JWKSURL     string
	ScopesClaim string // default "scope"
	// Client fetches the JWKS; default a client with a 5 s timeout.
	Client *http.Client
}

var (
	errNoCredentials  = errors.New("no credentials")
	errBadCredentials = errors.New("bad credentials")
)

// authenticator checks API keys against the catalog (with a short cache) and
// JWTs against the issuer's keys.
type authenticator struct {
	cat         *catalog.Catalog
	jwt         *JWTConfig
	jwks        *jwksCache
	now         func() time.Time
	scopesClaim string

	mu    sync.Mutex
	cache map[string]keyEntry // by key hash
}

type keyEntry struct {
	key     *catalog.Key // nil: no such key
	expires time.Time
	touched time.Time
}

// keyCacheTTL bounds how long a revoked key keeps working in a running server.
const keyCacheTTL = 5 * time.Second

func newAuthenticator(cat *catalog.Catalog, j *JWTConfig, now func() time.Time) *authenticator {
	a := &authenticator{cat: cat, jwt: j, now: now, cache: map[string]keyEntry{}}
	if j != nil {
		a.scopesClaim = j.ScopesClaim
		if a.scopesClaim == "" {
			a.scopesClaim = "scope"
		}
		client := j.Client
		if client == nil {
			client = &http.Client{Timeout: 5 * time.Second}
		}
		a.jwks = &jwksCache{url: j.JWKSURL, client: client, now: now}
	}
	return a
}

// authenticate returns the request's principal, errNoCredentials or
// errBadCredentials.
func (a *authenticator) authenticate(r *http.Request) (*Principal, error) {
	if claims, ok := r.Context().Value(authorizerKey{}).(map[string]string); ok {
		claim := a.scopesClaim
		if claim == "" {
			claim = "scope"
		}
		return &Principal{Subject: claims["sub"], KeyID: "jwt:" + claims["sub"], Scopes: splitScopes(claims[claim])}, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errNoCredentials
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 8192 {
		return nil, errBadCredentials
	}
	token = strings.TrimSpace(token)
	if strings.HasPrefix(token, catalog.KeyPrefix) {
		return a.apiKey(r.Context(), token)
	}
	if a.jwt != nil && strings.Count(token, ".") == 2 {
		return a.verifyJWT(r.Context(), token)
	}
	return nil, errBadCredentials
}

func (a *authenticator) apiKey(ctx context.Context, token string) (*Principal, error) {
	hash := catalog.HashKey(token)
	now := a.now()
	a.mu.Lock()
	e, ok := a.cache[hash]
	a.mu.Unlock()
	if !ok || now.After(e.expires) {
		k, err := a.cat.KeyByHash(ctx, hash)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return nil, err
		}
		e = keyEntry{key: k, expires: now.Add(keyCacheTTL), touched: e.touched}
		a.mu.Lock()
		if len(a.cache) > 10000 {
			clear(a.cache)
		}
		a.cache[hash] = e
		a.mu.Unlock()
	}
	if e.key == nil || e.key.RevokedAt != nil {
		return nil, errBadCredentials
	}
	if now.Sub(e.touched) > time.Minute {
		a.mu.Lock()
		e.touched = now
		a.cache[hash] = e
		a.mu.Unlock()
		go a.cat.TouchKey(context.WithoutCancel(ctx), e.key.ID, now) //nolint:errcheck // best effort
	}
	return &Principal{Subject: e.key.Name, KeyID: e.key.ID, Scopes: e.key.Scopes}, nil
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

func (a *authenticator) verifyJWT(ctx context.Context, token string) (*Principal, error) {
	// Parse with every algorithm the issuer's keys use, then insist that the
	// token's algorithm is the one its key is pinned to.
	tok, err := jwt.ParseSigned(token, allAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, errBadCredentials
	}
	hdr := tok.Headers[0]
	key, err := a.jwks.key(ctx, hdr.KeyID)
	if err != nil {
		return nil, err
	}
	if key == nil || keyAlgorithm(key) != hdr.Algorithm {
		return nil, errBadCredentials
	}
	var std jwt.Claims
	var all map[string]any
	if err := tok.Claims(key.Key, &std, &all); err != nil {
		return nil, errBadCredentials
	}
	if std.Expiry == nil || std.Issuer == "" || len(std.Audience) == 0 {
		return nil, errBadCredentials
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: a.jwt.Issuer, AnyAudience: jwt.Audience{a.jwt.Audience}, Time: a.now()}, 30*time.Second); err != nil {
		return nil, errBadCredentials
	}
	var scopes []string
	switch v := all[a.scopesClaim].(type) {
	case string:
		scopes = splitScopes(v)
	case []any:
		for _, s := range v {
			if str, ok := s.(string); ok {
				scopes = append(scopes, str)
			}
		}
	}
	return &Principal{Subject: std.Subject, KeyID: "jwt:" + std.Subject, Scopes: scopes}, nil
}

var allAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// keyAlgorithm is the one algorithm a JWK may verify: its alg, or the usual one
// for its key type. HMAC keys are never accepted.
func keyAlgorithm(k *jose.JSONWebKey) string {
	if k.Algorithm != "" {
		return k.Algorithm
	}
	switch pk := k.Key.(type) {
	case *rsa.PublicKey:
		return string(jose.RS256)
	case *ecdsa.PublicKey:
		switch pk.Curve {
		case elliptic.P256():
			return string(jose.ES256)
		case elliptic.P384():
			return string(jose.ES384)
		case elliptic.P521():
			return string(jose.ES512)
		}
	case ed25519.PublicKey:
		return string(jose.EdDSA)
	}
	return ""
}

// jwksCache holds the issuer's public keys, refreshed every 10 minutes and when
// a token names an unknown key (at most once a minute).
type jwksCache struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    jose.JSONWebKeySet
	fetched time.Time
}

func (c *jwksCache) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	find := func() *jose.JSONWebKey {
		for i, k := range c.keys.Keys {
			if k.KeyID == kid && k.IsPublic() && (k.Use == "" || k.Use == "sig") {
				return &c.keys.Keys[i]
			}
		}
		return nil
	}
	k := find()
	stale := now.Sub(c.fetched) > 10*time.Minute
	if (k == nil && now.Sub(c.fetched) > time.Minute) || stale {
		if err := c.fetch(ctx); err != nil {
			if k != nil || len(c.keys.Keys) > 0 && !stale {
				return k, nil
			}
			return nil, err
		}
		c.fetched = now
		k = find()
	}
	return k, nil
}

func (c *jwksCache) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return fmt.Errorf("JWKS URL: %w", err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching the JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching the JWKS: %s", resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("reading the JWKS: %w", err)
	}
	c.keys = set
	return nil
}
