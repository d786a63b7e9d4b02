package sink

import (
	"strings"

	"github.com/sluice-data/sluice/internal/record"
)

// QuoteIdent quotes an SQL identifier with double quotes (SQLite, PostgreSQL, and
// MySQL in ANSI_QUOTES mode). Identifiers come from specs and catalogs and are
// validated there; quoting keeps reserved words (order, group…) usable.
func QuoteIdent(id string) string {
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}

// QuoteIdents quotes identifiers and joins them with ", ".
func QuoteIdents(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = QuoteIdent(id)
	}
	return strings.Join(q, ", ")
}

// ColumnNames returns the names of cols.
func ColumnNames(cols []record.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// FirstLine shortens a statement to its first line, for error messages.
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
