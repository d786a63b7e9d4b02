package spec

import "testing"

func TestInterpolate(t *testing.T) {
	t.Parallel()
	getenv := env(map[string]string{"A": "x", "EMPTY": "", "URL": "postgres://u@h/db", "R": "${A}"})
	tests := []struct {
		name, in, want string
	}{
		{"no variable", "plain", "plain"},
		{"variable", "${A}", "x"},
		{"inside text", "a${A}b${A}", "axbx"},
		{"default when unset", "${B:-def}", "def"},
		{"default when empty", "${EMPTY:-d}", "d"},
		{"default unused", "${A:-d}", "x"},
		{"empty default", "${B:-}", ""},
		{"default with colon and slashes", "${B:-sqlite://./x.db}", "sqlite://./x.db"},
		{"value with special characters", "${URL}?sslmode=require", "postgres://u@h/db?sslmode=require"},
		{"escaped dollar", "$$A", "$A"},
		{"escaped interpolation", "$${A}", "${A}"},
		{"lone dollars", "cost $5, ^a+$", "cost $5, ^a+$"},
		{"trailing dollar", "a$", "a$"},
		{"no recursion", "${R}", "${A}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Interpolate(tt.in, getenv)
			if err != nil || got != tt.want {
				t.Errorf("Interpolate(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestInterpolateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"unset", "${SLUICE_X}", "environment variable SLUICE_X is not set; set it or write ${SLUICE_X:-default}"},
		{"empty without default", "${EMPTY}", "environment variable EMPTY is not set; set it or write ${EMPTY:-default}"},
		{"unterminated", "a ${A", `unterminated ${ in "a ${A": close it with } (or write $$ for a literal $)`},
		{"bad name", "${1X}", `${1X}: "1X" is not a variable name; write ${NAME} or ${NAME:-default} (or $$ for a literal $)`},
		{"empty name", "${}", `${}: "" is not a variable name; write ${NAME} or ${NAME:-default} (or $$ for a literal $)`},
		{"posix unset-only default", "${B-x}", `${B-x}: "B-x" is not a variable name; write ${NAME} or ${NAME:-default} (or $$ for a literal $)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Interpolate(tt.in, env(map[string]string{"A": "x", "EMPTY": ""}))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Interpolate(%q) error = %v; want %q", tt.in, err, tt.want)
			}
		})
	}
}
