package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/postgres"
	"github.com/binvault/binvault/storetest"
)

// TestStore runs the conformance suite on a fresh schema per subtest.
func TestStore(t *testing.T) {
	testURL(t)
	storetest.Run(t, func(t *testing.T) binvault.Store {
		return MustOpen(t, FreshSchema(t))
	})
}

// testURL returns the test database's URL, or skips the test.
func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("BINVAULT_TEST_POSTGRES_URL")
	if url == "" {
		tb.Skip("BINVAULT_TEST_POSTGRES_URL not set: PostgreSQL tests skipped")
	}
	return url
}

// FreshSchema creates an empty schema with a unique name, dropped when the
// test ends, and returns the test URL with search_path set to it.
func FreshSchema(tb testing.TB) string {
	tb.Helper()
	url := testURL(tb)
	var b [6]byte
	rand.Read(b[:])
	name := "bv_test_" + hex.EncodeToString(b[:])
	admin(tb, url, "CREATE SCHEMA "+name)
	tb.Cleanup(func() { admin(tb, url, "DROP SCHEMA "+name+" CASCADE") })
	return withParam(tb, url, "search_path", name)
}

// admin runs one statement on a connection of its own.
func admin(tb testing.TB, url, sql string, args ...any) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// withParam adds a connection parameter to a URL or key=value DSN.
func withParam(tb testing.TB, url, key, value string) string {
	tb.Helper()
	if !strings.Contains(url, "://") {
		return url + " " + key + "=" + value
	}
	u, err := neturl.Parse(url)
	if err != nil {
		tb.Fatalf("BINVAULT_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// MustOpen opens the store at url and closes it when the test ends.
func MustOpen(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// Nodes starting together on a new database take turns on the migration
// lock: all open, and each migration is applied and recorded once.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	url := FreshSchema(t)
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	const nodes = 4
	stores := make([]*postgres.Store, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(t.Context(), url)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		} else {
			defer stores[i].Close()
		}
	}
	if t.Failed() {
		return
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(t.Context(), `SELECT version, name FROM schema_migrations ORDER BY version`)
	applied, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Version int
		Name    string
	}])
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(files) {
		t.Fatalf("schema_migrations has %v, want one row for each of %d files", applied, len(files))
	}
	for i, m := range applied {
		if m.Name != files[i].Name() {
			t.Errorf("migration %d recorded as %q, want %q", m.Version, m.Name, files[i].Name())
		}
	}
	// Every node sees the schema whole.
	for i, s := range stores {
		storetest.MustCreateAccount(t, s, fmt.Sprintf("node%d@example.com", i), "node")
	}
}

// A change committed through one node moves AuthVersion on another (its
// own pool and listener) within a second, so its caches drop what the
// change made stale.
func TestAuthVersionMovesOnOtherNodes(t *testing.T) {
	url := FreshSchema(t)
	a, b := MustOpen(t, url), MustOpen(t, url)
	acct := storetest.MustCreateAccount(t, a, "ada@example.com", "Ada")
	key := storetest.MustCreateKey(t, a, acct.ID, binvault.KindAccess, "bv_ak_moves")
	coll := &binvault.Collection{ID: binvault.NewID(time.Now()), AccountID: acct.ID, Name: "c", CreatedAt: time.Now()}
	doc := &binvault.SchemaDoc{ID: binvault.NewID(time.Now()), AccountID: acct.ID, Name: "d", Schema: []byte(`{}`), CreatedAt: time.Now()}
	if err := a.CreateCollection(t.Context(), coll, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateSchemaDoc(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"RevokeKey", func() error { return a.RevokeKey(t.Context(), acct.ID, key.ID, time.Now()) }},
		{"SetAccountLimits", func() error { return a.SetAccountLimits(t.Context(), acct.ID, binvault.Limits{}) }},
		{"UpdateCollection", func() error { coll.Name = "renamed"; return a.UpdateCollection(t.Context(), coll) }},
		{"UpdateSchemaDoc", func() error { doc.Schema = []byte(`{"type":"object"}`); return a.UpdateSchemaDoc(t.Context(), doc) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := b.AuthVersion()
			if err := tc.write(); err != nil {
				t.Fatal(err)
			}
			waitMoved(t, b, before, time.Second)
		})
	}
}

// waitMoved polls s.AuthVersion until it differs from before, failing the
// test if it has not within limit.
func waitMoved(tb testing.TB, s *postgres.Store, before int64, limit time.Duration) {
	tb.Helper()
	start := time.Now()
	for s.AuthVersion() == before {
		if time.Since(start) > limit {
			tb.Fatalf("AuthVersion still %d after %v", before, limit)
		}
		time.Sleep(time.Millisecond) // a poll interval, not a wait for the outcome
	}
}

// When its listener's connection is killed, a node's AuthVersion moves
// (what was notified meanwhile is lost), and once it listens again, other
// nodes' changes reach it as before.
func TestListenerReconnects(t *testing.T) {
	url := FreshSchema(t)
	app := "bv_listener_" + strings.TrimPrefix(urlParam(t, url, "search_path"), "bv_test_")
	a, b := MustOpen(t, url), MustOpen(t, withParam(t, url, "application_name", app))
	acct := storetest.MustCreateAccount(t, a, "ada@example.com", "Ada")
	key := storetest.MustCreateKey(t, a, acct.ID, binvault.KindAccess, "bv_ak_reconnect")

	old := listenerPID(t, url, app, 0)
	before := b.AuthVersion()
	admin(t, url, `SELECT pg_terminate_backend($1)`, old)
	waitMoved(t, b, before, time.Second)
	listenerPID(t, url, app, old) // a new one

	// Listening again: AuthVersion stands still until something happens.
	start := time.Now()
	for b.AuthVersion() != b.AuthVersion() {
		if time.Since(start) > 5*time.Second {
			t.Fatal("AuthVersion keeps moving: the listener does not listen again")
		}
		time.Sleep(time.Millisecond)
	}
	before = b.AuthVersion()
	if err := a.RevokeKey(t.Context(), acct.ID, key.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitMoved(t, b, before, time.Second)
}

func urlParam(tb testing.TB, url, key string) string {
	tb.Helper()
	if !strings.Contains(url, "://") {
		for _, kv := range strings.Fields(url) {
			if k, v, _ := strings.Cut(kv, "="); k == key {
				return v
			}
		}
		return ""
	}
	u, err := neturl.Parse(url)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Query().Get(key)
}

// listenerPID waits for the backend of the listener connected as app,
// other than not, and returns its pid.
func listenerPID(tb testing.TB, url, app string, not int32) int32 {
	tb.Helper()
	ctx := tb.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(context.Background())
	start := time.Now()
	for {
		var pid int32
		err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE 'LISTEN %' AND pid <> $2`, app, not).Scan(&pid)
		if err == nil {
			return pid
		} else if !errors.Is(err, pgx.ErrNoRows) {
			tb.Fatal(err)
		} else if time.Since(start) > 5*time.Second {
			tb.Fatalf("no listener connected as %s", app)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Limits are counted under the account's row lock: nodes creating bins,
// keys and collections at once cannot pass them together.
func TestLimitsHoldAcrossNodes(t *testing.T) {
	url := FreshSchema(t)
	nodes := []*postgres.Store{MustOpen(t, url), MustOpen(t, url)}
	a := storetest.MustCreateAccount(t, nodes[0], "ada@example.com", "Ada")
	const max, tries = 5, 24
	for _, tc := range []struct {
		name   string
		create func(s *postgres.Store, i int) error
	}{
		{"Bins", func(s *postgres.Store, i int) error {
			b := &binvault.Bin{ID: binvault.NewID(time.Now()), AccountID: a.ID, CreatedAt: time.Now(), Record: []byte(`{}`)}
			return s.CreateBin(t.Context(), b, max)
		}},
		{"Keys", func(s *postgres.Store, i int) error {
			k := &binvault.Key{ID: binvault.NewID(time.Now()), AccountID: a.ID, Kind: binvault.KindAccess, Prefix: "bv_ak_000000",
				Digest: binvault.Digest(fmt.Sprint("limit", i)), CreatedAt: time.Now()}
			return s.CreateKey(t.Context(), k, max)
		}},
		{"Collections", func(s *postgres.Store, i int) error {
			c := &binvault.Collection{ID: binvault.NewID(time.Now()), AccountID: a.ID, Name: "c", CreatedAt: time.Now()}
			return s.CreateCollection(t.Context(), c, max)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := make([]error, tries)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range tries {
				wg.Go(func() {
					<-start
					errs[i] = tc.create(nodes[i%len(nodes)], i)
				})
			}
			close(start)
			wg.Wait()
			created := 0
			for _, err := range errs {
				if err == nil {
					created++
				} else if binvault.ErrorCode(err) != binvault.EFORBIDDEN {
					t.Errorf("create: %v, want nil or EFORBIDDEN", err)
				}
			}
			if created != max {
				t.Errorf("%d of %d concurrent creates succeeded, want the limit, %d", created, tries, max)
			}
		})
	}
}

// Records are bytes, not JSON values: what jsonb would reorder, dedupe or
// rewrite comes back as sent, and so does a mebibyte of every byte value
// JSON text can hold.
func TestRecordBytesRoundTrip(t *testing.T) {
	s := MustOpen(t, FreshSchema(t))
	a := storetest.MustCreateAccount(t, s, "ada@example.com", "Ada")
	var big strings.Builder
	big.WriteString(`{"data":"`)
	for i := 0; big.Len() < 1<<20-2; i++ {
		c := byte(0x20 + i%0x5f)
		if c == '"' || c == '\\' {
			c = '_'
		}
		big.WriteByte(c)
	}
	big.WriteString(`"}`)
	for _, record := range []string{`{"b":1,"a":2,"a":3,"n":1.0e2}`, big.String()} {
		b := storetest.MustCreateBin(t, s, a.ID, record)
		if got := storetest.MustFindBin(t, s, b.ID).Record; string(got) != record {
			t.Errorf("FindBin: %d bytes differ from the %d sent", len(got), len(record))
		}
		storetest.MustUpdateBin(t, s, b.ID, `[`+record+`]`, true)
		if got := storetest.MustFindBinVersion(t, s, b.ID, 0); string(got) != record {
			t.Errorf("FindBinVersion(0): %d bytes differ from the %d sent", len(got), len(record))
		}
	}
}

// Errors that mean "the database cannot be used now" are told apart from
// the rest.
func TestIsUnavailable(t *testing.T) {
	url := testURL(t)
	t.Run("ConnectionRefused", func(t *testing.T) {
		_, err := postgres.Open(t.Context(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
		wantUnavailable(t, "Open on a closed port", err)
	})
	t.Run("ConnectionsTerminated", func(t *testing.T) {
		schema := FreshSchema(t)
		app := "bv_kill_" + strings.TrimPrefix(urlParam(t, schema, "search_path"), "bv_test_")
		s := MustOpen(t, withParam(t, schema, "application_name", app))
		if _, err := s.CountAccounts(t.Context()); err != nil {
			t.Fatal(err)
		}
		admin(t, url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app)
		// Each call either gets a fresh connection or fails as unavailable,
		// and the pool recovers.
		var err error
		for range 3 {
			if _, err = s.CountAccounts(t.Context()); err != nil {
				wantUnavailable(t, "after the server dropped the connections", err)
			}
		}
		if err != nil {
			t.Errorf("the pool did not recover: %v", err)
		}
	})
	t.Run("OtherErrors", func(t *testing.T) {
		s := MustOpen(t, FreshSchema(t))
		_, err := s.FindBin(t.Context(), binvault.NewID(time.Now()))
		if postgres.IsUnavailable(err) || errors.Is(err, binvault.ErrUnavailable) {
			t.Errorf("ENOTFOUND: %v is unavailable", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.CountAccounts(ctx); err == nil || postgres.IsUnavailable(err) || errors.Is(err, binvault.ErrUnavailable) {
			t.Errorf("cancelled context: err = %v, want an error that is not unavailable", err)
		}
	})
}

// wantUnavailable reports an error that is not recognisably a failure to
// reach the database.
func wantUnavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	if !postgres.IsUnavailable(err) || !errors.Is(err, binvault.ErrUnavailable) || binvault.ErrorCode(err) != binvault.EUNAVAILABLE {
		tb.Errorf("%s: err = %v; want one that IsUnavailable and wraps binvault.ErrUnavailable", what, err)
	}
}
