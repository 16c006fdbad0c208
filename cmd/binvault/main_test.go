package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault/client"
)

// user is one entry of seed 003's user list.
type user struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// errUsernameTaken is seed 003's "Username already exists".
var errUsernameTaken = errors.New("username already exists")

// flaskApp is seed 003's Flask app (get_users, save_users, register,
// login), written as a Go client of one bin through package client.
type flaskApp struct {
	api   *client.Client
	binID string
}

// getUsers is GET /v3/b/<id>/latest → .record.
func (a flaskApp) getUsers(tb testing.TB) []user {
	tb.Helper()
	b, err := a.api.ReadBin(tb.Context(), a.binID, client.ReadBinOptions{})
	if err != nil {
		tb.Fatalf("get_users: GET latest: %v; want 200", err)
	}
	var users *[]user
	if err := json.Unmarshal(b.Record, &users); err != nil || users == nil {
		tb.Fatalf("get_users: want {\"record\":[…],…}, got %s (%v)", b.Raw, err)
	}
	return *users
}

// saveUsers is PUT /v3/b/<id> with the whole list.
func (a flaskApp) saveUsers(tb testing.TB, users []user) {
	tb.Helper()
	sent, err := json.Marshal(users)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := a.api.UpdateBin(tb.Context(), a.binID, sent, client.UpdateBinOptions{})
	if err != nil {
		tb.Fatalf("save_users: PUT: %v; want 200", err)
	}
	if !bytes.Equal(b.Record, sent) {
		tb.Fatalf("save_users: PUT answered record %s; want %s", b.Record, sent)
	}
}

// register is the /register route: read, refuse a taken name, append,
// write back.
func (a flaskApp) register(tb testing.TB, username, password string) error {
	tb.Helper()
	users := a.getUsers(tb)
	if slices.ContainsFunc(users, func(u user) bool { return u.Username == username }) {
		return errUsernameTaken
	}
	a.saveUsers(tb, append(users, user{Username: username, Password: password, Role: "user"}))
	return nil
}

// login is the /login route: read and look for a matching pair.
func (a flaskApp) login(tb testing.TB, username, password string) bool {
	tb.Helper()
	return slices.ContainsFunc(a.getUsers(tb), func(u user) bool {
		return u.Username == username && u.Password == password
	})
}

// TestFlaskTutorialFlow replays seed 003 over real HTTP against run(),
// through package client.
func TestFlaskTutorialFlow(t *testing.T) {
	srv := MustServe(t, t.TempDir())
	if srv.AdminKey == "" {
		t.Fatalf("a first serve printed no admin key; stdout:\n%s", srv.Stdout)
	}
	api := srv.NewClient(srv.AdminKey)

	// "create a new bin with initial empty data: []"
	created, err := api.CreateBin(t.Context(), []byte("[]"), client.CreateBinOptions{})
	if err != nil {
		t.Fatalf("POST /v3/b []: %v; want 200", err)
	} else if string(created.Record) != "[]" || !created.Metadata.Private || len(created.Metadata.ID) != 24 {
		t.Fatalf("POST /v3/b [] answered %s; want record [] in a private bin with an id", created.Raw)
	}
	app := flaskApp{api: api, binID: created.Metadata.ID}
	if users := app.getUsers(t); len(users) != 0 {
		t.Fatalf("new bin holds %v; want []", users)
	}

	want := []user{
		{"alice", "wonderland", "user"},
		{"bob", "builder", "user"},
		{"carol", "singer", "user"},
	}
	for _, u := range want {
		if err := app.register(t, u.Username, u.Password); err != nil {
			t.Fatalf("register %s: %v", u.Username, err)
		}
	}
	if err := app.register(t, "bob", "impostor"); !errors.Is(err, errUsernameTaken) {
		t.Errorf("register bob again: %v; want %v", err, errUsernameTaken)
	}

	for _, tc := range []struct {
		name, username, password string
		ok                       bool
	}{
		{"RightPasswordLogsIn", "bob", "builder", true},
		{"WrongPasswordIsRefused", "bob", "impostor", false},
		{"OtherUsersPasswordIsRefused", "alice", "builder", false},
		{"UnknownUserIsRefused", "mallory", "wonderland", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := app.login(t, tc.username, tc.password); got != tc.ok {
				t.Errorf("login(%q, %q) = %v; want %v", tc.username, tc.password, got, tc.ok)
			}
		})
	}

	// The bin holds exactly the three users, in order, byte for byte as the
	// last PUT sent them.
	wantRecord, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRecord(t, api, app.binID); !bytes.Equal(got, wantRecord) {
		t.Errorf("final record = %s\nwant %s", got, wantRecord)
	}
}

// TestServeDrainsOnCancel cancels run's context (what SIGINT and SIGTERM
// do) while a PUT is half-read: the PUT must still be answered 200 and
// stored, and run must then return nil (exit 0).
func TestServeDrainsOnCancel(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, dir)
	id := mustCreateBin(t, srv.NewClient(srv.AdminKey), `{"drained":false}`)

	body := `{"drained":true,"note":"sent in two halves, around the start of the shutdown"}`
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test ended")) })
	req, err := http.NewRequest("PUT", srv.URL+"/v3/b/"+id, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Master-Key", srv.AdminKey)
	// The server sends "100 Continue" when the handler first reads the
	// body, and the client reads nothing from the pipe before that: once
	// the first half has left the pipe, the request is inside the handler.
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: startTimeout}}
	t.Cleanup(client.CloseIdleConnections)

	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, b, err}
	}()

	half := len(body) / 2
	if _, err := io.WriteString(pw, body[:half]); err != nil {
		t.Fatalf("send first half: %v", err)
	}
	srv.cancel()
	MustStopAccepting(t, srv.Addr)
	select {
	case <-srv.exited:
		t.Fatalf("run returned (%v) while a request was still being read", srv.err)
	default:
	}
	if _, err := io.WriteString(pw, body[half:]); err != nil {
		t.Fatalf("send second half: %v", err)
	}
	pw.Close()

	var r result
	select {
	case r = <-done:
	case <-time.After(stopTimeout):
		t.Fatalf("no answer to the in-flight PUT within %s", stopTimeout)
	}
	if r.err != nil {
		t.Fatalf("in-flight PUT failed: %v", r.err)
	} else if r.status != http.StatusOK {
		t.Fatalf("in-flight PUT = %d %s; want 200", r.status, r.body)
	}
	var res struct {
		Record json.RawMessage `json:"record"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil || string(res.Record) != body {
		t.Fatalf("in-flight PUT answered %s (%v); want record %s", r.body, err, body)
	}
	if err := srv.Stop(t); err != nil {
		t.Fatalf("run returned %v after draining; want nil (exit 0)", err)
	}

	again := MustServe(t, dir)
	if got := mustRecord(t, again.NewClient(srv.AdminKey), id); string(got) != body {
		t.Errorf("after restart the bin holds %s; want the drained PUT's %s", got, body)
	}
}

// TestAdminKeyPrintedOnceOnly: only the serve that bootstraps an empty
// store prints a key, and that key keeps working.
func TestAdminKeyPrintedOnceOnly(t *testing.T) {
	dir := t.TempDir()
	first := MustServe(t, dir)
	if keys := keyPattern.FindAllString(first.Stdout.String(), -1); len(keys) != 1 {
		t.Fatalf("first serve printed %d keys; want 1; stdout:\n%s", len(keys), first.Stdout)
	}
	if err := first.Stop(t); err != nil {
		t.Fatalf("first serve returned %v; want nil", err)
	}
	second := MustServe(t, dir)
	if out := second.Stdout.String(); strings.Contains(out, "bv_mk_") {
		t.Fatalf("second serve printed a key:\n%s", out)
	}
	mustCreateBin(t, second.NewClient(first.AdminKey), `{"still":"works"}`)
}

// TestSecondServeOnSameDataDirRefused: each server caches bins, so two on
// one SQLite file could serve stale records; the second must not start.
func TestSecondServeOnSameDataDirRefused(t *testing.T) {
	dir := t.TempDir()
	first := MustServe(t, dir)
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, envFunc(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "already using") {
		t.Fatalf("second serve returned %v; want an 'already using' error", err)
	}
	if strings.Contains(stdout.String(), "bv_mk_") {
		t.Fatalf("second serve printed a key: %s", stdout.String())
	}
	mustCreateBin(t, first.NewClient(first.AdminKey), `{"first":"still serves"}`)
}
