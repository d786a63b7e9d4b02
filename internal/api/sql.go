package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/postgres"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
)

// dialect renders the /rows grammar for one database. Identifiers come from the
// catalog and are quoted; every value is a bind parameter.
type dialect struct {
	name    string // sqlite, postgres, mysql
	mariadb bool
	fromSQL func(v any, t record.Type) (any, error)
	toSQL   func(v any, t record.Type) any
	timeout time.Duration // statement timeout, rendered into the query where the database allows it
}

func newDialect(name string, mariadb bool, timeout time.Duration) (*dialect, error) {
	d := &dialect{name: name, mariadb: mariadb, timeout: timeout}
	switch name {
	case "sqlite":
		d.fromSQL, d.toSQL = sqlite.FromSQL, sqlite.ToSQL
	case "postgres":
		d.fromSQL, d.toSQL = postgres.FromSQL, plainArg
	case "mysql":
		d.fromSQL, d.toSQL = mysql.FromSQL, plainArg
	default:
		return nil, fmt.Errorf("the API does not support %s databases", name)
	}
	return d, nil
}

// plainArg turns Sluice's value types into what database/sql drivers accept.
func plainArg(v any, _ record.Type) any {
	switch x := v.(type) {
	case record.Decimal:
		return string(x)
	case record.JSON:
		return string(x)
	}
	return v
}

// sqlBuilder accumulates SQL text and its arguments.
type sqlBuilder struct {
	d    *dialect
	b    strings.Builder
	args []any
}

func (s *sqlBuilder) arg(v any, t record.Type) {
	s.args = append(s.args, s.d.toSQL(v, t))
	if s.d.name == "postgres" {
		s.b.WriteString("$" + strconv.Itoa(len(s.args)))
	} else {
		s.b.WriteByte('?')
	}
}

func (s *sqlBuilder) ident(name string) { s.b.WriteString(sink.QuoteIdent(name)) }

// ordered writes a column for ordering and range comparisons. Text compares by
// code point on every database: SQLite and MySQL (utf8mb4_bin) do so already;
// PostgreSQL is told to, whatever the database's collation.
func (s *sqlBuilder) ordered(c *column) {
	s.ident(c.name)
	if s.d.name == "postgres" && c.typ.Kind == record.KindText {
		s.b.WriteString(` COLLATE "C"`)
	}
}

func (s *sqlBuilder) table(ds *dataset) {
	if ds.Schema != "" {
		s.ident(ds.Schema)
		s.b.WriteByte('.')
	}
	s.ident(ds.Name)
}

// selectRows renders the page query. It returns the columns it fetches: the
// selected ones, then the order columns that are not selected (for the cursor).
func (d *dialect) selectRows(q *query) (string, []any, []*column) {
	s := &sqlBuilder{d: d}
	fetch := append([]*column(nil), q.sel...)
	for _, o := range q.order {
		found := false
		for _, c := range fetch {
			if c == o.col {
				found = true
				break
			}
		}
		if !found {
			fetch = append(fetch, o.col)
		}
	}
	if d.mariadb && d.timeout > 0 {
		fmt.Fprintf(&s.b, "SET STATEMENT max_statement_time=%.3f FOR ", max(d.timeout.Seconds(), 0.001))
	}
	s.b.WriteString("SELECT ")
	if d.name == "mysql" && !d.mariadb && d.timeout > 0 {
		fmt.Fprintf(&s.b, "/*+ MAX_EXECUTION_TIME(%d) */ ", d.timeout.Milliseconds())
	}
	for i, c := range fetch {
		if i > 0 {
			s.b.WriteString(", ")
		}
		s.ident(c.name)
	}
	s.b.WriteString(" FROM ")
	s.table(q.ds)
	where := 0
	and := func() {
		if where == 0 {
			s.b.WriteString(" WHERE ")
		} else {
			s.b.WriteString(" AND ")
		}
		where++
	}
	for _, f := range q.filters {
		and()
		s.filter(f)
	}
	if q.after != nil {
		and()
		s.b.WriteByte('(')
		s.keyset(q.order, q.after.args, q.keyless)
		s.b.WriteByte(')')
	}
	s.b.WriteString(" ORDER BY ")
	for i, o := range q.order {
		if i > 0 {
			s.b.WriteString(", ")
		}
		s.orderItem(o)
	}
	n := q.limit + 1
	if q.after != nil && q.keyless {
		n += q.after.Skip
	}
	s.b.WriteString(" LIMIT " + strconv.Itoa(n))
	return s.b.String(), s.args, fetch
}

// selectKey renders the lookup of one row by its key values.
func (d *dialect) selectKey(ds *dataset, sel []*column, key []*column, vals []any) (string, []any) {
	s := &sqlBuilder{d: d}
	if d.mariadb && d.timeout > 0 {
		fmt.Fprintf(&s.b, "SET STATEMENT max_statement_time=%.3f FOR ", max(d.timeout.Seconds(), 0.001))
	}
	s.b.WriteString("SELECT ")
	for i, c := range sel {
		if i > 0 {
			s.b.WriteString(", ")
		}
		s.ident(c.name)
	}
	s.b.WriteString(" FROM ")
	s.table(ds)
	for i, c := range key {
		if i == 0 {
			s.b.WriteString(" WHERE ")
		} else {
			s.b.WriteString(" AND ")
		}
		s.ident(c.name)
		s.b.WriteString(" = ")
		s.arg(vals[i], c.typ)
	}
	return s.b.String(), s.args
}

func (s *sqlBuilder) filter(f filter) {
	if f.not {
		s.b.WriteString("NOT ")
	}
	s.b.WriteByte('(')
	c := f.col
	switch f.op {
	case "is":
		s.ident(c.name)
		switch f.is {
		case "null":
			s.b.WriteString(" IS NULL")
		case "true":
			s.b.WriteString(" IS TRUE")
		case "false":
			s.b.WriteString(" IS FALSE")
		}
	case "in":
		s.ident(c.name)
		s.b.WriteString(" IN (")
		for i, a := range f.args {
			if i > 0 {
				s.b.WriteString(", ")
			}
			s.arg(a, c.typ)
		}
		s.b.WriteByte(')')
	case "like", "ilike":
		s.like(c, f.op == "ilike", f.args[0].(string))
	case "eq", "neq":
		// Equality needs no collation (PostgreSQL's deterministic collations
		// compare bytes), and without one an index on the column serves it.
		s.ident(c.name)
		s.b.WriteString(map[string]string{"eq": " = ", "neq": " <> "}[f.op])
		s.arg(f.args[0], c.typ)
	default:
		s.ordered(c)
		s.b.WriteString(map[string]string{"eq": " = ", "neq": " <> ", "gt": " > ", "gte": " >= ", "lt": " < ", "lte": " <= "}[f.op])
		s.arg(f.args[0], c.typ)
	}
	s.b.WriteByte(')')
}

// like renders a (case-insensitive when ci) match where * is the only
// wildcard: % and _ in the value are literal.
func (s *sqlBuilder) like(c *column, ci bool, pattern string) {
	if s.d.name == "sqlite" && !ci {
		// SQLite's LIKE ignores case; GLOB does not, and * is its wildcard too.
		r := strings.NewReplacer("[", "[[]", "?", "[?]")
		s.ident(c.name)
		s.b.WriteString(" GLOB ")
		s.arg(r.Replace(pattern), c.typ)
		return
	}
	r := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`, "*", "%")
	p := r.Replace(pattern)
	switch {
	case s.d.name == "postgres" && ci:
		s.ident(c.name)
		s.b.WriteString(" ILIKE ")
		s.arg(p, c.typ)
	case s.d.name == "mysql" && ci:
		s.b.WriteString("LOWER(")
		s.ident(c.name)
		s.b.WriteString(") LIKE LOWER(")
		s.arg(p, c.typ)
		s.b.WriteString(")")
	default:
		s.ident(c.name)
		s.b.WriteString(" LIKE ")
		s.arg(p, c.typ)
	}
	if s.d.name == "sqlite" {
		s.b.WriteString(` ESCAPE '\'`)
	}
}

func (s *sqlBuilder) orderItem(o orderItem) {
	dir := " ASC"
	if o.desc {
		dir = " DESC"
	}
	if s.d.name == "mysql" {
		// MySQL has no NULLS FIRST/LAST: order by IS NULL first.
		s.ident(o.col.name)
		if o.nullsFirst {
			s.b.WriteString(" IS NULL DESC, ")
		} else {
			s.b.WriteString(" IS NULL ASC, ")
		}
		s.ordered(o.col)
		s.b.WriteString(dir)
		return
	}
	s.ordered(o.col)
	s.b.WriteString(dir)
	if o.nullsFirst {
		s.b.WriteString(" NULLS FIRST")
	} else {
		s.b.WriteString(" NULLS LAST")
	}
}

// keyset renders "the row comes after vals in this order": for each order item
// in turn, either the row is after the value, or equal to it and the rest
// decides. NULLs sort as the order item says. With orEqual (a table without a
// key) rows equal in every item qualify too; the cursor's skip count drops the
// ones already returned.
func (s *sqlBuilder) keyset(order []orderItem, vals []any, orEqual bool) {
	if len(order) == 0 {
		s.b.WriteString("1=1")
		return
	}
	o, v := order[0], vals[0]
	col := o.col
	// after: the row sorts strictly after v in this item.
	wroteAfter := false
	if v == nil {
		if o.nullsFirst {
			s.ident(col.name)
			s.b.WriteString(" IS NOT NULL")
			wroteAfter = true
		}
	} else {
		s.b.WriteByte('(')
		s.ordered(col)
		if o.desc {
			s.b.WriteString(" < ")
		} else {
			s.b.WriteString(" > ")
		}
		s.arg(v, col.typ)
		if !o.nullsFirst {
			s.b.WriteString(" OR ")
			s.ident(col.name)
			s.b.WriteString(" IS NULL")
		}
		s.b.WriteByte(')')
		wroteAfter = true
	}
	if len(order) == 1 && !orEqual {
		if !wroteAfter {
			s.b.WriteString("1=0")
		}
		return
	}
	if wroteAfter {
		s.b.WriteString(" OR ")
	}
	s.b.WriteByte('(')
	s.ident(col.name)
	if v == nil {
		s.b.WriteString(" IS NULL")
	} else {
		s.b.WriteString(" = ")
		s.arg(v, col.typ)
	}
	if len(order) > 1 {
		s.b.WriteString(" AND (")
		s.keyset(order[1:], vals[1:], orEqual)
		s.b.WriteByte(')')
	}
	s.b.WriteByte(')')
}
