package spec

import "testing"

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"same", "same", 0},
		{"pattren", "pattern", 1}, {"cvs", "csv", 1}, {"renmae", "rename", 1},
		{"delimeter", "delimiter", 1}, {"kitten", "sitting", 3}, {"base", "name", 2}, {"ab", "ba", 1}, {"abc", "ca", 3},
	}
	for _, tt := range tests {
		if got := EditDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	known := []string{"path", "pattern", "format", "compression", "csv"}
	tests := []struct{ got, want string }{
		{"pattren", ` (did you mean "pattern"?)`},
		{"Format", ` (did you mean "format"?)`},
		{"cvs", ` (did you mean "csv"?)`},
		{"pth", ` (did you mean "path"?)`},
		{"xyz", ""},
		{"p", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.got, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
}
