package obs

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces a secret that Redact or the redacting handler removed.
const Redacted = "[REDACTED]"

// secretPatterns find secrets inside free text: error messages, URLs, headers.
// Each replacement keeps enough around the secret to show what it was.
var secretPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	// scheme://user:password@host: the password goes, as in url.URL.Redacted.
	// The password may hold anything but the authority's end (/ ? # or a space);
	// the match runs to its last @, as URL parsers read it.
	{regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s@:"'<>]*):[^/?#\s"'<>]*@`), "${1}:xxxxx@"},
	// Go MySQL DSNs: user:password@tcp(host)/db, user:password@unix(/path)/db.
	{regexp.MustCompile(`(^|[\s"'=(\[])([^\s"'=:/@()\[\]]+):[^\s"'@]*@(tcp|tcp6|unix)\(`), "${1}${2}:xxxxx@${3}("},
	// password=… in DSNs and query strings.
	{regexp.MustCompile(`(?i)\b(password|passwd|pwd|sslpassword|x-amz-security-token|x-amz-signature)=[^&\s"']+`), "${1}=xxxxx"},
	// Authorization headers in any form: "Authorization: Basic …", authorization="…".
	{regexp.MustCompile(`(?i)(authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|digest|token|aws4-hmac-sha256)\s+)?[^\s"',;]+`), "${1}" + Redacted},
	// Bearer tokens.
	{regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9._~+/=\-]+`), "${1}" + Redacted},
	// Sluice API keys: sk_ followed by base62.
	{regexp.MustCompile(`\bsk_[A-Za-z0-9]{6,}`), "sk_" + Redacted},
	// AWS access key ids.
	{regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`), "${1}" + Redacted},
}

// Redact removes secrets from s: passwords in URLs and DSNs, Authorization
// header values, bearer tokens and API keys. Text without secrets is returned
// unchanged.
func Redact(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	for _, p := range secretPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}

// mayHoldSecret is a cheap test that skips the regular expressions for most lines.
func mayHoldSecret(s string) bool {
	return strings.Contains(s, "@") || strings.Contains(s, "=") || strings.Contains(s, "sk_") ||
		strings.Contains(s, "AKIA") || strings.Contains(s, "ASIA") ||
		strings.Contains(strings.ToLower(s), "bearer") || strings.Contains(strings.ToLower(s), "authorization")
}

// RedactError returns err's message with secrets removed, or "" for nil.
func RedactError(err error) string {
	if err == nil {
		return ""
	}
	return Redact(err.Error())
}

// sensitiveKeys are parts of attribute names whose values are secrets whatever
// they hold.
var sensitiveKeys = []string{"password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "credential", "cookie", "private_key"}

// SensitiveKey reports whether an attribute named key holds a secret by its name:
// password, db_password, api_key, Authorization, X-Api-Token, ….
func SensitiveKey(key string) bool {
	k := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	for _, s := range sensitiveKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// RedactHandler is a slog.Handler that removes secrets before the next handler
// sees a record: the values of attributes with sensitive names, and secrets
// found by Redact in the message, in string values, in errors and in anything
// else that prints as text.
type RedactHandler struct {
	next slog.Handler
}

// NewRedactHandler wraps next.
func NewRedactHandler(next slog.Handler) *RedactHandler { return &RedactHandler{next: next} }

// Enabled reports whether the next handler logs at level.
func (h *RedactHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts r and passes it on.
func (h *RedactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Redact(r.Message), r.PC)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, redactAttr(a))
		return true
	})
	out.AddAttrs(attrs...)
	return h.next.Handle(ctx, out)
}

// WithAttrs redacts attrs once, when they are attached.
func (h *RedactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return &RedactHandler{next: h.next.WithAttrs(red)}
}

// WithGroup passes the group on.
func (h *RedactHandler) WithGroup(name string) slog.Handler {
	return &RedactHandler{next: h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if SensitiveKey(a.Key) && !v.Equal(slog.Value{}) {
		return slog.String(a.Key, Redacted)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		gs := v.Group()
		out := make([]slog.Attr, len(gs))
		for i, g := range gs {
			out[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, Redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, Redact(x.String()))
		case []byte:
			return slog.String(a.Key, Redact(string(x)))
		default:
			// Structs and maps are printed by the next handler; when their text
			// holds a secret, the redacted text replaces them.
			s := fmt.Sprintf("%+v", x)
			if r := Redact(s); r != s {
				return slog.String(a.Key, r)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
