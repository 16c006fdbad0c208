package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Activity is one entry of the activity log: who called which route, how
// it ended. AuthMethod is api_key, access_key, session or public.
type Activity struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	AccountID  string    `json:"accountId"`
	AuthMethod string    `json:"authMethod"`
	KeyID      string    `json:"keyId"`
	KeyPrefix  string    `json:"keyPrefix"`
	Method     string    `json:"method"`
	Route      string    `json:"route"`
	ResourceID string    `json:"resourceId"`
	Status     int       `json:"status"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"userAgent"`
	RequestID  string    `json:"requestId"`
}

// ActivityPage is one page of ListActivity, newest first. NextCursor is
// the Before of the next page; "" after the last.
type ActivityPage struct {
	Activity   []Activity `json:"activity"`
	NextCursor string     `json:"nextCursor"`
}

// ActivityQuery filters ListActivity; zero fields filter nothing.
type ActivityQuery struct {
	AuthMethod string // api_key, access_key, session or public
	KeyID      string
	Since      time.Time
	Until      time.Time
	Before     string // a NextCursor
	Limit      int
}

// ListActivity reads a page of the account's activity log
// (GET /v3/activity). Errors: 400 for a bad filter; 401 without a valid
// API key.
func (c *Client) ListActivity(ctx context.Context, q ActivityQuery) (*ActivityPage, error) {
	v := url.Values{}
	for name, value := range map[string]string{"authMethod": q.AuthMethod, "keyId": q.KeyID, "before": q.Before} {
		if value != "" {
			v.Set(name, value)
		}
	}
	for name, t := range map[string]time.Time{"since": q.Since, "until": q.Until} {
		if !t.IsZero() {
			v.Set(name, t.Format(time.RFC3339Nano))
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/v3/activity"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out ActivityPage
	if err := c.call(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Counter is a use of something and its limit; Limit is nil when there is
// none.
type Counter struct {
	Used  int64  `json:"used"`
	Limit *int64 `json:"limit"`
}

// Usage is the answer of Usage: the account's use this period and its
// limits.
type Usage struct {
	Period     string  `json:"period"`
	Requests   Counter `json:"requests"`
	Bins       Counter `json:"bins"`
	AccessKeys Counter `json:"accessKeys"`
	BinSize    struct {
		Limit int `json:"limit"`
	} `json:"binSize"`
	Versioning struct {
		Allowed bool `json:"allowed"`
	} `json:"versioning"`
}

// Usage reads the account's use and limits (GET /v3/usage). Errors: 401
// without a valid API key.
func (c *Client) Usage(ctx context.Context) (*Usage, error) {
	var out Usage
	if err := c.call(ctx, http.MethodGet, "/v3/usage", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LogDays lists the days that have usage logs, as JSONBin spells them
// (DD-MM-YYYY), for LogOfDay (GET /v3/l). Errors: 401 without a valid API
// key.
func (c *Client) LogDays(ctx context.Context) ([]string, error) {
	var out struct {
		Logs []string `json:"logs"`
	}
	if err := c.call(ctx, http.MethodGet, "/v3/l", nil, &out); err != nil {
		return nil, err
	}
	return out.Logs, nil
}

// LogOfDay downloads one day's usage log (GET /v3/l/{DD-MM-YYYY}): a zip
// archive holding that day's entries as one JSON array. Errors: 400 for a
// malformed date; 401 without a valid API key; 404 for a day without logs.
func (c *Client) LogOfDay(ctx context.Context, date string) ([]byte, error) {
	path, err := idPath("l", date, "")
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	_, zip, err := c.send(req)
	return zip, err
}

// Health asks whether the server is up and its store reachable
// (GET /healthz). Errors: 503 when the store cannot be reached.
func (c *Client) Health(ctx context.Context) error {
	var out struct {
		Status string `json:"status"`
	}
	return c.call(ctx, http.MethodGet, "/healthz", nil, &out)
}
