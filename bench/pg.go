package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// parsePostgresURL checks a -database-url value: a postgres:// URL whose
// host is the loopback interface, because all of the bench's traffic,
// including binvault's to its database, stays on this machine.
func parsePostgresURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("want a postgres:// or postgresql:// URL, got scheme %q", u.Scheme)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
	default:
		return nil, fmt.Errorf("host %q is not loopback: the bench only talks to 127.0.0.1, localhost or ::1", u.Hostname())
	}
	if u.Opaque != "" || strings.Count(strings.Trim(u.Path, "/"), "/") > 0 {
		return nil, fmt.Errorf("%q does not look like postgres://user@host:port/database", u.Redacted())
	}
	return u, nil
}

// benchDatabaseName is the database created for one run. The pid keeps
// concurrent runs apart; it is all [a-z0-9_], so it needs no SQL quoting
// beyond the double quotes it gets anyway.
func benchDatabaseName(pid int) string { return fmt.Sprintf("binvault_bench_%d", pid) }

var safeIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// benchDatabaseURLs derives, from the -database-url value, the URL psql
// connects to for CREATE/DROP DATABASE (the given URL, defaulting the
// database to "postgres") and the URL binvault gets: the same server, user,
// password and parameters with the database replaced by name.
func benchDatabaseURLs(given, name string) (admin, bench string, err error) {
	u, err := parsePostgresURL(given)
	if err != nil {
		return "", "", err
	}
	if !safeIdent.MatchString(name) {
		return "", "", fmt.Errorf("database name %q is not a plain identifier", name)
	}
	a := *u
	if strings.Trim(a.Path, "/") == "" {
		a.Path = "/postgres"
	}
	b := *u
	b.Path, b.RawPath = "/"+name, ""
	return a.String(), b.String(), nil
}

// benchDatabase is the PostgreSQL database of one run.
type benchDatabase struct {
	psql     string
	adminURL string
	name     string
	url      string // what binvault gets (BINVAULT_DATABASE_URL)
	server   string // version and settings, for the report

	dropOnce sync.Once
	dropErr  error
}

// createBenchDatabase creates a fresh, empty database for the run on the
// server of given. It fails if the name is taken (a leftover of a killed
// run with the same pid): reusing a database would measure an old one.
func createBenchDatabase(ctx context.Context, given string, pid int) (*benchDatabase, error) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		return nil, errors.New("psql not found in PATH; it creates and drops the run's database (apt-get install postgresql-client)")
	}
	d := &benchDatabase{psql: psql, name: benchDatabaseName(pid)}
	if d.adminURL, d.url, err = benchDatabaseURLs(given, d.name); err != nil {
		return nil, err
	}
	if _, err := d.exec(ctx, `CREATE DATABASE "`+d.name+`"`); err != nil {
		return nil, fmt.Errorf("creating the run's database: %w", err)
	}
	info, err := d.exec(ctx, "SELECT current_setting('server_version') || ' (synchronous_commit=' || current_setting('synchronous_commit') || ', shared_buffers=' || current_setting('shared_buffers') || ', max_connections=' || current_setting('max_connections') || ')'")
	if err != nil {
		info = "unknown (" + err.Error() + ")"
	}
	d.server = strings.TrimSpace(info)
	return d, nil
}

// drop removes the database, closing binvault's connections if any are
// left (WITH (FORCE), PostgreSQL 13+). It is idempotent so it can be
// deferred and also called explicitly to report its outcome. It does not
// use the run's context: an interrupted run must still clean up.
func (d *benchDatabase) drop() error {
	d.dropOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, d.dropErr = d.exec(ctx, `DROP DATABASE IF EXISTS "`+d.name+`" WITH (FORCE)`)
	})
	return d.dropErr
}

// exec runs one statement with psql against the admin URL and returns its
// unaligned, tuples-only output.
func (d *benchDatabase) exec(ctx context.Context, sql string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", d.adminURL, "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("psql -c %q: %v: %s", sql, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// redactedURL hides the password of a database URL for the report.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
