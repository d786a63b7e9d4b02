package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sluice-data/sluice/internal/catalog"
)

// issuer is a test OIDC issuer: an RSA key served as a JWKS.
type issuer struct {
	key *rsa.PrivateKey
	srv *httptest.Server
	kid string
	iss string
	aud string
	ec  *ecdsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	is := &issuer{key: k, kid: "k1", iss: "https://issuer.test/", aud: "sluice-api", ec: ec}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"},
		{Key: &ec.PublicKey, KeyID: "k2", Use: "sig"},
	}}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) token(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (is *issuer) claims(scope string, exp time.Time) map[string]any {
	return map[string]any{"iss": is.iss, "aud": is.aud, "sub": "user-1", "exp": exp.Unix(), "iat": time.Now().Unix(), "scope": scope}
}

// TestAuthMatrix checks every route against every kind of credentials.
func TestAuthMatrix(t *testing.T) {
	b := openBackend(t, "sqlite")
	b.loadFixtures(t)
	is := newIssuer(t)
	ctx := context.Background()
	cat := b.db.Catalog()
	key := func(name string, scopes ...string) string {
		_, k, err := cat.CreateKey(ctx, name, scopes, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keys := map[string]string{
		"read":       key("reader", "read"),
		"read:items": key("items-reader", "read:items"),
		"run":        key("runner", "run"),
		"admin":      key("admin", "admin"),
	}
	revoked := key("gone", "admin")
	if _, err := cat.RevokeKey(ctx, "gone", time.Now()); err != nil {
		t.Fatal(err)
	}
	runID := b.load(t, "items.yaml", map[string]string{"items/more.csv": "id,name,price,qty,ratio,active,day,at,tags\n50,x,,,,,,,\n"}).ID
	h := newServer(t, b, func(c *Config) {
		c.NoAuth = false
		c.JWT = &JWTConfig{Issuer: is.iss, Audience: is.aud, JWKSURL: is.srv.URL}
		c.Runner = &fakeRunner{}
		c.Pipelines = testPipelines
	})
	hour := time.Now().Add(time.Hour)
	creds := map[string]string{
		"none":          "",
		"bad key":       "Bearer sk_" + strings.Repeat("x", 32),
		"not bearer":    "Basic dXNlcjpwYXNz",
		"revoked key":   "Bearer " + revoked,
		"read":          "Bearer " + keys["read"],
		"read:items":    "Bearer " + keys["read:items"],
		"run":           "Bearer " + keys["run"],
		"admin":         "Bearer " + keys["admin"],
		"jwt read":      "Bearer " + is.token(t, jose.RS256, is.key, "k1", is.claims("read", hour)),
		"jwt run":       "Bearer " + is.token(t, jose.RS256, is.key, "k1", is.claims("run", hour)),
		"jwt ec read":   "Bearer " + is.token(t, jose.ES256, is.ec, "k2", is.claims("read", hour)),
		"jwt expired":   "Bearer " + is.token(t, jose.RS256, is.key, "k1", is.claims("admin", time.Now().Add(-time.Hour))),
		"jwt wrong aud": "Bearer " + is.token(t, jose.RS256, is.key, "k1", map[string]any{"iss": is.iss, "aud": "other", "sub": "u", "exp": hour.Unix(), "scope": "admin"}),
		"jwt wrong iss": "Bearer " + is.token(t, jose.RS256, is.key, "k1", map[string]any{"iss": "https://evil.test/", "aud": is.aud, "sub": "u", "exp": hour.Unix(), "scope": "admin"}),
		"jwt no exp":    "Bearer " + is.token(t, jose.RS256, is.key, "k1", map[string]any{"iss": is.iss, "aud": is.aud, "sub": "u", "scope": "admin"}),
		"jwt forged":    "Bearer " + forge(is.token(t, jose.RS256, is.key, "k1", is.claims("read", hour))),
		"jwt other key": "Bearer " + is.token(t, jose.RS256, mustRSA(t), "k1", is.claims("admin", hour)),
		"jwt alg swap":  "Bearer " + is.token(t, jose.PS256, is.key, "k1", is.claims("admin", hour)),
		"jwt hmac":      "Bearer " + is.token(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "k1", is.claims("admin", hour)),
		"jwt no scope":  "Bearer " + is.token(t, jose.RS256, is.key, "k1", is.claims("", hour)),
	}
	// Expected status per route for each credential kind that authenticates; the
	// others are 401 everywhere.
	unauth := []string{"none", "bad key", "not bearer", "revoked key", "jwt expired", "jwt wrong aud", "jwt wrong iss", "jwt no exp", "jwt forged", "jwt other key", "jwt alg swap", "jwt hmac"}
	routes := []struct {
		method, path string
		want         map[string]int // by credential; missing: 403
	}{
		{"GET", "/v1/datasets", map[string]int{"read": 200, "read:items": 200, "admin": 200, "jwt read": 200, "jwt ec read": 200}},
		{"GET", "/v1/datasets/items", map[string]int{"read": 200, "read:items": 200, "admin": 200, "jwt read": 200, "jwt ec read": 200}},
		{"GET", "/v1/datasets/events", map[string]int{"read": 200, "admin": 200, "jwt read": 200, "jwt ec read": 200}},
		{"GET", "/v1/datasets/items/rows", map[string]int{"read": 200, "read:items": 200, "admin": 200, "jwt read": 200, "jwt ec read": 200}},
		{"GET", "/v1/datasets/events/rows", map[string]int{"read": 200, "admin": 200, "jwt read": 200, "jwt ec read": 200}},
		{"GET", "/v1/datasets/items/rows/1", map[string]int{"read": 200, "read:items": 200, "admin": 200, "jwt read": 200, "jwt ec read": 200}},
		{"GET", "/v1/pipelines", map[string]int{"read": 200, "run": 200, "admin": 200, "jwt read": 200, "jwt run": 200, "jwt ec read": 200}},
		{"GET", "/v1/pipelines/items", map[string]int{"read": 200, "run": 200, "admin": 200, "jwt read": 200, "jwt run": 200, "jwt ec read": 200}},
		{"POST", "/v1/pipelines/items/runs", map[string]int{"run": 202, "admin": 202, "jwt run": 202}},
		{"GET", "/v1/runs", map[string]int{"read": 200, "run": 200, "admin": 200, "jwt read": 200, "jwt run": 200, "jwt ec read": 200}},
		{"GET", "/v1/runs/" + runID, map[string]int{"read": 200, "run": 200, "admin": 200, "jwt read": 200, "jwt run": 200, "jwt ec read": 200}},
		{"GET", "/v1/runs/" + runID + "/rejects", map[string]int{"read": 200, "run": 200, "admin": 200, "jwt read": 200, "jwt run": 200, "jwt ec read": 200}},
	}
	for _, rt := range routes {
		for name, h2 := range creds {
			want, ok := rt.want[name]
			if !ok {
				want = http.StatusForbidden
			}
			for _, u := range unauth {
				if u == name {
					want = http.StatusUnauthorized
				}
			}
			var hdr []string
			if h2 != "" {
				hdr = []string{"Authorization", h2}
			}
			w := do(h, rt.method, rt.path, hdr...)
			if w.Code != want {
				t.Errorf("%s %s with %s: %d, want %d: %s", rt.method, rt.path, name, w.Code, want, w.Body)
			}
			if w.Code == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with %s: 401 without WWW-Authenticate", rt.method, rt.path, name)
			}
		}
	}
	// Public routes need nothing.
	for _, p := range []string{"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/swagger-ui-bundle.js", "/docs/init.js"} {
		if w := do(h, "GET", p); w.Code != 200 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	// The dataset list only shows what the key may read.
	w := do(h, "GET", "/v1/datasets", "Authorization", creds["read:items"])
	if strings.Contains(w.Body.String(), `"events"`) || !strings.Contains(w.Body.String(), `"items"`) {
		t.Errorf("read:items sees %s", w.Body)
	}
	// A key is recorded as used.
	time.Sleep(50 * time.Millisecond)
	ks, _ := cat.Keys(ctx)
	for _, k := range ks {
		if k.Name == "reader" && k.LastUsedAt == nil {
			t.Errorf("key reader has no last use")
		}
	}
}

// TestAuthorizerClaims: in Lambda, API Gateway's verified claims authenticate;
// a client's own headers never do.
func TestAuthorizerClaims(t *testing.T) {
	b := openBackend(t, "sqlite")
	b.loadFixtures(t)
	h := newServer(t, b, func(c *Config) { c.NoAuth = false })
	req := httptest.NewRequest("GET", "/v1/datasets/items/rows", nil)
	req = req.WithContext(WithAuthorizerClaims(req.Context(), map[string]string{"sub": "u", "scope": "read:items"}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Errorf("authorizer claims: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/v1/datasets/items/rows", "X-Authorizer-Claims", `{"scope":"admin"}`, "X-Amzn-Oidc-Data", "x"); w.Code != 401 {
		t.Errorf("client-supplied claims: %d", w.Code)
	}
}

func TestRateLimit(t *testing.T) {
	b := openBackend(t, "sqlite")
	b.loadFixtures(t)
	_, k, _ := b.db.Catalog().CreateKey(context.Background(), "k", []string{"read"}, time.Now())
	_, k2, _ := b.db.Catalog().CreateKey(context.Background(), "k2", []string{"read"}, time.Now())
	h := newServer(t, b, func(c *Config) { c.NoAuth = false; c.RateLimit = 1; c.RateBurst = 3 })
	codes := []int{}
	for range 5 {
		codes = append(codes, do(h, "GET", "/v1/datasets", "Authorization", "Bearer "+k).Code)
	}
	if codes[0] != 200 || codes[2] != 200 || codes[4] != 429 {
		t.Errorf("codes %v, want 3×200 then 429", codes)
	}
	w := do(h, "GET", "/v1/datasets", "Authorization", "Bearer "+k)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %d %v", w.Code, w.Header())
	}
	if w := do(h, "GET", "/v1/datasets", "Authorization", "Bearer "+k2); w.Code != 200 {
		t.Errorf("another key is limited too: %d", w.Code)
	}
}

func forge(tok string) string {
	parts := strings.Split(tok, ".")
	var claims map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(b, &claims)
	claims["scope"] = "admin"
	nb, _ := json.Marshal(claims)
	parts[1] = strings.TrimRight(base64url(nb), "=")
	return strings.Join(parts, ".")
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type fakeRunner struct{ started []string }

func (f *fakeRunner) Start(_ context.Context, pipeline, runID string, _ bool) error {
	f.started = append(f.started, pipeline+" "+runID)
	return nil
}

func (f *fakeRunner) Active(string) (*catalog.Run, bool) { return nil, false }
