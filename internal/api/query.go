package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/record"
)

// column is a dataset column as the query layer sees it.
type column struct {
	name string
	typ  record.Type
}

// dataset is a loaded table with the catalog facts a query needs.
type dataset struct {
	catalog.Dataset
	cols   []column
	byName map[string]int
}

func newDataset(d catalog.Dataset) (*dataset, error) {
	ds := &dataset{Dataset: d, byName: make(map[string]int, len(d.Columns))}
	for i, c := range d.Columns {
		t, err := record.ParseType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("dataset %s, column %s: %w", d.Name, c.Name, err)
		}
		ds.cols = append(ds.cols, column{name: c.Name, typ: t})
		ds.byName[c.Name] = i
	}
	return ds, nil
}

func (d *dataset) column(name string) (*column, bool) {
	i, ok := d.byName[name]
	if !ok {
		return nil, false
	}
	return &d.cols[i], true
}

// unknownColumn is the 400 for a name that is not a column, with a suggestion.
func (d *dataset) unknownColumn(param, name string) *Problem {
	names := make([]string, len(d.cols))
	for i, c := range d.cols {
		names[i] = c.name
	}
	hint := "; its columns are " + strings.Join(names, ", ")
	if len(names) > 12 {
		hint = "; GET /v1/datasets/" + d.Name + " lists its columns"
	}
	return badRequest(param, "dataset %s has no column %q%s", d.Name, truncate(name, 64), hint)
}

// Reserved query parameters of /rows; every other parameter is a filter.
var reserved = []string{"select", "order", "limit", "cursor"}

// Operators of the filter grammar.
var operators = []string{"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is"}

type filter struct {
	col  *column
	op   string // one of operators
	not  bool
	args []any  // converted values: one, or several for in; none for is
	is   string // null, true, false for is
	raw  string // the parameter as written, for the cursor's query hash
}

type orderItem struct {
	col        *column
	desc       bool
	nullsFirst bool
}

// query is a parsed /rows request.
type query struct {
	ds      *dataset
	sel     []*column // output columns, in order
	filters []filter
	order   []orderItem // user order, then the tie-breakers (key or every column)
	nUser   int         // how many items of order the user asked for
	keyless bool        // the tie-breaker is every column: keyset continues with a skip count
	limit   int
	after   *cursor
}

// parseQuery parses the query string of /rows against the dataset's columns.
func parseQuery(ds *dataset, v url.Values, maxRows int, secret []byte) (*query, *Problem) {
	q := &query{ds: ds, limit: min(100, maxRows)}
	for name, vals := range v {
		if slices.Contains(reserved, name) && len(vals) > 1 {
			return nil, badRequest(name, "%s is given %d times; give it once", name, len(vals))
		}
	}
	if s := v.Get("select"); s != "" {
		seen := map[string]bool{}
		for _, name := range strings.Split(s, ",") {
			name = strings.TrimSpace(name)
			c, ok := ds.column(name)
			if !ok {
				return nil, ds.unknownColumn("select", name)
			}
			if seen[name] {
				return nil, badRequest("select", "column %s is selected twice", name)
			}
			seen[name] = true
			q.sel = append(q.sel, c)
		}
	} else if v.Has("select") {
		return nil, badRequest("select", "select is empty: name columns, for example select=%s", ds.cols[0].name)
	} else {
		for i := range ds.cols {
			q.sel = append(q.sel, &ds.cols[i])
		}
	}
	if s := v.Get("limit"); s != "" || v.Has("limit") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, badRequest("limit", "limit must be a whole number from 1 to %d, found %q", maxRows, truncate(s, 32))
		}
		if n > maxRows {
			return nil, badRequest("limit", "limit %d is above this server's maximum of %d rows a page: ask for fewer and follow next_cursor", n, maxRows)
		}
		q.limit = n
	}
	names := make([]string, 0, len(v))
	for name := range v {
		if !slices.Contains(reserved, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		c, ok := ds.column(name)
		if !ok {
			return nil, ds.unknownColumn(name, name)
		}
		for _, raw := range v[name] {
			f, p := parseFilter(c, raw)
			if p != nil {
				p.Parameter = name
				return nil, p
			}
			q.filters = append(q.filters, f)
		}
	}
	if p := q.parseOrder(v.Get("order"), v.Has("order")); p != nil {
		return nil, p
	}
	if s := v.Get("cursor"); s != "" || v.Has("cursor") {
		c, p := decodeCursor(s, secret)
		if p != nil {
			return nil, p
		}
		if c.Dataset != ds.Name || c.Query != q.hash() {
			return nil, badRequest("cursor", "this cursor belongs to another query: keep the filters and order of the request that returned it, or drop the cursor to start over")
		}
		if len(c.Values) != len(q.order) {
			return nil, badRequest("cursor", "this cursor no longer matches the dataset (its columns changed): drop the cursor to start over")
		}
		c.args = make([]any, len(c.Values))
		for i, s := range c.Values {
			if s == nil {
				continue
			}
			a, err := record.Convert(*s, q.order[i].col.typ)
			if err != nil {
				return nil, badRequest("cursor", "this cursor no longer matches the dataset (a column's type changed): drop the cursor to start over")
			}
			c.args[i] = a
		}
		q.after = c
	}
	return q, nil
}

func parseFilter(c *column, raw string) (filter, *Problem) {
	f := filter{col: c, raw: c.name + "=" + raw}
	if !utf8.ValidString(raw) || strings.IndexByte(raw, 0) >= 0 {
		return f, badRequest("", "filter on %s: values must be UTF-8 text without NUL characters", c.name)
	}
	rest := raw
	if strings.HasPrefix(rest, "not.") {
		f.not, rest = true, rest[4:]
	}
	op, val, ok := strings.Cut(rest, ".")
	if !ok || !slices.Contains(operators, op) {
		return f, badRequest("", "filter %s=%s: write column=operator.value with one of the operators %s (each may follow not.), for example %s=eq.VALUE",
			c.name, truncate(raw, 64), strings.Join(operators, ", "), c.name)
	}
	f.op = op
	kind := c.typ.Kind
	switch op {
	case "is":
		switch val {
		case "null":
		case "true", "false":
			if kind != record.KindBoolean {
				return f, badRequest("", "filter %s=%s: is.%s applies to boolean columns; %s is %s", c.name, truncate(raw, 64), val, c.name, c.typ)
			}
		default:
			return f, badRequest("", "filter %s=%s: is takes null, true or false", c.name, truncate(raw, 64))
		}
		f.is = val
		return f, nil
	case "like", "ilike":
		if kind != record.KindText {
			return f, badRequest("", "filter %s=%s: %s applies to text columns; %s is %s", c.name, truncate(raw, 64), op, c.name, c.typ)
		}
		f.args = []any{val}
		return f, nil
	}
	if kind == record.KindJSON {
		return f, badRequest("", "filter %s=%s: json columns can only be tested with is.null", c.name, truncate(raw, 64))
	}
	vals := []string{val}
	if op == "in" {
		var p *Problem
		if vals, p = parseList(val); p != nil {
			p.Detail = fmt.Sprintf("filter %s=%s: %s", c.name, truncate(raw, 64), p.Detail)
			return f, p
		}
	}
	for _, s := range vals {
		a, err := record.Convert(s, c.typ)
		if err != nil {
			return f, badRequest("", "filter %s=%s: column %s is %s and %q is not: %v", c.name, truncate(raw, 64), c.name, c.typ, truncate(s, 64), err)
		}
		f.args = append(f.args, a)
	}
	return f, nil
}

// parseList parses in.(a,b,"c,d"): values separated by commas, each optionally
// double-quoted, with \" and \\ escapes inside quotes.
func parseList(s string) ([]string, *Problem) {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return nil, badRequest("", `in takes a list in parentheses: in.(a,b,c); quote values that hold commas: in.("a,b",c)`)
	}
	s = s[1 : len(s)-1]
	var out []string
	for i := 0; ; {
		var b strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if ch == '"' {
					closed = true
					break
				}
				b.WriteByte(ch)
			}
			if !closed || (i < len(s) && s[i] != ',') {
				return nil, badRequest("", "in: a quoted value is not closed or is followed by something else than a comma")
			}
		} else {
			j := strings.IndexByte(s[i:], ',')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(strings.TrimSpace(s[i : i+j]))
			i += j
		}
		out = append(out, b.String())
		if len(out) > 1000 {
			return nil, badRequest("", "in: at most 1000 values")
		}
		if i >= len(s) {
			return out, nil
		}
		i++ // the comma
	}
}

func (q *query) parseOrder(s string, given bool) *Problem {
	if given && s == "" {
		return badRequest("order", "order is empty: write for example order=%s.desc", q.ds.cols[0].name)
	}
	used := map[string]bool{}
	if s != "" {
		for _, item := range strings.Split(s, ",") {
			parts := strings.Split(strings.TrimSpace(item), ".")
			c, ok := q.ds.column(parts[0])
			if !ok {
				return q.ds.unknownColumn("order", parts[0])
			}
			if c.typ.Kind == record.KindJSON {
				return badRequest("order", "column %s is json and cannot be ordered by", c.name)
			}
			if used[c.name] {
				return badRequest("order", "column %s appears twice in order", c.name)
			}
			used[c.name] = true
			o := orderItem{col: c}
			dirSet, nullsSet := false, false
			for _, m := range parts[1:] {
				switch {
				case (m == "asc" || m == "desc") && !dirSet && !nullsSet:
					o.desc, dirSet = m == "desc", true
				case (m == "nullsfirst" || m == "nullslast") && !nullsSet:
					o.nullsFirst, nullsSet = m == "nullsfirst", true
				default:
					return badRequest("order", "order item %q: write column[.asc|.desc][.nullsfirst|.nullslast]", truncate(item, 64))
				}
			}
			if !nullsSet {
				o.nullsFirst = o.desc // as PostgreSQL: NULLs are larger than any value
			}
			q.order = append(q.order, o)
		}
	}
	q.nUser = len(q.order)
	if len(q.ds.Key) > 0 {
		for _, k := range q.ds.Key {
			if c, ok := q.ds.column(k); ok && !used[k] {
				q.order = append(q.order, orderItem{col: c})
				used[k] = true
			}
		}
		return nil
	}
	q.keyless = true
	for i := range q.ds.cols {
		c := &q.ds.cols[i]
		if !used[c.name] && c.typ.Kind != record.KindJSON {
			q.order = append(q.order, orderItem{col: c})
		}
	}
	return nil
}

// hash identifies the filters and order a cursor is valid for.
func (q *query) hash() string {
	parts := make([]string, 0, len(q.filters)+len(q.order))
	for _, f := range q.filters {
		parts = append(parts, f.raw)
	}
	slices.Sort(parts)
	for _, o := range q.order[:q.nUser] {
		parts = append(parts, fmt.Sprintf("order:%s:%t:%t", o.col.name, o.desc, o.nullsFirst))
	}
	h := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return base64.RawURLEncoding.EncodeToString(h[:9])
}

// cursor is the position after the last row of a page: the values of the order
// columns in that row and, for a table without a key, how many rows with exactly
// those values were already returned.
type cursor struct {
	Dataset string    `json:"d"`
	Query   string    `json:"q"`
	Values  []*string `json:"v"`
	Skip    int       `json:"s,omitempty"`
	args    []any
}

const macSize = 16

func encodeCursor(c *cursor, secret []byte) string {
	b, _ := json.Marshal(c)
	m := hmac.New(sha256.New, secret)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:macSize])
}

func decodeCursor(s string, secret []byte) (*cursor, *Problem) {
	bad := badRequest("cursor", "cursor is not one this server issued: pass next_cursor exactly as returned, or drop it to start from the first page")
	if len(s) > 8192 {
		return nil, bad
	}
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return nil, bad
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(mac) != macSize {
		return nil, bad
	}
	m := hmac.New(sha256.New, secret)
	m.Write(b)
	if !hmac.Equal(m.Sum(nil)[:macSize], mac) {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Skip < 0 {
		return nil, bad
	}
	return &c, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
