// Package client is a Go client of binvault's HTTP API: the JSONBin v3
// routes (bins, collections, schema docs, access keys, usage logs) and
// binvault's own (API keys, activity, usage). The JSONBin calls send
// JSONBin's documented headers and bodies; they have been tested against
// binvault only.
//
// Every call takes a context and makes exactly one request: nothing is
// retried behind the caller's back. A caller that wants to retry after a
// 412 (a conditional write lost a race), a 429 (rate limited) or a 503
// (the store is unreachable) reads the *Error and decides.
//
// Bin records stay bytes (json.RawMessage) both ways: the client neither
// decodes nor re-encodes them.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultUserAgent is sent unless WithUserAgent sets another.
const DefaultUserAgent = "binvault-go-client"

// Client calls one binvault (or JSONBin) server. It is safe for concurrent
// use; its settings do not change after New.
type Client struct {
	base      string // scheme://host[/prefix], without /v3 and without a trailing slash
	masterKey string
	accessKey string
	hc        *http.Client
	userAgent string
}

// Option changes how a Client calls the server.
type Option func(*Client)

// WithMasterKey sends key as X-Master-Key: an API key (bv_mk_…), which may
// do everything its account may.
func WithMasterKey(key string) Option { return func(c *Client) { c.masterKey = key } }

// WithAccessKey sends key as X-Access-Key: an access key (bv_ak_…), which
// may do the bin operations it was granted. With a master key as well, the
// server lets the master key decide.
func WithAccessKey(key string) Option { return func(c *Client) { c.accessKey = key } }

// WithHTTPClient makes the Client send its requests through hc instead of
// http.DefaultClient, e.g. for timeouts, proxies or TLS settings.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header, which the server records in
// its activity log.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a Client of the server at baseURL, e.g.
// "http://127.0.0.1:8080". A base ending in /v3, as JSONBin's documented
// root "https://api.jsonbin.io/v3" does, is accepted too. A malformed
// baseURL is reported by the first call.
func New(baseURL string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	if u, err := url.Parse(base); err == nil && strings.HasSuffix(u.Path, "/v3") {
		base = strings.TrimSuffix(base, "/v3")
	}
	c := &Client{base: base, hc: http.DefaultClient, userAgent: DefaultUserAgent}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is any answer outside 2xx. Message is the "message" field of
// JSONBin's error body, verbatim (the HTTP status text when the body has
// none, e.g. from a proxy). Header is the response's header: on a 412 its
// ETag is the bin's current entity tag, on a 429 or 503 Retry-After says
// when to come back, on a 403 X-Required-Permission names what an access
// key lacked. Body is the whole response body, for the extra keys some
// errors carry (schemaDocID and schemaDocName of a schema mismatch).
type Error struct {
	StatusCode int
	Message    string
	Header     http.Header
	Body       []byte
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("binvault: %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// StatusCode returns the HTTP status of the *Error in err's chain, or 0
// when err is nil or did not come from a server's answer (a network
// failure, a cancelled context).
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is the server's 404: no such bin (or not
// the caller's), version, collection, schema doc, key or route.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// newRequest builds a request for path on the server ("/v3/b", "/healthz").
// A non-nil body, even an empty one, is sent as application/json.
func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.masterKey != "" {
		req.Header.Set("X-Master-Key", c.masterKey)
	}
	if c.accessKey != "" {
		req.Header.Set("X-Access-Key", c.accessKey)
	}
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// send makes one request and returns the 2xx answer's header and body.
// Anything else is an *Error; a failure to reach the server or read its
// answer is wrapped with the method and path.
func (c *Client) send(req *http.Request) (http.Header, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, newError(resp, body)
	}
	return resp.Header, body, nil
}

// sendJSON is send that decodes the answer into out.
func (c *Client) sendJSON(req *http.Request, out any) (http.Header, []byte, error) {
	h, body, err := c.send(req)
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return nil, nil, fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
	}
	return h, body, nil
}

// call sends one request with the header pairs in hdr and decodes the
// answer into out.
func (c *Client) call(ctx context.Context, method, path string, body []byte, out any, hdr ...string) error {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	_, _, err = c.sendJSON(req, out)
	return err
}

func newError(resp *http.Response, body []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}
	var m struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != nil {
		e.Message = *m.Message
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// setHeader sets a header unless value is empty: JSONBin treats an empty
// header as absent anyway, and some refuse a blank one.
func setHeader(req *http.Request, name, value string) {
	if value != "" {
		req.Header.Set(name, value)
	}
}

// boolString is how JSONBin's boolean headers are spelled.
func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// idPath is "/v3/<kind>/<id><suffix>" with id escaped: ids come from
// callers and must not reach another route. An empty id is refused before
// any request, since "/v3/b/" would name the collection route instead.
func idPath(kind, id, suffix string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("client: empty id for /v3/%s", kind)
	}
	return "/v3/" + kind + "/" + url.PathEscape(id) + suffix, nil
}
