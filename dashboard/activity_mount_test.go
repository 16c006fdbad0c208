package dashboard_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/dashboard"
	"github.com/binvault/binvault/httpapi"
)

// TestDashboardActionsInActivityLog: mounted in the API server, dashboard
// requests are recorded with authMethod "session" and their own routes.
func TestDashboardActionsInActivityLog(t *testing.T) {
	v := MustVault(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := newBrowser(t, v)
	b.h = httpapi.New(v, log, httpapi.Config{Dashboard: dashboard.New(v, log, dashboard.Config{})})
	res, page := b.post("/signup", "/signup", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "confirm": {testPassword}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sign up: %d\n%s", res.StatusCode, page)
	}
	if res, _ := b.get("/keys"); res.StatusCode != http.StatusOK {
		t.Fatalf("keys page: %d", res.StatusCode)
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("dashboard pages carry CORS headers")
	}
	v.Close() // writes the activity log
	token := b.cookies["bv_session"]
	entries, err := v.ListActivity(t.Context(), binvault.Credentials{Session: token}, binvault.ActivityFilter{AuthMethod: binvault.AuthSession})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || (e.Route == "GET /keys" && e.Status == 200 && e.KeyID != "")
	}
	if !found {
		t.Fatalf("no session entry for GET /keys in %+v", entries)
	}
}
