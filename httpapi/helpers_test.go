package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"encoding/json"
	"github.com/jackc/pgx/v5"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/postgres"
	"github.com/binvault/binvault/schema"
	"github.com/binvault/binvault/sqlite"
)

// fixture is a real handler over a real SQLite store, with keys of every
// kind a test may send.
type fixture struct {
	t       testing.TB
	h       http.Handler
	vault   *binvault.Vault
	key     string // admin's API key
	other   string // another account's API key
	revoked string // a revoked API key of admin
	access  map[string]string
}

// binvaultConfig is the Vault configuration a fixture starts from.
type binvaultConfig = binvault.Config

// MustFixture opens a store in a temp dir and serves it through httpapi.
func MustFixture(t testing.TB) *fixture {
	t.Helper()
	return MustFixtureConfig(t, nil)
}

// MustFixtureConfig is MustFixture with a changed Vault configuration.
func MustFixtureConfig(t testing.TB, change func(*binvault.Config)) *fixture {
	t.Helper()
	return MustFixtureHTTP(t, change, httpapi.Config{})
}

// MustFixtureHTTP is MustFixture with changed Vault and HTTP configurations.
func MustFixtureHTTP(t testing.TB, change func(*binvault.Config), hc httpapi.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	store := openStore(t)
	cfg := binvault.Config{MaxBinSize: 64 << 10, MaxAccessKeys: -1, Schemas: schema.New()}
	if _, ok := store.(*postgres.Store); ok {
		cfg.CacheBytes = -1 // as serve runs it: nodes share the database
	}
	if change != nil {
		change(&cfg)
	}
	v := binvault.NewVault(store, keys.Format{}, cfg)
	t.Cleanup(func() { v.Close() })
	f := &fixture{t: t, vault: v, access: map[string]string{}}
	f.h = httpapi.New(v, slog.New(slog.NewTextHandler(io.Discard, nil)), hc)
	var err error
	if f.key, err = v.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, f.other, err = v.CreateAccount(ctx, "other@example.com"); err != nil {
		t.Fatal(err)
	}
	k, revoked, err := v.CreateKey(ctx, binvault.AdminName, binvault.KindAPI, "old", binvault.Permissions{})
	if err != nil {
		t.Fatal(err)
	} else if _, err := v.RevokeKey(ctx, binvault.AdminName, k.ID); err != nil {
		t.Fatal(err)
	}
	f.revoked = revoked
	for name, p := range map[string]binvault.Permissions{
		"all":  {Create: true, Read: true, Update: true, Delete: true},
		"read": {Read: true},
		"none": {},
	} {
		if _, f.access[name], err = v.CreateKey(ctx, binvault.AdminName, binvault.KindAccess, name, p); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// do sends one request through the handler.
func (f *fixture) do(method, path string, hdr map[string]string, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	checkContract(f.t, method, path, hdr, body, w) // openapi_test.go: the answer matches openapi.yaml
	return w
}

// MustBin creates a bin with the admin key and returns its id.
func (f *fixture) MustBin(record string, hdr map[string]string) string {
	f.t.Helper()
	h := map[string]string{"Content-Type": "application/json", "X-Master-Key": f.key}
	for k, v := range hdr {
		h[k] = v
	}
	w := f.do("POST", "/v3/b", h, record)
	if w.Code != 200 {
		f.t.Fatalf("create bin: %d %s", w.Code, w.Body)
	}
	var out struct{ Metadata struct{ ID string } }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		f.t.Fatal(err)
	}
	return out.Metadata.ID
}

// MustUpdate replaces a bin's record with the admin key.
func (f *fixture) MustUpdate(id, record string, versioned bool) {
	f.t.Helper()
	h := map[string]string{"Content-Type": "application/json", "X-Master-Key": f.key}
	if versioned {
		h["X-Bin-Versioning"] = "true"
	}
	if w := f.do("PUT", "/v3/b/"+id, h, record); w.Code != 200 {
		f.t.Fatalf("update bin: %d %s", w.Code, w.Body)
	}
}

// topKeys returns the keys of a JSON object in document order.
func topKeys(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("body %s is not an object", body)
	}
	var ks []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return ks
}

// MustCollection creates a collection with key and returns its id.
func (f *fixture) MustCollection(key, name string) string {
	f.t.Helper()
	w := f.do("POST", "/v3/c", map[string]string{"X-Master-Key": key, "X-Collection-Name": name}, "")
	if w.Code != 200 {
		f.t.Fatalf("create collection: %d %s", w.Code, w.Body)
	}
	var out struct{ Record string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		f.t.Fatal(err)
	}
	return out.Record
}

// MustSchemaDoc creates a schema doc with key and returns its id.
func (f *fixture) MustSchemaDoc(key, name, schema string) string {
	f.t.Helper()
	w := f.do("POST", "/v3/s", map[string]string{"X-Master-Key": key, "X-Schema-Doc-Name": name, "Content-Type": "application/json"}, schema)
	if w.Code != 200 {
		f.t.Fatalf("create schema doc: %d %s", w.Code, w.Body)
	}
	var out struct{ Metadata struct{ ID string } }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		f.t.Fatal(err)
	}
	return out.Metadata.ID
}

// pgTests maps a test to the PostgreSQL URL it runs against, when one is
// set by onEveryStore.
var pgTests sync.Map // testing.TB -> string

// onEveryStore runs fn on SQLite, and again on PostgreSQL when
// BINVAULT_TEST_POSTGRES_URL is set: the end-to-end HTTP conformance must
// hold on both stores.
func onEveryStore(t *testing.T, fn func(t *testing.T)) {
	t.Run("SQLite", fn)
	url := os.Getenv("BINVAULT_TEST_POSTGRES_URL")
	t.Run("PostgreSQL", func(t *testing.T) {
		if url == "" {
			t.Skip("BINVAULT_TEST_POSTGRES_URL not set: PostgreSQL run skipped")
		}
		pgTests.Store(t, url)
		t.Cleanup(func() { pgTests.Delete(t) })
		fn(t)
	})
}

// openStore opens a fresh store for t: SQLite in a temp dir, or a fresh
// schema of the PostgreSQL database when t runs under onEveryStore's
// PostgreSQL branch.
func openStore(t testing.TB) binvault.Store {
	t.Helper()
	ctx := context.Background()
	var store binvault.Store
	var err error
	if url, ok := pgTests.Load(t); ok {
		store, err = postgres.Open(ctx, freshSchema(t, url.(string)))
	} else {
		store, err = sqlite.Open(ctx, t.TempDir())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// freshSchema creates an empty schema and returns url pointed at it.
func freshSchema(t testing.TB, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("httpapi_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), url)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + name
}

var schemaSeq atomic.Int64
