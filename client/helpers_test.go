package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/client"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/schema"
	"github.com/binvault/binvault/sqlite"
)

var idPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// server is the real handler over a real SQLite store, on a real socket.
type server struct {
	URL      string
	AdminKey string
	Admin    *client.Client // sends AdminKey
	Vault    *binvault.Vault
}

// MustServer starts httpapi over a fresh SQLite store in a temp dir, with
// an admin account, and stops it when the test ends.
func MustServer(tb testing.TB) *server {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	v := binvault.NewVault(store, keys.Format{}, binvault.Config{MaxBinSize: 64 << 10, MaxAccessKeys: -1, Schemas: schema.New()})
	tb.Cleanup(func() { v.Close() })
	admin, err := v.Bootstrap(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(httpapi.New(v, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{}))
	tb.Cleanup(ts.Close)
	return &server{URL: ts.URL, AdminKey: admin, Admin: client.New(ts.URL, client.WithMasterKey(admin)), Vault: v}
}

// MustAccessKey makes an access key of the admin with perms and returns a
// client that sends it.
func (s *server) MustAccessKey(tb testing.TB, name string, perms client.Permissions) *client.Client {
	tb.Helper()
	k, err := s.Admin.CreateAccessKey(tb.Context(), name, perms)
	if err != nil {
		tb.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return client.New(s.URL, client.WithAccessKey(k.AccessKey))
}

// MustCreate creates a bin holding record with c and returns it.
func MustCreate(tb testing.TB, c *client.Client, record string, opts client.CreateBinOptions) *client.Bin {
	tb.Helper()
	b, err := c.CreateBin(tb.Context(), []byte(record), opts)
	if err != nil {
		tb.Fatalf("CreateBin %s: %v", record, err)
	}
	if !idPattern.MatchString(b.Metadata.ID) {
		tb.Fatalf("CreateBin: metadata.id %q is not a bin id; body %s", b.Metadata.ID, b.Raw)
	}
	return b
}

// MustAPIError checks that err is a *client.Error with the status and,
// unless message is "", exactly the message wanted, and returns it.
func MustAPIError(tb testing.TB, err error, status int, message string) *client.Error {
	tb.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T); want a *client.Error %d %q", err, err, status, message)
	}
	if e.StatusCode != status || (message != "" && e.Message != message) {
		tb.Fatalf("error %d %q (body %s); want %d %q", e.StatusCode, e.Message, e.Body, status, message)
	}
	return e
}

// pollUntil calls try until it reports true or bound passes: for what the
// server writes in the background (the activity log).
func pollUntil(tb testing.TB, bound time.Duration, what string, try func() bool) {
	tb.Helper()
	deadline := time.Now().Add(bound)
	for !try() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still not so after %s", what, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
