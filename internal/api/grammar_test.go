package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// grammarCases run unchanged on SQLite, PostgreSQL and MariaDB: the same query
// must select the same rows in the same order everywhere.
var grammarCases = []struct {
	query string
	ids   []int  // expected ids, in order
	param string // for a 400: the parameter named in the problem
}{
	{"", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
	{"id=eq.3", []int{3}, ""},
	{"id=neq.3", []int{1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
	{"price=gt.4", []int{5, 6, 7, 8}, ""},
	{"price=gte.4.50", []int{5, 6, 7, 8}, ""},
	{"price=lt.1", []int{3, 9, 11}, ""},
	{"price=lte.1.10", []int{3, 9, 11, 12}, ""},
	{"price=gt.1&price=lt.5", []int{1, 2, 4, 6, 7, 12}, ""},
	{"name=like.Ban*", []int{3, 11}, ""},
	{"name=like.a*", []int{2, 10}, ""},
	{"name=ilike.a*", []int{1, 2, 10}, ""},
	{"name=ilike.*A*", []int{1, 2, 3, 10, 11}, ""},
	{"name=like.100%25*", []int{6}, ""},
	{"name=like.under_score", []int{7}, ""},
	{"name=like.under%25core", nil, ""},
	{"name=like.under?score", nil, ""},
	{"name=like.*[q]*", nil, ""},
	{"name=like.*%22q%22", []int{9}, ""},
	{"name=in.(Apple,apple)", []int{1, 2}, ""},
	{"name=in.(%22Cherry,%20red%22,zucchini)", []int{5, 12}, ""},
	{"name=not.in.(Apple,apple)", []int{3, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
	{"name=is.null", []int{4}, ""},
	{"name=not.is.null", []int{1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
	{"name=not.eq.Banana", []int{1, 2, 5, 6, 7, 8, 9, 10, 12}, ""},
	{"name=eq.%C3%9Cn%C3%AFcode", []int{8}, ""},
	{"name=gt.a", []int{2, 7, 8, 10, 12}, ""},
	{"active=is.true", []int{1, 4, 6, 7, 9, 11}, ""},
	{"active=is.false", []int{2, 5, 8, 12}, ""},
	{"active=not.is.true", []int{2, 3, 5, 8, 10, 12}, ""},
	{"active=eq.true", []int{1, 4, 6, 7, 9, 11}, ""},
	{"active=eq.no", []int{2, 5, 8, 12}, ""},
	{"day=gte.2024-06-01", []int{9, 10, 11, 12}, ""},
	{"at=lt.2024-02-01T00:00:00Z", []int{1, 2}, ""},
	{"at=lt.2024-01-02T11:00:00%2B02:00", []int{1}, ""},
	{"at=is.null", []int{3, 12}, ""},
	{"tags=is.null", []int{2, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
	{"ratio=gt.1", []int{3, 4, 8, 10, 11}, ""},
	{"ratio=lt.0", []int{5}, ""},
	{"qty=in.(20,0)", []int{6, 7, 11}, ""},
	{"price=gte.1&active=is.true", []int{1, 4, 6, 7}, ""},
	{"order=price.desc", []int{10, 5, 8, 6, 7, 4, 2, 1, 12, 9, 11, 3}, ""},
	{"order=price.desc.nullslast", []int{5, 8, 6, 7, 4, 2, 1, 12, 9, 11, 3, 10}, ""},
	{"order=price.asc.nullsfirst", []int{10, 3, 11, 9, 12, 1, 2, 4, 6, 7, 8, 5}, ""},
	{"order=name", []int{6, 1, 3, 11, 5, 9, 2, 10, 7, 12, 8, 4}, ""},
	{"order=name.desc,id.desc", []int{4, 8, 12, 7, 10, 2, 9, 5, 11, 3, 1, 6}, ""},
	{"order=active.desc,day.asc&limit=5", []int{3, 10, 1, 6, 7}, ""},
	{"order=ratio.desc&ratio=not.is.null&limit=3", []int{10, 8, 4}, ""},
	{"limit=2", []int{1, 2}, ""},
	{"select=id&id=in.(5,1)", []int{1, 5}, ""},
	// Mistakes: always a 400 that names the parameter.
	{"nope=eq.1", nil, "nope"},
	{"id=foo.1", nil, "id"},
	{"id=eq.abc", nil, "id"},
	{"id=eq.1.5", nil, "id"},
	{"id=like.1*", nil, "id"},
	{"price=eq.1e999", nil, "price"},
	{"active=is.maybe", nil, "active"},
	{"qty=is.true", nil, "qty"},
	{"day=eq.2024-13-01", nil, "day"},
	{"tags=eq.1", nil, "tags"},
	{"id=in.(1,2", nil, "id"},
	{"id=in.(1,x)", nil, "id"},
	{"id=eq", nil, "id"},
	{"limit=0", nil, "limit"},
	{"limit=1001", nil, "limit"},
	{"limit=-1", nil, "limit"},
	{"limit=abc", nil, "limit"},
	{"limit=1&limit=2", nil, "limit"},
	{"order=nope", nil, "order"},
	{"order=tags", nil, "order"},
	{"order=id.up", nil, "order"},
	{"order=id,id", nil, "order"},
	{"order=", nil, "order"},
	{"select=nope", nil, "select"},
	{"select=id,id", nil, "select"},
	{"select=", nil, "select"},
	{"cursor=abc", nil, "cursor"},
	{"cursor=eyJkIjoiaXRlbXMifQ.AAAAAAAAAAAAAAAAAAAAAA", nil, "cursor"},
}

func idsOf(t *testing.T, p page) []int {
	t.Helper()
	var ids []int
	for _, row := range p.Data {
		var id int
		if err := json.Unmarshal(row["id"], &id); err != nil {
			t.Fatalf("row without a numeric id: %v", row)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestGrammar(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := openBackend(t, name)
			b.loadFixtures(t)
			h := newServer(t, b, nil)
			for _, c := range grammarCases {
				w := do(h, "GET", "/v1/datasets/items/rows?"+c.query)
				if c.param != "" {
					if w.Code != http.StatusBadRequest {
						t.Errorf("%s: status %d, want 400: %s", c.query, w.Code, w.Body)
						continue
					}
					var p Problem
					if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Parameter != c.param || p.Detail == "" {
						t.Errorf("%s: problem %s, want one naming %q", c.query, w.Body, c.param)
					}
					if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("%s: content type %q", c.query, ct)
					}
					continue
				}
				if w.Code != http.StatusOK {
					t.Errorf("%s: status %d: %s", c.query, w.Code, w.Body)
					continue
				}
				if got := idsOf(t, decodePage(t, w)); !slices.Equal(got, c.ids) {
					t.Errorf("%s: ids %v, want %v", c.query, got, c.ids)
				}
			}
		})
	}
}

// TestValues checks every type's JSON, CSV and NDJSON form, the same on every
// database.
func TestValues(t *testing.T) {
	want := map[string]string{
		"json":   `{"data":[{"id":1,"name":"Apple","price":1.50,"qty":10,"ratio":0.5,"active":true,"day":"2024-01-01","at":"2024-01-01T10:00:00Z","tags":{"a":1}},{"id":9,"name":"Quote \"q\"","price":0.99,"qty":7,"ratio":null,"active":true,"day":"2024-06-01","at":"2024-06-01T00:00:00Z","tags":null}],"next_cursor":null}` + "\n",
		"csv":    "id,name,price,qty,ratio,active,day,at,tags\r\n1,Apple,1.50,10,0.5,true,2024-01-01,2024-01-01T10:00:00Z,\"{\"\"a\"\":1}\"\r\n9,\"Quote \"\"q\"\"\",0.99,7,,true,2024-06-01,2024-06-01T00:00:00Z,\r\n",
		"ndjson": `{"id":1,"name":"Apple","price":1.50,"qty":10,"ratio":0.5,"active":true,"day":"2024-01-01","at":"2024-01-01T10:00:00Z","tags":{"a":1}}` + "\n" + `{"id":9,"name":"Quote \"q\"","price":0.99,"qty":7,"ratio":null,"active":true,"day":"2024-06-01","at":"2024-06-01T00:00:00Z","tags":null}` + "\n",
	}
	accept := map[string]string{"json": "application/json", "csv": "text/csv", "ndjson": "application/x-ndjson"}
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := openBackend(t, name)
			b.loadFixtures(t)
			h := newServer(t, b, nil)
			for f, body := range want {
				w := do(h, "GET", "/v1/datasets/items/rows?id=in.(1,9)", "Accept", accept[f])
				if w.Code != 200 || w.Body.String() != body {
					t.Errorf("%s: %d\n got %q\nwant %q", f, w.Code, w.Body, body)
				}
			}
			w := do(h, "GET", "/v1/datasets/items/rows/5?select=id,name,day")
			if w.Code != 200 || w.Body.String() != `{"id":5,"name":"Cherry, red","day":"2024-03-15"}`+"\n" {
				t.Errorf("row by key: %d %s", w.Code, w.Body)
			}
			if w := do(h, "GET", "/v1/datasets/items/rows/99"); w.Code != 404 {
				t.Errorf("absent key: %d", w.Code)
			}
			if w := do(h, "GET", "/v1/datasets/items/rows/x"); w.Code != 400 {
				t.Errorf("bad key: %d", w.Code)
			}
			if w := do(h, "GET", "/v1/datasets/events/rows/1"); w.Code != 400 {
				t.Errorf("keyless dataset by key: %d", w.Code)
			}
			if w := do(h, "GET", "/v1/datasets/items/rows", "Accept", "text/html"); w.Code != 406 {
				t.Errorf("Accept text/html: %d", w.Code)
			}
		})
	}
}

// paginate walks every page of a query and returns the rows' JSON.
func paginate(t *testing.T, h http.Handler, path, query string, limit int, between func(page int)) []string {
	t.Helper()
	var rows []string
	q := query
	for pageNo := 0; ; pageNo++ {
		if pageNo > 500 {
			t.Fatal("pagination does not end")
		}
		w := do(h, "GET", path+"?"+q+"&limit="+strconv.Itoa(limit))
		if w.Code != 200 {
			t.Fatalf("page %d: %d %s", pageNo, w.Code, w.Body)
		}
		p := decodePage(t, w)
		for _, r := range p.Data {
			b, _ := json.Marshal(r)
			rows = append(rows, string(b))
		}
		if p.NextCursor == nil {
			if w.Header().Get("Link") != "" {
				t.Errorf("last page has a Link header")
			}
			return rows
		}
		if !strings.Contains(w.Header().Get("Link"), `rel="next"`) {
			t.Errorf("page %d: no Link rel=next", pageNo)
		}
		if between != nil {
			between(pageNo)
		}
		q = query + "&cursor=" + url.QueryEscape(*p.NextCursor)
	}
}

func TestPagination(t *testing.T) {
	queries := []struct{ path, query string }{
		{"/v1/datasets/items/rows", "order=id"},
		{"/v1/datasets/items/rows", "order=price.desc"},
		{"/v1/datasets/items/rows", "order=price.asc.nullsfirst,name.desc"},
		{"/v1/datasets/items/rows", "order=name.asc.nullsfirst"},
		{"/v1/datasets/items/rows", "order=active,day.desc.nullslast&select=name"},
		{"/v1/datasets/items/rows", "order=at&price=gt.0.5"},
		{"/v1/datasets/events/rows", ""},
		{"/v1/datasets/events/rows", "order=kind.desc"},
		{"/v1/datasets/events/rows", "order=n,kind.nullsfirst&kind=not.eq.a"},
	}
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := openBackend(t, name)
			b.loadFixtures(t)
			h := newServer(t, b, nil)
			for _, q := range queries {
				all := paginate(t, h, q.path, q.query, 1000, nil)
				for _, limit := range []int{1, 2, 5, 7} {
					got := paginate(t, h, q.path, q.query, limit, nil)
					if !slices.Equal(got, all) {
						t.Errorf("%s?%s by %d: %d rows, want %d\n got %v\nwant %v", q.path, q.query, limit, len(got), len(all), got, all)
					}
				}
			}
			// A cursor is bound to its query.
			w := do(h, "GET", "/v1/datasets/items/rows?order=id&limit=2")
			c := *decodePage(t, w).NextCursor
			if w := do(h, "GET", "/v1/datasets/items/rows?order=name&limit=2&cursor="+url.QueryEscape(c)); w.Code != 400 {
				t.Errorf("cursor with another order: %d", w.Code)
			}
			if w := do(h, "GET", "/v1/datasets/events/rows?limit=2&cursor="+url.QueryEscape(c)); w.Code != 400 {
				t.Errorf("cursor on another dataset: %d", w.Code)
			}
			forged := c[:len(c)-2] + "AA"
			if w := do(h, "GET", "/v1/datasets/items/rows?order=id&limit=2&cursor="+url.QueryEscape(forged)); w.Code != 400 {
				t.Errorf("forged cursor: %d", w.Code)
			}
		})
	}
}

// TestPaginationWhileLoading pages through a table while other loads commit
// between the pages: every row present at the start comes exactly once.
func TestPaginationWhileLoading(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := openBackend(t, name)
			b.loadFixtures(t)
			h := newServer(t, b, nil)
			before := paginate(t, h, "/v1/datasets/items/rows", "select=id", 1000, nil)
			loads := 0
			got := paginate(t, h, "/v1/datasets/items/rows", "select=id", 3, func(page int) {
				loads++
				// New rows before and after the cursor, and an update of a row.
				csv := "id,name,price,qty,ratio,active,day,at,tags\n" +
					strconv.Itoa(100+page) + ",new,1.00,1,1,true,2024-01-01,2024-01-01T00:00:00Z,\n" +
					strconv.Itoa(2) + ",apple v" + strconv.Itoa(page) + ",2.00,5,,false,2024-01-02,2024-01-02T10:00:00Z,\n"
				b.load(t, "items.yaml", map[string]string{"items/extra" + strconv.Itoa(page) + ".csv": csv})
			})
			if loads == 0 {
				t.Fatal("no load between pages")
			}
			seen := map[string]int{}
			for _, r := range got {
				seen[r]++
			}
			for _, r := range before {
				if seen[r] != 1 {
					t.Errorf("row %s came %d times", r, seen[r])
				}
			}
			for r, n := range seen {
				if n > 1 {
					t.Errorf("row %s came %d times", r, n)
				}
			}
		})
	}
}

// TestStatementTimeout: a query past the statement timeout is a 503 problem
// that says so, never a 500, on every database.
func TestStatementTimeout(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := openBackend(t, name)
			b.loadFixtures(t)
			h := newServer(t, b, func(c *Config) { c.StatementTimeout = time.Nanosecond })
			for _, target := range []string{"/v1/datasets/items/rows", "/v1/datasets/items/rows/1"} {
				w := do(h, "GET", target)
				if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "statement timeout") {
					t.Errorf("%s: %d %s", target, w.Code, w.Body)
				}
			}
		})
	}
}

// TestRejects: a run's rejected rows come back as NDJSON, with their reason.
func TestRejects(t *testing.T) {
	b := openBackend(t, "sqlite")
	res := b.load(t, "items.yaml", map[string]string{"items/bad.csv": "id,name,price,qty,ratio,active,day,at,tags\n1,ok,1,1,1,true,2024-01-01,,\nx,bad id,1,1,1,true,2024-01-01,,\n2,bad day,1,1,1,true,2024-02-30,,\n"})
	if res.RowsRejected != 2 {
		t.Fatalf("rejected %d", res.RowsRejected)
	}
	h := newServer(t, b, func(c *Config) { c.Pipelines = testPipelines })
	w := do(h, "GET", "/v1/runs/"+res.ID+"/rejects")
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-ndjson" || len(lines) != 2 {
		t.Fatalf("%d %v %q", w.Code, w.Header(), w.Body)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["reason"] == nil {
			t.Errorf("reject line %s", l)
		}
	}
	if w := do(h, "GET", "/v1/runs/"+res.ID); w.Code != 200 || !strings.Contains(w.Body.String(), `"rows_rejected":2`) {
		t.Errorf("run: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/v1/runs?status=bogus"); w.Code != 400 {
		t.Errorf("bad status: %d", w.Code)
	}
	if w := do(h, "GET", "/v1/runs/00000000-0000-0000-0000-000000000000"); w.Code != 404 {
		t.Errorf("unknown run: %d", w.Code)
	}
}
