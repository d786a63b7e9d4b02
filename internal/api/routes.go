package api

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

func (s *Server) routeTable() []route {
	rs := []route{
		{method: "GET", pattern: "/v1/datasets", summary: "List the loaded datasets", handler: s.listDatasets},
		{method: "GET", pattern: "/v1/datasets/{dataset}", summary: "Describe one dataset", handler: s.getDataset},
		{method: "GET", pattern: "/v1/datasets/{dataset}/rows", summary: "Query a dataset's rows", handler: s.queryRows},
		{method: "GET", pattern: "/v1/datasets/{dataset}/rows/{key}", summary: "Get one row by its key", handler: s.getRow},
		{method: "GET", pattern: "/v1/pipelines", summary: "List the pipelines", handler: s.listPipelines},
		{method: "GET", pattern: "/v1/pipelines/{name}", summary: "Describe one pipeline", handler: s.getPipeline},
		{method: "POST", pattern: "/v1/pipelines/{name}/runs", summary: "Start a run of a pipeline", handler: s.startRun},
		{method: "GET", pattern: "/v1/runs", summary: "List runs, newest first", handler: s.listRuns},
		{method: "GET", pattern: "/v1/runs/{id}", summary: "Describe one run", handler: s.getRun},
		{method: "GET", pattern: "/v1/runs/{id}/rejects", summary: "Stream a run's rejected rows", handler: s.getRejects},
		{method: "GET", pattern: "/healthz", summary: "Liveness", public: true, handler: s.healthz},
		{method: "GET", pattern: "/readyz", summary: "Readiness: the database answers", public: true, handler: s.readyz},
		{method: "GET", pattern: "/openapi.json", summary: "This API's OpenAPI 3.1 document", public: true, handler: s.openAPI},
		{method: "GET", pattern: "/docs", summary: "API documentation page", public: true, handler: s.docsPage},
		{method: "GET", pattern: "/docs/{file}", summary: "API documentation assets", public: true, handler: s.docsAsset},
	}
	if s.cfg.Metrics != nil {
		rs = append(rs, route{method: "GET", pattern: "/metrics", summary: "Prometheus metrics", public: true, handler: func(w http.ResponseWriter, r *http.Request) error {
			s.cfg.Metrics.ServeHTTP(w, r)
			return nil
		}})
	}
	return rs
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// datasets returns the catalog's datasets, cached for DatasetTTL.
func (s *Server) datasets(ctx context.Context) (map[string]*dataset, error) {
	s.dsMu.Lock()
	defer s.dsMu.Unlock()
	now := s.now()
	if s.dsCache != nil && now.Before(s.dsExpires) {
		return s.dsCache, nil
	}
	list, err := s.cat.Datasets(ctx, s.cat.DB())
	if err != nil {
		return nil, err
	}
	m := make(map[string]*dataset, len(list))
	for _, d := range list {
		ds, err := newDataset(d)
		if err != nil {
			return nil, err
		}
		m[d.Name] = ds
	}
	s.dsCache, s.dsExpires = m, now.Add(s.cfg.DatasetTTL)
	return m, nil
}

func (s *Server) dataset(r *http.Request) (*dataset, error) {
	name := r.PathValue("dataset")
	p := principal(r)
	if !p.canRead(name) {
		return nil, forbidden("this key may not read dataset %q: it needs the scope read or read:%s", truncate(name, 64), truncate(name, 64))
	}
	all, err := s.datasets(r.Context())
	if err != nil {
		return nil, err
	}
	ds, ok := all[name]
	if !ok {
		return nil, notFound("no dataset %q: GET /v1/datasets lists them", truncate(name, 64))
	}
	return ds, nil
}

func (s *Server) listDatasets(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.canReadSome() {
		return forbidden("listing datasets needs the scope read or read:<dataset>")
	}
	all, err := s.datasets(r.Context())
	if err != nil {
		return err
	}
	out := []catalog.Dataset{}
	for _, ds := range all {
		if p.canRead(ds.Name) {
			out = append(out, ds.Dataset)
		}
	}
	slices.SortFunc(out, func(a, b catalog.Dataset) int { return strings.Compare(a.Name, b.Name) })
	return writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) getDataset(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.dataset(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ds.Dataset)
}

// Response formats of /rows.
const (
	formatJSON   = "application/json"
	formatCSV    = "text/csv"
	formatNDJSON = "application/x-ndjson"
)

// negotiate picks the response format from Accept.
func negotiate(accept string) (string, *Problem) {
	if accept == "" {
		return formatJSON, nil
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		var f string
		switch mt {
		case "application/json", "application/*", "*/*":
			f = formatJSON
		case "text/csv", "text/*":
			f = formatCSV
		case "application/x-ndjson", "application/jsonl", "application/ndjson":
			f = formatNDJSON
		default:
			continue
		}
		if q > bestQ && q > 0 {
			best, bestQ = f, q
		}
	}
	if best == "" {
		return "", problem(http.StatusNotAcceptable, "not-acceptable", "rows are served as application/json, text/csv or application/x-ndjson; Accept asked for %q", truncate(accept, 100))
	}
	return best, nil
}

// etag is a strong validator of a response: the dataset's last committed load
// and everything in the request that shapes the body.
func etag(ds *dataset, parts ...string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d", ds.Name, ds.LastRunID, ds.LastLoadAt.UnixNano(), ds.RowCount)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
}

// conditional sets the caching headers and reports whether the client's copy is
// current (the caller answers 304).
func conditional(w http.ResponseWriter, r *http.Request, tag string, modified time.Time) bool {
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", "private, no-cache")
	h.Add("Vary", "Accept, Authorization")
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		if ims := r.Header.Get("If-Modified-Since"); ims != "" && !modified.IsZero() {
			if t, err := http.ParseTime(ims); err == nil && !modified.Truncate(time.Second).After(t) {
				return true
			}
		}
		return false
	}
	for _, c := range strings.Split(inm, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || c == tag || strings.TrimPrefix(c, "W/") == tag {
			return true
		}
	}
	return false
}

func notModified(w http.ResponseWriter) {
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusNotModified)
}

// canonicalQuery is the query string with its parameters sorted.
func canonicalQuery(v url.Values) string { return v.Encode() }

func (s *Server) queryRows(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.dataset(r)
	if err != nil {
		return err
	}
	format, p := negotiate(r.Header.Get("Accept"))
	if p != nil {
		return p
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequest("", "the query string is not valid URL encoding: %v", err)
	}
	q, p := parseQuery(ds, v, s.cfg.Project.API.MaxRows, s.cfg.Secret)
	if p != nil {
		return p
	}
	if conditional(w, r, etag(ds, format, canonicalQuery(v)), ds.LastLoadAt) {
		notModified(w)
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.StatementTimeout)
	defer cancel()
	text, args, fetch := s.d.selectRows(q)
	rows, err := s.cat.DB().QueryContext(ctx, text, args...)
	if err != nil {
		return s.queryError(err)
	}
	defer rows.Close()
	out := newPageWriter(w, format, s.cfg.MaxResponseBytes)
	out.begin(q.sel)
	vals := make([]any, len(fetch))
	ptrs := make([]any, len(fetch))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	// Where each order column is in the fetched row.
	orderIdx := make([]int, len(q.order))
	for i, o := range q.order {
		orderIdx[i] = slices.Index(fetch, o.col)
	}
	var (
		n       int
		last    []*string // order values of the last row written
		tail    int       // rows at the end of the page equal to last in every order column
		skip    int
		more    bool
		cur     = make([]*string, len(q.order))
		skipped = 0
	)
	if q.after != nil && q.keyless {
		skip = q.after.Skip
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, c := range fetch {
			x, err := s.d.fromSQL(vals[i], c.typ)
			if err != nil {
				return fmt.Errorf("column %s: %w", c.name, err)
			}
			vals[i] = x
		}
		for i, j := range orderIdx {
			cur[i] = textOf(vals[j], q.order[i].col)
		}
		if skipped < skip && equalValues(cur, q.after.Values) {
			skipped++
			continue
		}
		if n == q.limit {
			more = true
			break
		}
		if last != nil && equalValues(cur, last) {
			tail++
		} else {
			tail = 1
			last = slices.Clone(cur)
		}
		if err := out.row(vals[:len(q.sel)], q.sel); err != nil {
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return s.queryError(err)
	}
	next := ""
	if more {
		c := &cursor{Dataset: ds.Name, Query: q.hash(), Values: last}
		if q.keyless {
			c.Skip = tail
			if tail == n && q.after != nil && equalValues(last, q.after.Values) {
				c.Skip += q.after.Skip
			}
		}
		next = encodeCursor(c, s.cfg.Secret)
	}
	link := ""
	if next != "" {
		nv := url.Values{}
		for k, vs := range v {
			nv[k] = vs
		}
		nv.Set("cursor", next)
		link = fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, nv.Encode())
	}
	return out.end(next, link)
}

func (s *Server) queryError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "statement timeout") || strings.Contains(msg, "max_statement_time") || strings.Contains(msg, "maximum statement execution time") || strings.Contains(msg, "canceling statement") {
		return context.DeadlineExceeded
	}
	return err
}

// textOf is a value's canonical text, as the cursor keeps it.
func textOf(v any, c *column) *string {
	if v == nil {
		return nil
	}
	b := appendText(nil, v, c.typ)
	s := string(b)
	return &s
}

func equalValues(a, b []*string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || (a[i] != nil && *a[i] != *b[i]) {
			return false
		}
	}
	return true
}

func (s *Server) getRow(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.dataset(r)
	if err != nil {
		return err
	}
	if len(ds.Key) == 0 {
		return problem(http.StatusBadRequest, "no-key", "dataset %s has no key, so rows cannot be addressed one by one: query /v1/datasets/%s/rows with a filter instead", ds.Name, ds.Name)
	}
	raw := r.PathValue("key")
	parts := []string{raw}
	if len(ds.Key) > 1 {
		var p *Problem
		if parts, p = parseList("(" + raw + ")"); p != nil || len(parts) != len(ds.Key) {
			return badRequest("key", "dataset %s has the key (%s): give its %d values separated by commas, quoting values that hold commas", ds.Name, strings.Join(ds.Key, ", "), len(ds.Key))
		}
	}
	var keyCols []*column
	var keyVals []any
	for i, k := range ds.Key {
		c, _ := ds.column(k)
		f, p := parseFilter(c, "eq."+parts[i])
		if p != nil {
			p.Parameter = "key"
			return p
		}
		keyCols = append(keyCols, c)
		keyVals = append(keyVals, f.args[0])
	}
	v := r.URL.Query()
	sel := make([]*column, 0, len(ds.cols))
	for name := range v {
		if name != "select" {
			return badRequest(name, "a row by key takes only select=; filters belong to /rows")
		}
	}
	if s := v.Get("select"); s != "" {
		for _, name := range strings.Split(s, ",") {
			c, ok := ds.column(strings.TrimSpace(name))
			if !ok {
				return ds.unknownColumn("select", name)
			}
			sel = append(sel, c)
		}
	} else {
		for i := range ds.cols {
			sel = append(sel, &ds.cols[i])
		}
	}
	if conditional(w, r, etag(ds, "row", raw, canonicalQuery(v)), ds.LastLoadAt) {
		notModified(w)
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.StatementTimeout)
	defer cancel()
	text, args := s.d.selectKey(ds, sel, keyCols, keyVals)
	rows, err := s.cat.DB().QueryContext(ctx, text, args...)
	if err != nil {
		return s.queryError(err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return s.queryError(err)
		}
		return notFound("dataset %s has no row with key %s", ds.Name, truncate(raw, 100))
	}
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return err
	}
	b := make([]byte, 0, 256)
	b = append(b, '{')
	for i, c := range sel {
		x, err := s.d.fromSQL(vals[i], c.typ)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.name, err)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.name)
		b = append(b, ':')
		b = appendJSON(b, x, c.typ)
	}
	b = append(b, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// PipelineInfo is a pipeline as the API shows it.
type PipelineInfo struct {
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Schedule    string       `json:"schedule,omitempty"`
	NextRun     *time.Time   `json:"next_run,omitempty"`
	Source      any          `json:"source"`
	Target      any          `json:"target"`
	LastRun     *catalog.Run `json:"last_run,omitempty"`
}

func (s *Server) pipelines(ctx context.Context) ([]*spec.Pipeline, error) {
	if s.cfg.Pipelines == nil {
		return nil, nil
	}
	return s.cfg.Pipelines(ctx)
}

func (s *Server) pipelineInfo(ctx context.Context, p *spec.Pipeline, withLast bool) (PipelineInfo, error) {
	key := make([]string, len(p.Target.Key))
	for i, k := range p.Target.Key {
		key[i] = k.Name
	}
	mode := p.Target.Mode
	if mode == "" {
		mode = "append"
	}
	info := PipelineInfo{
		Name: p.Name, Description: p.Description, Schedule: p.Schedule,
		Source: map[string]any{"path": source.Redact(p.Source.Path), "pattern": p.Source.Pattern, "format": p.Source.Format},
		Target: map[string]any{"table": p.Target.Table, "mode": mode, "key": key},
	}
	if s.cfg.NextRun != nil {
		if t, ok := s.cfg.NextRun(p.Name); ok {
			t = t.UTC()
			info.NextRun = &t
		}
	}
	if withLast {
		runs, err := s.cat.Runs(ctx, catalog.RunFilter{Pipeline: p.Name, Limit: 1})
		if err != nil {
			return info, err
		}
		if len(runs) > 0 {
			info.LastRun = &runs[0]
		}
	}
	return info, nil
}

func canOperate(p *Principal) bool { return p.has(ScopeRead) || p.has(ScopeRun) }

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) error {
	if !canOperate(principal(r)) {
		return forbidden("listing pipelines needs the scope read, run or admin")
	}
	ps, err := s.pipelines(r.Context())
	if err != nil {
		return err
	}
	out := []PipelineInfo{}
	for _, p := range ps {
		info, err := s.pipelineInfo(r.Context(), p, true)
		if err != nil {
			return err
		}
		out = append(out, info)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) findPipeline(r *http.Request) (*spec.Pipeline, error) {
	name := r.PathValue("name")
	ps, err := s.pipelines(r.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, notFound("no pipeline %q: GET /v1/pipelines lists them", truncate(name, 64))
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request) error {
	if !canOperate(principal(r)) {
		return forbidden("reading pipelines needs the scope read, run or admin")
	}
	p, err := s.findPipeline(r)
	if err != nil {
		return err
	}
	info, err := s.pipelineInfo(r.Context(), p, true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, info)
}

// RunRequest is the optional body of POST /v1/pipelines/{name}/runs.
type RunRequest struct {
	FullRefresh bool `json:"full_refresh"`
}

func (s *Server) startRun(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).has(ScopeRun) {
		return forbidden("starting a run needs the scope run or admin")
	}
	p, err := s.findPipeline(r)
	if err != nil {
		return err
	}
	var req RunRequest
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return problem(http.StatusRequestEntityTooLarge, "too-large", "request bodies are limited to 1 MiB")
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
			return problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "the body must be application/json, for example {\"full_refresh\": false}")
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return badRequest("body", "the body must be a JSON object like {\"full_refresh\": false}: %v", err)
		}
	}
	if s.cfg.Runner == nil {
		return problem(http.StatusServiceUnavailable, "no-runner", "this server does not start runs")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	if err := s.cfg.Runner.Start(r.Context(), p.Name, id.String(), req.FullRefresh); err != nil {
		var pr *Problem
		if errors.As(err, &pr) {
			return pr
		}
		return err
	}
	loc := "/v1/runs/" + id.String()
	w.Header().Set("Location", loc)
	return writeJSON(w, http.StatusAccepted, map[string]any{"run_id": id.String(), "pipeline": p.Name, "status": "queued", "full_refresh": req.FullRefresh, "href": loc})
}

var runStatuses = []string{catalog.StatusSucceeded, catalog.StatusFailed, catalog.StatusPartial, catalog.StatusNothing}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	if !canOperate(principal(r)) {
		return forbidden("reading runs needs the scope read, run or admin")
	}
	v := r.URL.Query()
	for k := range v {
		if k != "pipeline" && k != "status" && k != "limit" {
			return badRequest(k, "unknown parameter %q: /v1/runs takes pipeline, status and limit", truncate(k, 64))
		}
	}
	f := catalog.RunFilter{Pipeline: v.Get("pipeline"), Status: v.Get("status"), Limit: 50}
	if f.Status != "" && !slices.Contains(runStatuses, f.Status) {
		return badRequest("status", "status must be one of %s", strings.Join(runStatuses, ", "))
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("limit", "limit must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	runs, err := s.cat.Runs(r.Context(), f)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []catalog.Run{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": runs})
}

func (s *Server) run(r *http.Request) (*catalog.Run, error) {
	if !canOperate(principal(r)) {
		return nil, forbidden("reading runs needs the scope read, run or admin")
	}
	id := r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil {
		return nil, notFound("no run %q: run ids are UUIDs, as GET /v1/runs lists them", truncate(id, 64))
	}
	run, err := s.cat.Run(r.Context(), id)
	if errors.Is(err, catalog.ErrNotFound) {
		if s.cfg.Runner != nil {
			if a, ok := s.cfg.Runner.Active(id); ok {
				return a, nil
			}
		}
		return nil, notFound("no run %s", id)
	}
	return run, err
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	run, err := s.run(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

func (s *Server) getRejects(w http.ResponseWriter, r *http.Request) error {
	run, err := s.run(r)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", formatNDJSON)
	h.Set("Cache-Control", "private, max-age=3600")
	if run.RejectsURL == "" || s.cfg.Storage == nil {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	rc, err := s.cfg.Storage.Open(r.Context(), source.Object{URL: run.RejectsURL})
	if err != nil {
		s.log.Warn("opening a rejects file", "run_id", run.ID, "error", err)
		return problem(http.StatusGone, "rejects-gone", "the rejects of run %s are no longer in storage (removed or expired)", run.ID)
	}
	defer rc.Close()
	if s.cfg.MaxResponseBytes > 0 {
		b, err := io.ReadAll(io.LimitReader(rc, int64(s.cfg.MaxResponseBytes)+1))
		if err != nil {
			return err
		}
		if len(b) > s.cfg.MaxResponseBytes {
			return tooLarge()
		}
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(b)
		return err
	}
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	if _, err := io.Copy(bw, rc); err != nil {
		return err
	}
	return bw.Flush()
}

func tooLarge() *Problem {
	return problem(http.StatusBadRequest, "response-too-large", "the response would pass the 6 MB payload limit of AWS Lambda: ask for fewer rows with limit= (and select= fewer columns) and follow next_cursor to page")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.cfg.Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cat.DB().PingContext(ctx); err != nil {
		s.log.Warn("readiness check failed", "error", err)
		return problem(http.StatusServiceUnavailable, "not-ready", "the database does not answer")
	}
	return writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "database": s.d.name})
}
