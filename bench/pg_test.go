package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConfigStoreFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want func(config) bool // nil: an error is expected
	}{
		{"DefaultIsEmbeddedSingleProcess", nil, func(c config) bool {
			return c.databaseURL == "" && !c.pgShortcut && c.nodes == 1 && !c.compareSQLite && c.spread == spreadProcs &&
				c.threads == 1 && c.connections == 32 && slices.Equal(c.scenarios, defaultScenarios())
		}},
		{"PgIsTheLocalSuperuser", []string{"-pg"}, func(c config) bool {
			return c.databaseURL == pgShortcutURL && c.pgShortcut
		}},
		{"DatabaseURLKept", []string{"-database-url", "postgres://bench:s3cret@localhost:5433/app?sslmode=disable"}, func(c config) bool {
			return c.databaseURL == "postgres://bench:s3cret@localhost:5433/app?sslmode=disable" && !c.pgShortcut
		}},
		{"NodesAndCompareWithPg", []string{"-pg", "-nodes", "3", "-compare-sqlite", "-spread", "lua"}, func(c config) bool {
			return c.nodes == 3 && c.compareSQLite && c.spread == spreadLua
		}},
		{"PgAndDatabaseURLExclusive", []string{"-pg", "-database-url", pgShortcutURL}, nil},
		{"NodesNeedPostgres", []string{"-nodes", "2"}, nil},
		{"CompareNeedsPostgres", []string{"-compare-sqlite"}, nil},
		{"ZeroNodes", []string{"-pg", "-nodes", "0"}, nil},
		{"UnknownSpread", []string{"-pg", "-nodes", "2", "-spread", "dns"}, nil},
		{"NodesNeedAConnectionPerThread", []string{"-pg", "-nodes", "4", "-threads", "2", "-connections", "6"}, nil},
		{"NotPostgresScheme", []string{"-database-url", "mysql://root@127.0.0.1/db"}, nil},
		{"RemoteHostRefused", []string{"-database-url", "postgres://postgres@db.example.com/postgres"}, nil},
		{"SocketPathRefused", []string{"-database-url", "postgres:///postgres?host=/var/run/postgresql"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parseConfig(%q) = %+v, want an error", tt.args, c)
				}
				return
			}
			if err != nil || !tt.want(c) {
				t.Errorf("parseConfig(%q) = %+v, %v", tt.args, c, err)
			}
		})
	}
}

func TestBenchDatabaseURLs(t *testing.T) {
	tests := []struct {
		given, admin, bench string
	}{
		{pgShortcutURL, pgShortcutURL, "postgres://postgres@127.0.0.1:5432/binvault_bench_42?sslmode=disable"},
		// No database in the URL: CREATE DATABASE runs from "postgres".
		{"postgres://u:p%40ss@localhost:5433", "postgres://u:p%40ss@localhost:5433/postgres", "postgres://u:p%40ss@localhost:5433/binvault_bench_42"},
		{"postgresql://u@[::1]/app?sslmode=disable&connect_timeout=5", "postgresql://u@[::1]/app?sslmode=disable&connect_timeout=5",
			"postgresql://u@[::1]/binvault_bench_42?sslmode=disable&connect_timeout=5"},
	}
	for _, tt := range tests {
		admin, bench, err := benchDatabaseURLs(tt.given, benchDatabaseName(42))
		if err != nil || admin != tt.admin || bench != tt.bench {
			t.Errorf("benchDatabaseURLs(%q) = %q, %q, %v; want %q, %q", tt.given, admin, bench, err, tt.admin, tt.bench)
		}
	}
	if _, _, err := benchDatabaseURLs(pgShortcutURL, `x"; DROP DATABASE postgres; --`); err == nil {
		t.Error("a database name that needs quoting was accepted")
	}
	if got := redactedURL("postgres://u:secret@127.0.0.1/db"); strings.Contains(got, "secret") {
		t.Errorf("redactedURL kept the password: %s", got)
	}
}

func TestChildEnv(t *testing.T) {
	env := []string{"PATH=/bin", "BINVAULT_DATABASE_URL=postgres://inherited", "HOME=/root"}
	if got, want := childEnv(env, ""), []string{"PATH=/bin", "HOME=/root"}; !slices.Equal(got, want) {
		t.Errorf("embedded store: env %q, want %q (an inherited database URL must not leak in)", got, want)
	}
	if got, want := childEnv(env, "postgres://mine"), []string{"PATH=/bin", "HOME=/root", "BINVAULT_DATABASE_URL=postgres://mine"}; !slices.Equal(got, want) {
		t.Errorf("PostgreSQL: env %q, want %q", got, want)
	}
}

// TestBenchDatabaseLifecycle creates and drops a database on the local
// PostgreSQL of the -pg shortcut, when there is one.
func TestBenchDatabaseLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("needs psql")
	}
	probe := &benchDatabase{psql: "psql", adminURL: pgShortcutURL}
	if _, err := probe.exec(t.Context(), "SELECT 1"); err != nil {
		t.Skipf("no PostgreSQL at %s: %v", pgShortcutURL, err)
	}
	exists := func(name string) bool {
		out, err := probe.exec(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = '"+name+"'")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out) == "1"
	}
	pid := 1_000_000_000 + int(time.Now().UnixNano()%1_000_000) // not a live pid, so no real run's name
	db, err := createBenchDatabase(t.Context(), pgShortcutURL, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer db.drop()
	if !exists(db.name) || !strings.HasSuffix(db.url, "/"+db.name+"?sslmode=disable") || !strings.Contains(db.server, "synchronous_commit=") {
		t.Fatalf("after create: exists %v, url %q, server %q", exists(db.name), db.url, db.server)
	}
	if _, err := createBenchDatabase(t.Context(), pgShortcutURL, pid); err == nil {
		t.Error("a second create with the same pid succeeded; a leftover database must not be reused")
	}
	if err := db.drop(); err != nil || exists(db.name) {
		t.Fatalf("drop: %v, still exists %v", err, exists(db.name))
	}
	if err := db.drop(); err != nil {
		t.Errorf("second drop: %v, want the first result again", err)
	}
}
