package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/binvault/binvault/httpapi"
)

// The contract tests: openapi.yaml is a valid OpenAPI 3.1 document, it lists
// exactly the routes of routes.go, and every answer any httpapi test gets
// through fixture.do matches it (checkContract, called from do).

// contract is openapi.yaml, loaded and validated once per test binary.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return &contract{doc: doc, router: router}, nil
})

// MustContract returns the loaded document or fails tb.
func MustContract(tb testing.TB) *contract {
	tb.Helper()
	c, err := loadContract()
	if err != nil {
		tb.Fatalf("openapi.yaml: %v", err)
	}
	return c
}

// checkContract reports, as errors of tb, every way in which the answer w
// to the request (method, target, hdr, body) departs from openapi.yaml.
// Benchmarks are not checked: they measure the handler.
func checkContract(tb testing.TB, method, target string, hdr map[string]string, body string, w *httptest.ResponseRecorder) {
	tb.Helper()
	if _, ok := tb.(*testing.B); ok {
		return
	}
	for _, p := range MustContract(tb).check(method, target, hdr, body, w) {
		tb.Errorf("openapi.yaml: %s %s answered %d: %s\n\tbody: %s", method, target, w.Code, p, clip(w.Body.Bytes(), 300))
	}
}

// check returns the ways an answer departs from the document:
//
//   - a path the document does not have must be 404, a method it does not
//     list for the path 405 with Allow, both with the error body;
//   - an OPTIONS request is the CORS middleware's 204, which the document
//     describes once rather than per path;
//   - otherwise the status must be one the operation lists (no default),
//     and the headers, Content-Type and body must match that response;
//   - a request the server accepted (2xx) must also match the operation's
//     parameters, body and security: what the document says a client must
//     send, it must send. Refused requests are often malformed on purpose,
//     so only their answers are checked.
func (c *contract) check(method, target string, hdr map[string]string, body string, w *httptest.ResponseRecorder) []string {
	req := newRequest(method, target, hdr, body)
	if method == http.MethodOptions {
		if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Methods") == "" {
			return []string{"a CORS preflight must be 204 with Access-Control-Allow-Methods"}
		}
		return nil
	}
	route, params, err := c.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		return c.checkUnrouted(w, http.StatusNotFound)
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return c.checkUnrouted(w, http.StatusMethodNotAllowed)
	case err != nil:
		return []string{"route: " + err.Error()}
	}
	if route.Operation.Responses.Status(w.Code) == nil {
		return []string{fmt.Sprintf("status %d is not documented for %s %s", w.Code, method, route.Path)}
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    keyPresent,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	var problems []string
	if w.Code == http.StatusNotModified {
		problems = notModified(route.Operation.Responses.Status(w.Code).Value, w) // ValidateResponse skips 304s
	}
	if w.Code >= 200 && w.Code < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			problems = append(problems, "accepted request: "+err.Error())
		}
	}
	res := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: w.Code, Header: w.Header(),
		Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), res); err != nil {
		problems = append(problems, "response: "+err.Error())
	}
	return problems
}

// notModified checks a 304, which has no body, for the headers its
// response declares required.
func notModified(res *openapi3.Response, w *httptest.ResponseRecorder) []string {
	var problems []string
	if w.Body.Len() > 0 {
		problems = append(problems, "a 304 has a body")
	}
	for name, h := range res.Headers {
		if h.Value.Required && w.Header().Get(name) == "" {
			problems = append(problems, "response header "+name+" missing")
		}
	}
	return problems
}

// checkUnrouted checks the answer to a request the document has no
// operation for: want (404 or 405) with JSONBin's error body.
func (c *contract) checkUnrouted(w *httptest.ResponseRecorder, want int) []string {
	var problems []string
	if w.Code != want {
		problems = append(problems, fmt.Sprintf("the document has no operation for this request, so it must be %d", want))
	}
	if want == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
		problems = append(problems, "405 without Allow")
	}
	var v any
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		return append(problems, "error body is not JSON: "+err.Error())
	}
	schema := c.doc.Components.Schemas["Error"].Value
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		problems = append(problems, "error body: "+err.Error())
	}
	return problems
}

// keyPresent is the security check of accepted requests: the scheme's
// credential was sent (whether it is valid is the server's business).
func keyPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r, s := in.RequestValidationInput.Request, in.SecurityScheme
	switch {
	case s.Type == "apiKey" && s.In == "header":
		if strings.TrimSpace(r.Header.Get(s.Name)) != "" {
			return nil
		}
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") && strings.TrimSpace(a[7:]) != "" {
			return nil
		}
	}
	return fmt.Errorf("no %s credential", in.SecuritySchemeName)
}

// newRequest builds the request as the server routes it: the path cleaned
// as Server.dispatch cleans it.
func newRequest(method, target string, hdr map[string]string, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if p := r.URL.Path; len(p) > 1 && (strings.HasSuffix(p, "/") || strings.Contains(p, "//") || strings.Contains(p, "/.")) {
		r.URL.Path, r.URL.RawPath = path.Clean(p), ""
	}
	return r
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// TestOpenAPIDocumentIsValid: openapi.yaml loads as OpenAPI 3.1 and passes
// kin-openapi's validation, examples included.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	c := MustContract(t)
	if c.doc.OpenAPI != "3.1.0" || !c.doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1.0", c.doc.OpenAPI)
	}
	ids := map[string]string{}
	for p, item := range c.doc.Paths.Map() {
		for m, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", m, p)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s on %s %s and %s", op.OperationID, m, p, prev)
			}
			ids[op.OperationID] = m + " " + p
			if op.Responses.Default() != nil {
				t.Errorf("%s %s has a default response: undocumented statuses must fail", m, p)
			}
		}
	}
}

// routePattern matches a path template's parameters, whatever their names.
var routePattern = regexp.MustCompile(`\{[^}]*\}`)

// TestOpenAPIListsEveryRoute: every route registered in routes.go is in
// openapi.yaml and every operation there is registered, except the ones
// marked x-binvault-optional (mounted outside routes.go when enabled).
func TestOpenAPIListsEveryRoute(t *testing.T) {
	registered := registeredRoutes(t)
	documented := map[string]bool{}
	for p, item := range MustContract(t).doc.Paths.Map() {
		for m, op := range item.Operations() {
			route := m + " " + routePattern.ReplaceAllString(p, "{}")
			documented[route] = true
			if optional, _ := op.Extensions["x-binvault-optional"].(bool); !optional && !registered[route] {
				t.Errorf("openapi.yaml documents %s %s, which routes.go does not register", m, p)
			}
		}
	}
	var missing []string
	for route := range registered {
		if !documented[route] {
			missing = append(missing, route)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("routes.go registers routes openapi.yaml does not document:\n\t%s", strings.Join(missing, "\n\t"))
	}
	if len(registered) < 30 {
		t.Errorf("found only %d routes in routes.go; is the parser still reading it right?", len(registered))
	}
}

// registeredRoutes reads the "METHOD /path" patterns of routes.go's
// mux.Handle and mux.HandleFunc calls, parameters normalised to {}; the
// catch-all "/" is left out.
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		lit, isLit := call.Args[0].(*ast.BasicLit)
		if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") || !isLit || lit.Kind != token.STRING {
			return true
		}
		pattern, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		method, p, ok := strings.Cut(pattern, " ")
		if !ok {
			return true // "/": the catch-all, answered 404/405 as the document's description says
		}
		routes[method+" "+routePattern.ReplaceAllString(p, "{}")] = true
		return true
	})
	return routes
}

// TestOpenAPIServed: GET /openapi.yaml answers the embedded document,
// without a key, as application/yaml with a strong ETag, and 304 to
// If-None-Match.
func TestOpenAPIServed(t *testing.T) {
	f := MustFixture(t)
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := f.do("GET", "/openapi.yaml", nil, "")
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatalf("GET /openapi.yaml: %d, %d bytes; want 200 and openapi.yaml's %d bytes", w.Code, w.Body.Len(), len(want))
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q", ct)
	}
	etag := w.Header().Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag %q is not a strong entity tag", etag)
	}
	for _, inm := range []string{etag, `"x", ` + etag, "W/" + etag, "*"} {
		if w := f.do("GET", "/openapi.yaml", hdr("If-None-Match", inm), ""); w.Code != 304 || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d %q, %d bytes; want 304 with the ETag and no body", inm, w.Code, w.Header().Get("ETag"), w.Body.Len())
		}
	}
	if w := f.do("GET", "/openapi.yaml", hdr("If-None-Match", `"stale"`), ""); w.Code != 200 {
		t.Errorf("If-None-Match with another tag: %d", w.Code)
	}
}

// TestContractCatchesDrift: the check that every test's answers go
// through refuses answers that depart from the document, so a handler
// that drifts fails the test that called it.
func TestContractCatchesDrift(t *testing.T) {
	c := MustContract(t)
	answer := func(status int, ct, body string, hdrs ...string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		w.Header().Set("X-Request-Id", "test-1")
		for i := 0; i+1 < len(hdrs); i += 2 {
			w.Header().Set(hdrs[i], hdrs[i+1])
		}
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		w.WriteString(body)
		return w
	}
	const (
		jsonCT = "application/json; charset=utf-8"
		id     = "614b5e02aa02be1d444cf782"
		usage  = `{"period":"2026-11","requests":{"used":1,"limit":null},"bins":{"used":0,"limit":null},"accessKeys":{"used":0,"limit":null},"binSize":{"limit":65536},"versioning":{"allowed":true}}`
	)
	key := hdr("X-Master-Key", "bv_mk_x")
	read := `{"record":{"a":1},"metadata":{"id":"` + id + `","private":true,"createdAt":"2021-09-22T16:35:46.613Z"}}`
	deleted := `{"metadata":{"id":"` + id + `","versionsDeleted":0},"message":"Bin deleted successfully"}`
	noRequestID := answer(200, jsonCT, deleted)
	noRequestID.Header().Del("X-Request-Id")
	for _, tc := range []struct {
		name, method, target string
		hdr                  map[string]string
		w                    *httptest.ResponseRecorder
		want                 string // in the problems found; "" when there must be none
	}{
		{"Conforming", "GET", "/v3/usage", key, answer(200, jsonCT, usage), ""},
		{"ExtraKey", "GET", "/v3/usage", key, answer(200, jsonCT, strings.Replace(usage, `{"period"`, `{"extra":1,"period"`, 1)), "extra"},
		{"MissingKey", "GET", "/v3/usage", key, answer(200, jsonCT, strings.Replace(usage, `"period":"2026-11",`, "", 1)), "period"},
		{"UndocumentedStatus", "GET", "/v3/usage", key, answer(418, jsonCT, `{"message":"teapot"}`), "status 418 is not documented"},
		{"TextContentType", "GET", "/v3/usage", key, answer(200, "text/plain", usage), "text/plain"},
		{"RateLimited", "GET", "/v3/usage", key, answer(429, jsonCT, `{"message":"slow down"}`,
			"Retry-After", "1", "RateLimit-Limit", "3", "RateLimit-Remaining", "0", "RateLimit-Reset", "9"), ""},
		{"RateLimitedWithoutRetryAfter", "GET", "/v3/usage", key, answer(429, jsonCT, `{"message":"slow down"}`,
			"RateLimit-Limit", "3", "RateLimit-Remaining", "0", "RateLimit-Reset", "9"), "Retry-After"},
		{"AcceptedWithoutKey", "GET", "/v3/usage", nil, answer(200, jsonCT, usage), "credential"},
		{"Error", "GET", "/v3/b/" + id, key, answer(404, jsonCT, `{"message":"x"}`), ""},
		{"ErrorWithExtraKey", "GET", "/v3/b/" + id, key, answer(404, jsonCT, `{"message":"x","success":false}`), "success"},
		{"SchemaMismatch", "POST", "/v3/b", key, answer(400, jsonCT, `{"message":"Schema Doc Validation Mismatch:  x","schemaDocID":"`+id+`","schemaDocName":"User"}`), ""},
		{"Deleted", "DELETE", "/v3/b/" + id, key, answer(200, jsonCT, deleted), ""},
		{"NoRequestId", "DELETE", "/v3/b/" + id, key, noRequestID, "X-Request-Id"},
		{"ReadWithETag", "GET", "/v3/b/" + id, key, answer(200, jsonCT, read, "ETag", `"3"`), ""},
		{"ReadWithoutETag", "GET", "/v3/b/" + id, key, answer(200, jsonCT, read), "ETag"},
		{"NotModified", "GET", "/v3/b/" + id, key, answer(304, "", "", "ETag", `"3"`), ""},
		{"NotModifiedWithoutETag", "GET", "/v3/b/" + id, key, answer(304, "", ""), "ETag"},
		{"ReadScalarRecord", "GET", "/v3/b/" + id, key, answer(200, jsonCT, `42`, "ETag", `"3"`), "response body"},
		{"UnknownPath", "GET", "/v3/nope", nil, answer(404, jsonCT, `{"message":"Route not found"}`), ""},
		{"UnknownPathNot404", "GET", "/v3/nope", nil, answer(200, jsonCT, `{"message":"x"}`), "must be 404"},
		{"UnknownPathTextBody", "GET", "/v3/nope", nil, answer(404, "text/plain", "404 page not found"), "not JSON"},
		{"WrongMethod", "POST", "/v3/usage", nil, answer(405, jsonCT, `{"message":"Method not allowed"}`, "Allow", "GET, OPTIONS"), ""},
		{"WrongMethodWithoutAllow", "POST", "/v3/usage", nil, answer(405, jsonCT, `{"message":"Method not allowed"}`), "Allow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems := strings.Join(c.check(tc.method, tc.target, tc.hdr, "", tc.w), "\n")
			switch {
			case tc.want == "" && problems != "":
				t.Errorf("a conforming answer is refused:\n%s", problems)
			case tc.want != "" && !strings.Contains(problems, tc.want):
				t.Errorf("problems found %q; want one about %q", problems, tc.want)
			}
		})
	}
}

// TestOpenAPIMetrics: /metrics answers as documented while off (404) and
// on (401 without the token, 200 with it). The exposition itself is
// package metrics' business; a stand-in serves its Content-Type here.
func TestOpenAPIMetrics(t *testing.T) {
	if w := MustFixture(t).do("GET", "/metrics", nil, ""); w.Code != http.StatusNotFound {
		t.Errorf("GET /metrics while off: %d", w.Code)
	}
	exposition := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
		io.WriteString(w, "binvault_up 1\n")
	})
	f := MustFixtureHTTP(t, nil, httpapi.Config{Metrics: exposition, MetricsToken: "scrape-token"})
	if w := f.do("GET", "/metrics", nil, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token: %d", w.Code)
	}
	if w := f.do("GET", "/metrics", hdr("Authorization", "Bearer "+f.key), ""); w.Code != http.StatusUnauthorized {
		t.Errorf("GET /metrics with an API key: %d", w.Code)
	}
	if w := f.do("GET", "/metrics", hdr("Authorization", "Bearer scrape-token"), ""); w.Code != http.StatusOK {
		t.Errorf("GET /metrics with the token: %d", w.Code)
	}
}

// TestOpenAPIEvents: the change feed's refusals match the document, and so
// does the head of a stream (status, headers, Content-Type); the events
// themselves are text/event-stream, which OpenAPI 3.1 cannot give a schema.
func TestOpenAPIEvents(t *testing.T) {
	f := MustFixture(t)
	private := f.MustBin(`{"a":1}`, nil)
	for _, c := range []struct {
		path   string
		hdr    map[string]string
		status int
	}{
		{"/v3/b/123/events", nil, http.StatusBadRequest},
		{"/v3/b/" + private + "/events", nil, http.StatusUnauthorized},
		{"/v3/b/" + private + "/events", hdr("X-Master-Key", f.other), http.StatusUnauthorized},
		{"/v3/b/" + missingID + "/events", hdr("X-Master-Key", f.key), http.StatusNotFound},
	} {
		if w := f.do("GET", c.path, c.hdr, ""); w.Code != c.status {
			t.Errorf("GET %s: %d %s, want %d", c.path, w.Code, w.Body, c.status)
		}
	}

	srv := httptest.NewServer(f.h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel() // ends the stream before srv.Close waits for it
	target := "/v3/b/" + private + "/events"
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Master-Key", f.key)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	head := httptest.NewRecorder()
	maps.Copy(head.Header(), res.Header)
	head.WriteHeader(res.StatusCode)
	for _, p := range MustContract(t).check("GET", target, hdr("X-Master-Key", f.key), "", head) {
		t.Errorf("openapi.yaml: GET %s answered %d: %s", target, res.StatusCode, p)
	}
	if line, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, "id: ") {
		t.Errorf("first line of the stream %q, %v; want the id of the current state", line, err)
	}
}
