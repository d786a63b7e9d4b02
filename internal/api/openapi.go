package api

import (
	"compress/gzip"
	"embed"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func content(mt string, schema obj) obj { return obj{mt: obj{"schema": schema}} }

func problemResponse(desc string) obj {
	return obj{"description": desc, "content": content("application/problem+json", ref("Problem")),
		"headers": obj{"X-Request-Id": obj{"$ref": "#/components/headers/X-Request-Id"}}}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "description": desc, "schema": schema}
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "string"}}
}

// OpenAPI returns the API's OpenAPI 3.1 document.
func (s *Server) OpenAPI() []byte {
	s.openAPIOnce.Do(func() {
		s.openAPIDoc, _ = json.MarshalIndent(s.openAPIDocument(), "", "  ")
	})
	return s.openAPIDoc
}

func (s *Server) openAPIDocument() obj {
	str := obj{"type": "string"}
	integer := obj{"type": "integer"}
	ts := obj{"type": "string", "format": "date-time"}
	errs := func(codes ...int) obj {
		m := obj{}
		desc := map[int]string{
			400: "The request is not valid: the problem names the parameter and what to write instead.",
			401: "No credentials, or credentials that are unknown, revoked or expired.",
			403: "The credentials lack the scope this route needs.",
			404: "No such dataset, row, pipeline or run.",
			406: "The Accept header asks for a format this route does not serve.",
			413: "The request body is larger than 1 MiB.",
			415: "The body is not application/json.",
			429: "Too many requests for this key: retry after Retry-After seconds.",
			500: "The server failed; the request id identifies it in the server's logs.",
			503: "The database did not answer in time (statement timeout) or cannot be reached.",
		}
		for _, c := range codes {
			m[strconv.Itoa(c)] = problemResponse(desc[c])
		}
		return m
	}
	authErrs := []int{401, 403, 429, 500, 503}
	with := func(m obj, codes ...int) obj {
		for k, v := range errs(append(codes, authErrs...)...) {
			m[k] = v
		}
		return m
	}
	okJSON := func(desc string, schema obj) obj {
		return obj{"description": desc, "content": content("application/json", schema),
			"headers": obj{"X-Request-Id": obj{"$ref": "#/components/headers/X-Request-Id"}}}
	}
	cacheHeaders := obj{
		"X-Request-Id":  obj{"$ref": "#/components/headers/X-Request-Id"},
		"ETag":          obj{"description": "Strong validator: the dataset's last committed load and the query.", "schema": str},
		"Last-Modified": obj{"description": "When the dataset was last loaded.", "schema": str},
		"Cache-Control": obj{"schema": str},
	}
	notModified := obj{"description": "The client's copy (If-None-Match) is current.", "headers": obj{"ETag": obj{"schema": str}}}
	dataset := pathParam("dataset", "Dataset (table) name, as GET /v1/datasets lists it.")
	secured := []obj{{"bearer": []string{}}}
	op := func(id, summary, desc string, tags []string, params []obj, responses obj) obj {
		o := obj{"operationId": id, "summary": summary, "description": desc, "tags": tags, "responses": responses, "security": secured}
		if params != nil {
			o["parameters"] = params
		}
		return o
	}
	public := func(o obj) obj {
		o["security"] = []obj{}
		return o
	}
	rowsPage := obj{"type": "object", "required": []string{"data", "next_cursor"}, "properties": obj{
		"data":        obj{"type": "array", "items": obj{"type": "object", "additionalProperties": true}},
		"next_cursor": obj{"type": []string{"string", "null"}, "description": "Pass as cursor= to get the next page; null on the last page."},
	}}
	paths := obj{
		"/v1/datasets": obj{"get": op("listDatasets", "List the loaded datasets",
			"Every dataset the credentials may read: name, columns and types, key, row count, last load time and run.", []string{"datasets"}, nil,
			with(obj{"200": okJSON("The datasets.", obj{"type": "object", "properties": obj{"data": obj{"type": "array", "items": ref("Dataset")}}})}))},
		"/v1/datasets/{dataset}": obj{"get": op("getDataset", "Describe one dataset", "Needs the scope read or read:{dataset}.", []string{"datasets"},
			[]obj{dataset}, with(obj{"200": okJSON("The dataset.", ref("Dataset"))}, 404))},
		"/v1/datasets/{dataset}/rows": obj{"get": op("queryRows", "Query a dataset's rows",
			"PostgREST's grammar. Filters are `column=operator.value` with the operators eq, neq, gt, gte, lt, lte, like, ilike (`*` is the wildcard), "+
				"in.(a,b,\"c,d\"), is.null, is.true, is.false, each optionally preceded by not.; several filters combine with AND. Values are parsed as the column's type. "+
				"Pages are ordered by the order parameter and then by the dataset's key, and continue with the opaque, signed next_cursor (also in a Link header with rel=\"next\"). "+
				"With Accept: text/csv or application/x-ndjson the rows stream as CSV (with a header line) or NDJSON; on a large page the Link header arrives as an HTTP trailer.",
			[]string{"datasets"},
			[]obj{dataset,
				queryParam("select", "Columns to return, comma-separated (default: all).", str),
				queryParam("order", "`col[.asc|.desc][.nullsfirst|.nullslast]`, comma-separated. Default direction asc; NULLs sort last ascending and first descending.", str),
				queryParam("limit", "Rows a page: 1 to the server's api.max_rows (default 100).", obj{"type": "integer", "minimum": 1}),
				queryParam("cursor", "next_cursor of the previous page, unchanged.", str),
				{"name": "filters", "in": "query", "style": "form", "explode": true,
					"description": "Any other parameter is a filter on the column of that name: `amount=gte.100`, `status=in.(paid,shipped)`, `email=not.is.null`.",
					"schema":      obj{"type": "object", "additionalProperties": obj{"type": "string", "pattern": "^(not\\.)?(eq|neq|gt|gte|lt|lte|like|ilike|in|is)\\..*$"}}},
				{"name": "Accept", "in": "header", "schema": obj{"type": "string", "enum": []string{"application/json", "text/csv", "application/x-ndjson"}}},
				{"name": "If-None-Match", "in": "header", "schema": str},
			},
			with(obj{
				"200": obj{"description": "A page of rows.", "headers": merge(cacheHeaders, obj{"Link": obj{"description": "`<…?cursor=…>; rel=\"next\"` when there is a next page.", "schema": str}}),
					"content": obj{
						"application/json":     obj{"schema": rowsPage},
						"text/csv":             obj{"schema": str},
						"application/x-ndjson": obj{"schema": str},
					}},
				"304": notModified,
			}, 400, 404, 406))},
		"/v1/datasets/{dataset}/rows/{key}": obj{"get": op("getRow", "Get one row by its key",
			"The key's values, comma-separated in key order for a composite key (quote values holding commas). Only select= is accepted.", []string{"datasets"},
			[]obj{dataset, pathParam("key", "The row's key value(s)."), queryParam("select", "Columns to return.", str), {"name": "If-None-Match", "in": "header", "schema": str}},
			with(obj{"200": obj{"description": "The row.", "headers": cacheHeaders, "content": content("application/json", obj{"type": "object", "additionalProperties": true})}, "304": notModified}, 400, 404))},
		"/v1/pipelines": obj{"get": op("listPipelines", "List the pipelines", "Specs, schedule, next scheduled run and last run. Needs read, run or admin.", []string{"pipelines"}, nil,
			with(obj{"200": okJSON("The pipelines.", obj{"type": "object", "properties": obj{"data": obj{"type": "array", "items": ref("Pipeline")}}})}))},
		"/v1/pipelines/{name}": obj{"get": op("getPipeline", "Describe one pipeline", "Needs read, run or admin.", []string{"pipelines"},
			[]obj{pathParam("name", "Pipeline name.")}, with(obj{"200": okJSON("The pipeline.", ref("Pipeline"))}, 404))},
		"/v1/pipelines/{name}/runs": obj{"post": merge(op("startRun", "Start a run of a pipeline",
			"Queues a run and answers at once with its id; follow Location for its outcome. Needs run or admin.", []string{"pipelines"},
			[]obj{pathParam("name", "Pipeline name.")},
			with(obj{"202": obj{"description": "The run is queued.", "headers": obj{"Location": obj{"description": "/v1/runs/{id}", "schema": str}, "X-Request-Id": obj{"$ref": "#/components/headers/X-Request-Id"}},
				"content": content("application/json", ref("RunAccepted"))}}, 400, 404, 413, 415)),
			obj{"requestBody": obj{"required": false, "content": content("application/json", obj{"type": "object", "additionalProperties": false,
				"properties": obj{"full_refresh": obj{"type": "boolean", "default": false, "description": "Reload every file, whatever the ledger says."}}})}})},
		"/v1/runs": obj{"get": op("listRuns", "List runs, newest first", "Needs read, run or admin.", []string{"runs"},
			[]obj{queryParam("pipeline", "Only this pipeline's runs.", str),
				queryParam("status", "Only runs with this status.", obj{"type": "string", "enum": runStatuses}),
				queryParam("limit", "How many runs (1–1000, default 50).", obj{"type": "integer", "minimum": 1, "maximum": 1000})},
			with(obj{"200": okJSON("The runs.", obj{"type": "object", "properties": obj{"data": obj{"type": "array", "items": ref("Run")}}})}, 400))},
		"/v1/runs/{id}": obj{"get": op("getRun", "Describe one run", "Counts, status and error. Needs read, run or admin.", []string{"runs"},
			[]obj{pathParam("id", "Run id (a UUID).")}, with(obj{"200": okJSON("The run.", ref("Run"))}, 404))},
		"/v1/runs/{id}/rejects": obj{"get": op("getRejects", "Stream a run's rejected rows",
			"One JSON object per line: file, line or record, column, reason and the raw text. Needs read, run or admin.", []string{"runs"},
			[]obj{pathParam("id", "Run id (a UUID).")},
			with(obj{"200": obj{"description": "The rejects (empty when the run rejected nothing).", "content": content("application/x-ndjson", str)}}, 404))},
		"/healthz": obj{"get": public(op("healthz", "Liveness", "Answers while the process serves.", []string{"operations"}, nil,
			obj{"200": okJSON("Alive.", obj{"type": "object", "properties": obj{"status": str, "version": str}})}))},
		"/readyz": obj{"get": public(op("readyz", "Readiness", "Answers 200 when the database answers.", []string{"operations"}, nil,
			merge(obj{"200": okJSON("Ready.", obj{"type": "object", "properties": obj{"status": str, "database": str}})}, errs(503))))},
		"/openapi.json": obj{"get": public(op("openapi", "This document", "", []string{"operations"}, nil,
			obj{"200": okJSON("The OpenAPI 3.1 document.", obj{"type": "object"})}))},
		"/docs": obj{"get": public(op("docs", "API documentation page", "Renders this document; every asset is served by the server itself.", []string{"operations"}, nil,
			obj{"200": obj{"description": "An HTML page.", "content": content("text/html", str)}}))},
		"/docs/{file}": obj{"get": public(op("docsAsset", "Documentation assets", "Scripts and styles of /docs.", []string{"operations"},
			[]obj{pathParam("file", "Asset name.")}, merge(obj{"200": obj{"description": "The asset."}}, errs(404))))},
	}
	if s.cfg.Metrics != nil {
		paths["/metrics"] = obj{"get": public(op("metrics", "Prometheus metrics", "The local server's metrics in the Prometheus text format.", []string{"operations"}, nil,
			obj{"200": obj{"description": "Metrics.", "content": content("text/plain", str)}}))}
	}
	schemas := obj{
		"Problem": obj{"type": "object", "description": "RFC 9457 problem details.", "required": []string{"type", "title", "status"}, "properties": obj{
			"type": obj{"type": "string", "format": "uri"}, "title": str, "status": integer, "detail": str,
			"instance": str, "request_id": str, "parameter": obj{"type": "string", "description": "The parameter or header at fault."}}},
		"Dataset": obj{"type": "object", "required": []string{"name", "columns", "key", "row_count"}, "properties": obj{
			"name": str, "schema": str, "pipeline": str, "key": obj{"type": "array", "items": str},
			"columns":      obj{"type": "array", "items": obj{"type": "object", "properties": obj{"name": str, "type": obj{"type": "string", "description": "text, bigint, integer, double, decimal(p,s), boolean, date, timestamp, timestamptz or json"}}}},
			"row_count":    integer,
			"last_load_at": ts, "last_run_id": str}},
		"Run": obj{"type": "object", "required": []string{"run_id", "pipeline", "status"}, "properties": obj{
			"run_id": str, "pipeline": str, "trigger": str,
			"status":     obj{"type": "string", "enum": append(append([]string{}, runStatuses...), "queued", "running")},
			"started_at": ts, "finished_at": ts, "files": integer, "rows_read": integer, "rows_loaded": integer, "rows_inserted": integer,
			"rows_updated": integer, "rows_rejected": integer, "rows_filtered": integer, "bytes_read": integer, "error": str, "rejects_url": str}},
		"RunAccepted": obj{"type": "object", "properties": obj{"run_id": str, "pipeline": str, "status": obj{"const": "queued"}, "full_refresh": obj{"type": "boolean"}, "href": str}},
		"Pipeline": obj{"type": "object", "required": []string{"name"}, "properties": obj{
			"name": str, "description": str, "schedule": obj{"type": "string", "description": "EventBridge syntax: cron(…) or rate(…)."},
			"next_run": ts, "source": obj{"type": "object"}, "target": obj{"type": "object"}, "last_run": ref("Run")}},
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{"title": "Sluice API", "version": "1",
			"description": "The datasets Sluice loaded, queried with PostgREST's grammar, and the pipelines' operations. Every /v1 route needs `Authorization: Bearer <API key or JWT>`; errors are RFC 9457 problems; every response carries X-Request-Id."},
		"servers": []obj{{"url": "/"}},
		"tags":    []obj{{"name": "datasets"}, {"name": "pipelines"}, {"name": "runs"}, {"name": "operations"}},
		"paths":   paths,
		"components": obj{"schemas": schemas,
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "description": "A Sluice API key (sluice keys create) or a JWT from the configured issuer."}},
			"headers":         obj{"X-Request-Id": obj{"description": "Identifies the request in the server's logs.", "schema": str}},
		},
	}
}

func merge(a, b obj) obj {
	out := obj{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	b := s.OpenAPI()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

//go:embed docs/*.gz
var docsFS embed.FS

const docsHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`

const docsInit = `window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", deepLinking: true, tryItOutEnabled: false});
`

// docsCSP lets the page load only its own scripts and styles (Swagger UI
// sets inline styles).
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

func (s *Server) docsPage(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(w, docsHTML)
	return err
}

func (s *Server) docsAsset(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	h := w.Header()
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("Cache-Control", "public, max-age=86400")
	if name == "init.js" {
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, err := io.WriteString(w, docsInit)
		return err
	}
	f, err := docsFS.Open("docs/" + name + ".gz")
	if err != nil || strings.ContainsAny(name, "/\\") {
		return notFound("no documentation asset %q", truncate(name, 64))
	}
	defer f.Close()
	switch {
	case strings.HasSuffix(name, ".js"):
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		h.Set("Content-Type", "text/css; charset=utf-8")
	}
	h.Add("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusOK)
		_, err = io.Copy(w, f)
		return err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, zr)
	return err
}
