package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

const (
	// recordSize is the size of every JSON body the bench sends.
	recordSize = 1024
	// updateBins is how many bins the update scenario spreads writes over:
	// enough that requests rarely queue on one row, few enough to stay hot.
	updateBins = 16
)

var binIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// scenario is one benchmarked request shape plus the response binvault gave
// for one real request of that shape (replayed by the bare server).
type scenario struct {
	name     string
	method   string
	paths    []string // wrk picks one at random per request if several
	headers  map[string]string
	body     []byte
	recorded cannedResponse
	detail   string // one-line description for the report
}

// apiClient makes the few setup requests against binvault.
type apiClient struct {
	base, key string
	http      *http.Client
}

// apiResponse is a fully read HTTP response.
type apiResponse struct {
	status      int
	contentType string
	header      http.Header
	body        []byte
}

// replayableHeader drops the headers net/http sets itself on every
// response (Date, Content-Length) from a recorded response.
func replayableHeader(h http.Header) http.Header {
	out := h.Clone()
	out.Del("Date")
	out.Del("Content-Length")
	return out
}

// call sends one authenticated request (see do) and fails unless the
// status is 200.
func (c apiClient) call(ctx context.Context, method, path string, body []byte, extra map[string]string) (apiResponse, error) {
	r, err := c.do(ctx, method, path, body, extra)
	if err == nil && r.status != http.StatusOK {
		err = fmt.Errorf("%s %s: status %d, body %.300q", method, path, r.status, r.body)
	}
	return r, err
}

// do sends one authenticated request and returns the response whatever its
// status; a JSON Content-Type is added whenever there is a body, exactly as
// the wrk scripts do.
func (c apiClient) do(ctx context.Context, method, path string, body []byte, extra map[string]string) (apiResponse, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return apiResponse{}, err
	}
	for k, v := range requestHeaders(c.key, body != nil, extra) {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return apiResponse{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiResponse{}, err
	}
	return apiResponse{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: replayableHeader(resp.Header), body: data}, nil
}

// requestHeaders is the single definition of the headers a scenario sends,
// shared by setup requests and wrk scripts so both exercise the same path.
func requestHeaders(key string, hasBody bool, extra map[string]string) map[string]string {
	h := map[string]string{"X-Master-Key": key}
	if hasBody {
		h["Content-Type"] = "application/json"
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// binEnvelope is the part of binvault's {"record","metadata"} reply the
// bench checks.
type binEnvelope struct {
	Record   json.RawMessage `json:"record"`
	Metadata struct {
		ID           string `json:"id"`
		ParentID     string `json:"parentId"`
		Private      *bool  `json:"private"`
		CollectionID string `json:"collectionId"`
	} `json:"metadata"`
}

func decodeEnvelope(r apiResponse) (binEnvelope, error) {
	var env binEnvelope
	if err := json.Unmarshal(r.body, &env); err != nil {
		return env, fmt.Errorf("response is not JSON: %v: %.300q", err, r.body)
	}
	return env, nil
}

// jsonPayload returns a compact JSON object of exactly size bytes. seq makes
// each body distinct, so an update really changes the stored record.
func jsonPayload(size, seq int) []byte {
	head := fmt.Sprintf(`{"kind":"binvault-bench","seq":%d,"tags":["alpha","beta","gamma"],"nested":{"ok":true,"n":%d},"pad":"`, seq, seq*7)
	tail := `"}`
	n := size - len(head) - len(tail)
	if n < 0 {
		n = 0
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	pad := strings.Repeat(alphabet, n/len(alphabet)+1)[:n]
	return []byte(head + pad + tail)
}

// setupResult carries the prepared scenarios plus contract deviations seen
// while preparing them (reported, not fatal) and what setup verified.
type setupResult struct {
	scenarios  []scenario
	recordSize int // bytes of the read bin's "record" as returned by GET
	findings   []string
	checks     []string // facts setup proved, e.g. that validation is on
}

// prepareScenarios creates what the scenarios need and records one real
// response per scenario. read, update and create are always prepared, as
// before the collection scenarios existed (~20 requests), so the default
// run's database is unchanged; the collection scenarios (~40 requests) only
// when one of them is selected.
func prepareScenarios(ctx context.Context, c apiClient, names []string) (setupResult, error) {
	res, err := prepareBinScenarios(ctx, c)
	if err != nil {
		return res, err
	}
	if wantsPatchScenarios(names) {
		big, err := preparePatchScenarios(ctx, c, &res)
		if err != nil {
			return res, err
		}
		res.scenarios = append(res.scenarios, big...)
	}
	if !slices.ContainsFunc(names, isCollectionScenario) {
		return res, nil
	}
	coll, err := prepareCollectionScenarios(ctx, c, &res)
	if err != nil {
		return res, err
	}
	res.scenarios = append(res.scenarios, coll...)
	return res, nil
}

// prepareBinScenarios prepares read, update and create: bins outside any
// collection.
func prepareBinScenarios(ctx context.Context, c apiClient) (setupResult, error) {
	var res setupResult
	readID, err := createBin(ctx, c, jsonPayload(recordSize, 0), &res.findings)
	if err != nil {
		return res, err
	}
	readPath := "/v3/b/" + readID + "/latest"
	readResp, err := c.call(ctx, http.MethodGet, readPath, nil, nil)
	if err != nil {
		return res, err
	}
	env, err := decodeEnvelope(readResp)
	if err != nil {
		return res, err
	}
	res.recordSize = len(env.Record)

	var updatePaths []string
	for i := 1; i <= updateBins; i++ {
		id, err := createBin(ctx, c, jsonPayload(recordSize, i), &res.findings)
		if err != nil {
			return res, err
		}
		updatePaths = append(updatePaths, "/v3/b/"+id)
	}
	noVersioning := map[string]string{"X-Bin-Versioning": "false"}
	updateBody := jsonPayload(recordSize, 1000)
	updateResp, err := c.call(ctx, http.MethodPut, updatePaths[0], updateBody, noVersioning)
	if err != nil {
		return res, err
	}
	checkUpdate(updateResp, strings.TrimPrefix(updatePaths[0], "/v3/b/"), &res.findings)

	createBody := jsonPayload(recordSize, 2000)
	createResp, err := c.call(ctx, http.MethodPost, "/v3/b", createBody, nil)
	if err != nil {
		return res, err
	}

	res.scenarios = []scenario{
		{
			name: "read", method: http.MethodGet, paths: []string{readPath},
			headers:  requestHeaders(c.key, false, nil),
			recorded: canned(readResp),
			detail: fmt.Sprintf("authenticated `GET /v3/b/<id>/latest` of one private bin; record is %d bytes of JSON, response %d bytes",
				res.recordSize, len(readResp.body)),
		},
		{
			name: "update", method: http.MethodPut, paths: updatePaths,
			headers: requestHeaders(c.key, true, noVersioning), body: updateBody,
			recorded: canned(updateResp),
			detail: fmt.Sprintf("`PUT /v3/b/<id>` with `X-Bin-Versioning: false` and a %d-byte JSON body; each request picks one of %d private bins uniformly at random (per-wrk-thread seeded PRNG, requests pre-formatted in the Lua init)",
				len(updateBody), updateBins),
		},
		{
			name: "create", method: http.MethodPost, paths: []string{"/v3/b"},
			headers: requestHeaders(c.key, true, nil), body: createBody,
			recorded: canned(createResp),
			detail:   fmt.Sprintf("`POST /v3/b` with a %d-byte JSON body; every request creates a new private bin", len(createBody)),
		},
	}
	return res, nil
}

// createBin creates a bin and returns its id, noting contract deviations.
func createBin(ctx context.Context, c apiClient, body []byte, findings *[]string) (string, error) {
	return createBinIn(ctx, c, "", body, findings)
}

// createBinIn creates a bin in collection collID ("" for none) and returns
// its id, noting contract deviations.
func createBinIn(ctx context.Context, c apiClient, collID string, body []byte, findings *[]string) (string, error) {
	resp, err := c.call(ctx, http.MethodPost, "/v3/b", body, collectionHeader(collID))
	if err != nil {
		return "", err
	}
	env, err := decodeEnvelope(resp)
	if err != nil {
		return "", err
	}
	if !binIDPattern.MatchString(env.Metadata.ID) {
		return "", fmt.Errorf("POST /v3/b: metadata.id %q is not 24 hex digits", env.Metadata.ID)
	}
	if env.Metadata.Private == nil || !*env.Metadata.Private {
		addFinding(findings, "POST /v3/b: metadata.private is not true (bins should be private by default)")
	}
	if env.Metadata.CollectionID != collID {
		addFinding(findings, fmt.Sprintf("POST /v3/b with X-Collection-Id: metadata.collectionId is %q, want %q", env.Metadata.CollectionID, collID))
	}
	return env.Metadata.ID, nil
}

// collectionHeader is the X-Collection-Id header for collID, or none.
func collectionHeader(collID string) map[string]string {
	if collID == "" {
		return nil
	}
	return map[string]string{"X-Collection-Id": collID}
}

// checkUpdate notes deviations of a PUT reply from the JSONBin v3 shape.
func checkUpdate(r apiResponse, id string, findings *[]string) {
	env, err := decodeEnvelope(r)
	if err != nil {
		addFinding(findings, "PUT /v3/b/<id>: "+err.Error())
		return
	}
	if env.Metadata.ParentID != id {
		addFinding(findings, fmt.Sprintf("PUT /v3/b/<id>: metadata.parentId is %q, want the bin id", env.Metadata.ParentID))
	}
	if env.Metadata.Private == nil || !*env.Metadata.Private {
		addFinding(findings, "PUT /v3/b/<id>: metadata.private is not true")
	}
}

// addFinding appends msg once.
func addFinding(findings *[]string, msg string) {
	for _, f := range *findings {
		if f == msg {
			return
		}
	}
	*findings = append(*findings, msg)
}

func canned(r apiResponse) cannedResponse {
	return cannedResponse{ContentType: r.contentType, Header: r.header, Body: r.body}
}

// bareRoutes is what the bare server replays: each scenario's recorded
// response on each of its paths. Paths are bin ids of that scenario alone,
// except POST /v3/b, where X-Collection-Id tells the creates apart.
func bareRoutes(scs []scenario) []bareRoute {
	var routes []bareRoute
	for _, s := range scs {
		for _, p := range s.paths {
			routes = append(routes, bareRoute{Method: s.method, Path: p, CollectionID: s.headers["X-Collection-Id"], Response: s.recorded})
		}
	}
	return routes
}

// newAPIClient returns a client for setup requests with a bounded timeout.
func newAPIClient(base, key string) apiClient {
	return apiClient{base: base, key: key, http: &http.Client{Timeout: 10 * time.Second}}
}
