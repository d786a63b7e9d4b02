package spec

import (
	"fmt"
	"strings"
)

// Interpolate expands environment variables in s: ${VAR}, and ${VAR:-default}
// (the default applies when VAR is unset or empty). $$ is a literal dollar sign.
// An unset ${VAR} without a default is an error that names it.
func Interpolate(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q: close it with }", s)
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf("bad variable name %q in ${%s}", name, expr)
		}
		v := getenv(name)
		if v == "" {
			if !hasDef {
				return "", fmt.Errorf("environment variable %s is not set; set it or write ${%s:-default}", name, name)
			}
			v = def
		}
		b.WriteString(v)
		i += 2 + end
	}
	return b.String(), nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}
