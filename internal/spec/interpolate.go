package spec

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Interpolate expands environment variables in s: ${VAR}, and ${VAR:-default}
// where the default applies when VAR is unset or empty, as in POSIX shells. $$ is
// a literal dollar sign; a $ followed by anything else is left alone, so regular
// expressions such as ^a+$ need no escaping. An unset ${VAR} without a default is
// an error that names the variable.
func Interpolate(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) || (s[i+1] != '$' && s[i+1] != '{') {
			b.WriteByte(c)
			continue
		}
		if s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q: close it with } (or write $$ for a literal $)", s)
		}
		inner := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(inner, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf("${%s}: %q is not a variable name; write ${NAME} or ${NAME:-default} (or $$ for a literal $)", inner, name)
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

// validVarName reports whether s is a shell variable name: letters, digits and _,
// not starting with a digit.
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

// interpolateTree interpolates every scalar value of the tree in place, so that
// positions stay those of the file. Mapping keys are names, not values, and are
// left alone. A plain scalar that changed is typed again from its new text, so
// that min: ${MIN:-0} is a number, as if the number had been written there. A
// failure is reported at its scalar, which is marked so that no second error is
// reported for it.
func (d *decoder) interpolateTree(n *yaml.Node, path string, getenv func(string) string) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		v, err := Interpolate(n.Value, getenv)
		if err != nil {
			if path != "" {
				d.errorf(n, "%s: %v", path, err)
			} else {
				d.errorf(n, "%v", err)
			}
			d.bad[n] = true
			return
		}
		if v != n.Value {
			n.Value = v
			if n.Style == 0 {
				n.Tag = ""
				n.Tag = n.ShortTag()
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := resolve(n.Content[i]).Value
			if path != "" {
				key = path + "." + key
			}
			d.interpolateTree(n.Content[i+1], key, getenv)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.interpolateTree(c, fmt.Sprintf("%s[%d]", path, i), getenv)
		}
	}
}
