package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

type entry struct {
	ID, At, AccountID, AuthMethod, KeyID, KeyPrefix, Method, Route, ResourceID, IP, UserAgent, RequestID string
	Status                                                                                               int
}

// activity lists the admin's activity with a query string.
func (f *fixture) activity(t *testing.T, query string) ([]entry, *string) {
	t.Helper()
	w := f.do("GET", "/v3/activity"+query, hdr("X-Master-Key", f.key), "")
	if w.Code != 200 {
		t.Fatalf("activity%s: %d %s", query, w.Code, w.Body)
	}
	var out struct {
		Activity   []entry
		NextCursor *string
	}
	mustJSON(t, w.Body.Bytes(), &out)
	return out.Activity, out.NextCursor
}

// TestActivityRecordsHowEachRequestAuthenticated: after a graceful close,
// every request that reached a route is in the log with who and what.
func TestActivityRecordsHowEachRequestAuthenticated(t *testing.T) {
	f := MustFixture(t)
	public := f.MustBin(`{"p":1}`, hdr("X-Bin-Private", "false"))
	private := f.MustBin(`{"p":0}`, nil)
	reads := map[string]map[string]string{
		"api_key":    hdr("X-Master-Key", f.key, "User-Agent", "ua-api"),
		"access_key": hdr("X-Access-Key", f.access["read"], "User-Agent", "ua-access"),
		"public":     hdr("User-Agent", "ua-public"),
	}
	rids := map[string]string{}
	for method, h := range reads {
		bin := private
		if method == "public" {
			bin = public
		}
		w := f.do("GET", "/v3/b/"+bin, h, "")
		if w.Code != 200 {
			t.Fatalf("%s read: %d", method, w.Code)
		}
		rids[method] = w.Header().Get("X-Request-Id")
	}
	f.do("GET", "/v3/b/"+private, hdr("User-Agent", "ua-refused"), "") // 401, attributed to the owner
	f.do("GET", "/nowhere", nil, "")                                   // no route: not recorded
	f.vault.Close()                                                    // flushes the log

	entries, _ := f.activity(t, "?limit=1000")
	byRID := map[string]entry{}
	for _, e := range entries {
		byRID[e.RequestID] = e
		if e.Route == "/" || strings.Contains(e.Route, "nowhere") {
			t.Errorf("unrouted request recorded: %+v", e)
		}
	}
	for method, rid := range rids {
		e, ok := byRID[rid]
		if !ok {
			t.Fatalf("%s read (request %s) not in the log", method, rid)
		}
		if e.AuthMethod != method || e.Method != "GET" || e.Route != "GET /v3/b/{id}" || e.Status != 200 ||
			e.UserAgent != "ua-"+strings.Split(method, "_")[0] || e.IP == "" || e.ResourceID == "" || e.At == "" {
			t.Errorf("%s entry %+v", method, e)
		}
		if method != "public" && (e.KeyID == "" || !strings.HasPrefix(e.KeyPrefix, "bv_")) {
			t.Errorf("%s entry lacks its key: %+v", method, e)
		}
	}
	refused := false
	for _, e := range entries {
		refused = refused || (e.Status == 401 && e.UserAgent == "ua-refused" && e.AuthMethod == "public" && e.ResourceID == private)
	}
	if !refused {
		t.Error("the refused read of a private bin is not in its owner's log")
	}
	if only, _ := f.activity(t, "?authMethod=access_key"); len(only) == 0 || only[0].AuthMethod != "access_key" {
		t.Errorf("authMethod filter: %+v", only)
	}
	for i := 1; i < len(entries); i++ {
		prev, _ := strconv.ParseInt(entries[i-1].ID, 10, 64)
		if cur, _ := strconv.ParseInt(entries[i].ID, 10, 64); cur >= prev {
			t.Fatalf("not newest first at %d: %d after %d", i, cur, prev)
		}
	}
}

func TestActivityPagingAndFilters(t *testing.T) {
	f := MustFixture(t)
	for range 25 {
		f.do("GET", "/v3/b/"+missingID, hdr("X-Master-Key", f.key), "")
	}
	f.vault.Close()
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		q := "?limit=10"
		if cursor != "" {
			q += "&before=" + cursor
		}
		page, next := f.activity(t, q)
		pages++
		for _, e := range page {
			if seen[e.ID] {
				t.Fatalf("entry %s on two pages", e.ID)
			}
			seen[e.ID] = true
		}
		if next == nil {
			break
		}
		cursor = *next
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) < 25 {
		t.Fatalf("paged through %d entries, want at least 25", len(seen))
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if got, _ := f.activity(t, "?since="+future); len(got) != 0 {
		t.Errorf("since the future: %d entries", len(got))
	}
	if got, _ := f.activity(t, "?keyId=nope"); len(got) != 0 {
		t.Errorf("unknown key id: %d entries", len(got))
	}
	for _, q := range []string{"?authMethod=root", "?since=yesterday", "?limit=0", "?before=x"} {
		if w := f.do("GET", "/v3/activity"+q, hdr("X-Master-Key", f.key), ""); w.Code != 400 {
			t.Errorf("%s: %d %s", q, w.Code, w.Body)
		}
	}
}

// TestUsageLogs: GET /v3/l lists days, GET /v3/l/{DD-MM-YYYY} zips one.
func TestUsageLogs(t *testing.T) {
	f := MustFixture(t)
	if w := f.do("GET", "/v3/l", hdr("X-Master-Key", f.other), ""); w.Code != 404 || w.Body.String() != msg("No logs found") {
		t.Errorf("no logs yet: %d %s", w.Code, w.Body)
	}
	f.MustBin(`{"logged":true}`, nil)
	f.vault.Close()
	today := time.Now().UTC().Format("02-01-2006")
	w := f.do("GET", "/v3/l", hdr("X-Master-Key", f.key), "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"`+today+`"`) || !strings.HasPrefix(w.Body.String(), `{"logs":[`) {
		t.Fatalf("logs: %d %s", w.Code, w.Body)
	}
	w = f.do("GET", "/v3/l/"+today, hdr("X-Master-Key", f.key), "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s", w.Code, w.Header())
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if err != nil || len(zr.File) != 1 {
		t.Fatalf("zip: %v", err)
	}
	rc, _ := zr.File[0].Open()
	body, _ := io.ReadAll(rc)
	var entries []entry
	if err := json.Unmarshal(body, &entries); err != nil || len(entries) == 0 {
		t.Fatalf("zip content %v: %s", err, body)
	}
	if strings.Contains(string(body), "logged") || strings.Contains(string(body), f.key) {
		t.Errorf("the log holds a body or a key: %s", body)
	}
	if w := f.do("GET", "/v3/l/01-01-1970", hdr("X-Master-Key", f.key), ""); w.Code != 404 || w.Body.String() != msg("Backup not found for 01-01-1970.") {
		t.Errorf("empty day: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/v3/l/1970-01-01", hdr("X-Master-Key", f.key), ""); w.Code != 400 {
		t.Errorf("bad date: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/v3/l", nil, ""); w.Code != 401 || w.Body.String() != msg("You need to pass X-Master-Key in the header") {
		t.Errorf("no key: %d %s", w.Code, w.Body)
	}
}
