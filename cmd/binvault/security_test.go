package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/sqlite"
)

// allBinPerms is seed 000's payload granting every bin operation.
const allBinPerms = `{"bins":{"read":true,"update":true,"delete":true,"create":true}}`

// The refusals of a revoked or deleted key (jsonbin-v3.md §1.5).
const (
	msgBadAccessKeyForBin = `{"message":"X-Access-Key is invalid or the bin doesn't belong to your account"}`
	msgBadMasterKey       = `{"message":"Invalid X-Master-Key provided"}`
	msgBadAccessKey       = `{"message":"Invalid X-Access-Key provided"}`
)

// MustCreateAPIKey makes an API key over POST /v3/keys and returns its
// secret and id.
func (s *testServer) MustCreateAPIKey(tb testing.TB, key, name string) (secret, id string) {
	tb.Helper()
	status, body := s.MustDo(tb, "POST", "/v3/keys", key, `{"name":"`+name+`"}`)
	var k struct{ ID, Key string }
	if err := json.Unmarshal(body, &k); err != nil || status != http.StatusOK || !keyPattern.MatchString(k.Key) || !idPattern.MatchString(k.ID) {
		tb.Fatalf("POST /v3/keys = %d %s (%v); want 200 with a key and an id", status, body, err)
	}
	return k.Key, k.ID
}

// MustCreateAccessKey makes an access key with every bin permission over
// POST /v3/a and returns its secret and id.
func (s *testServer) MustCreateAccessKey(tb testing.TB, key, name string) (secret, id string) {
	tb.Helper()
	status, body := s.MustDo(tb, "POST", "/v3/a", key, allBinPerms, "X-Key-Name", name)
	var k struct{ AccessKey, AccessKeyID string }
	if err := json.Unmarshal(body, &k); err != nil || status != http.StatusOK || !strings.HasPrefix(k.AccessKey, "bv_ak_") || !idPattern.MatchString(k.AccessKeyID) {
		tb.Fatalf("POST /v3/a = %d %s (%v); want 200 with an access key and its id", status, body, err)
	}
	return k.AccessKey, k.AccessKeyID
}

// mustStatus fails the test unless a response is the one wanted; want ""
// checks the status only.
func mustStatus(tb testing.TB, what string, status int, body []byte, wantStatus int, want string) {
	tb.Helper()
	if status != wantStatus || (want != "" && string(body) != want) {
		tb.Errorf("%s = %d %s; want %d %s", what, status, body, wantStatus, want)
	}
}

// secretText is one string that must not appear somewhere, with a label
// that says what it is without repeating it.
type secretText struct{ label, value string }

// secretSet is every string a scan looks for.
type secretSet []secretText

// keyBodyRun is the shortest run of a key's body a scan looks for: the
// display prefix shows 6 body characters; 16 are far more than a display
// needs and far less than a key.
const keyBodyRun = 16

// addKey adds a key secret, its body without the prefix, and every run of
// keyBodyRun characters of that body (a log that prints part of a key
// leaks part of it).
func (s *secretSet) addKey(label, secret string) {
	*s = append(*s, secretText{label, secret}, secretText{label + " body", secret[6:]})
	for i := 6; i+keyBodyRun <= len(secret); i++ {
		*s = append(*s, secretText{fmt.Sprintf("%s body[%d:%d]", label, i-6, i-6+keyBodyRun), secret[i : i+keyBodyRun]})
	}
}

func (s *secretSet) add(label, value string) { *s = append(*s, secretText{label, value}) }

// find returns the first secret text in b.
func (s secretSet) find(b []byte) (secretText, bool) {
	for _, x := range s {
		if bytes.Contains(b, []byte(x.value)) {
			return x, true
		}
	}
	return secretText{}, false
}

// readDataFiles reads every regular file under dir. Files that vanish
// while it walks (a WAL removed at checkpoint) are skipped.
func readDataFiles(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		files[path] = b
		return err
	})
	if err != nil {
		tb.Fatalf("read %s: %v", dir, err)
	}
	return files
}

// TestNoSecretInDatabaseFiles: keys of every kind, issued every way and
// used, leave no trace of their secret in any file of the data directory,
// while the server runs and after it has stopped and flushed everything.
func TestNoSecretInDatabaseFiles(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, dir)
	if srv.AdminKey == "" {
		t.Fatalf("serve on an empty data dir printed no admin key; stdout:\n%s", srv.Stdout)
	}
	accountKey := MustKeyLine(t, MustRunCLI(t, nil, "account", "create", "--email", "vault@example.com", "--data", dir))
	cliKey := MustKeyLine(t, MustRunCLI(t, nil, "keys", "create", "--data", dir, "--name", "cli"))
	cliOtherKey := MustKeyLine(t, MustRunCLI(t, nil, "keys", "create", "--data", dir, "--account", "vault@example.com", "--name", "cli"))
	httpKey, _ := srv.MustCreateAPIKey(t, srv.AdminKey, "http")
	accessKey, _ := srv.MustCreateAccessKey(t, srv.AdminKey, "http-ak")
	otherAccessKey, _ := srv.MustCreateAccessKey(t, accountKey, "other-ak")
	secrets := []secretText{
		{"admin key printed by serve", srv.AdminKey},
		{"account create key", accountKey},
		{"keys create key", cliKey},
		{"keys create --account key", cliOtherKey},
		{"POST /v3/keys key", httpKey},
		{"POST /v3/a key", accessKey},
		{"POST /v3/a key of the other account", otherAccessKey},
	}

	// Use each once: the server caches it, and records its last use and an
	// activity entry with its prefix.
	for _, s := range secrets {
		hdr := []string{"Content-Type", "application/json", "X-Master-Key", s.value}
		if strings.HasPrefix(s.value, "bv_ak_") {
			hdr[2] = "X-Access-Key"
		}
		status, _, body := srv.MustSend(t, "POST", "/v3/b", `{"used":true}`, hdr...)
		mustStatus(t, "POST /v3/b with the "+s.label, status, body, http.StatusOK, "")
	}

	var forbidden secretSet
	for _, s := range secrets {
		forbidden.add(s.label, s.value)
		forbidden.add(s.label+" body", s.value[6:])
		forbidden.add(s.label+" in hex", hex.EncodeToString([]byte(s.value)))
		forbidden.add(s.label+" in base64", base64.StdEncoding.EncodeToString([]byte(s.value)))
	}
	scan := func(t *testing.T) {
		files := readDataFiles(t, dir)
		var all bytes.Buffer
		for path, b := range files {
			if x, ok := forbidden.find(b); ok {
				t.Errorf("%s holds the %s", path, x.label)
			}
			all.Write(b)
		}
		// The display prefix is stored: proof that these are the files
		// the keys went to.
		for _, s := range secrets {
			if !bytes.Contains(all.Bytes(), []byte(s.value[:binvault.KeyPrefixLen])) {
				t.Errorf("no file holds the display prefix of the %s; scanned %d files: %v", s.label, len(files), mapKeys(files))
			}
		}
	}
	t.Run("WhileServing", scan)
	if err := srv.Stop(t); err != nil {
		t.Fatalf("serve returned %v; want nil", err)
	}
	t.Run("AfterStop", scan)
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, filepath.Base(k))
	}
	return out
}

// TestRevokedKeysRefusedOnTheNextRequest: a key revoked over HTTP, or by
// the command line while the server runs, is refused by the very next
// request over real HTTP, although the server had just used and cached it.
func TestRevokedKeysRefusedOnTheNextRequest(t *testing.T) {
	dir := t.TempDir()
	// The failed-authentication gate would answer 429 instead of 401 once
	// this test's deliberate refusals add up; it has its own test.
	srv := MustServeArgs(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--auth-fail-burst", "100000")
	bin := srv.MustCreateBin(t, srv.AdminKey, `{"private":"yes"}`)

	t.Run("APIKeyRevokedByDELETEKeys", func(t *testing.T) {
		for i := range 3 { // a few rounds: the revoke must win every time
			key, id := srv.MustCreateAPIKey(t, srv.AdminKey, fmt.Sprintf("revoke-%d", i))
			status, _, body := srv.MustSend(t, "GET", "/v3/b/"+bin, "", "X-Master-Key", key)
			mustStatus(t, "GET bin with the new key", status, body, http.StatusOK, "")
			status, _, body = srv.MustSend(t, "GET", "/v3/keys", "", "Authorization", "Bearer "+key)
			mustStatus(t, "GET /v3/keys with the new key as Bearer", status, body, http.StatusOK, "")

			status, body = srv.MustDo(t, "DELETE", "/v3/keys/"+id, srv.AdminKey, "")
			mustStatus(t, "DELETE /v3/keys/{id}", status, body, http.StatusOK, "")

			status, _, body = srv.MustSend(t, "GET", "/v3/b/"+bin, "", "X-Master-Key", key)
			mustStatus(t, "GET bin right after the revoke", status, body, http.StatusUnauthorized, msgBadKeyForBin)
			status, _, body = srv.MustSend(t, "GET", "/v3/keys", "", "Authorization", "Bearer "+key)
			mustStatus(t, "GET /v3/keys as Bearer after the revoke", status, body, http.StatusUnauthorized, msgBadMasterKey)
			status, body = srv.MustDo(t, "POST", "/v3/b", key, `{"after":"revoke"}`)
			mustStatus(t, "POST /v3/b after the revoke", status, body, http.StatusUnauthorized, msgBadMasterKey)
		}
		status, body := srv.MustDo(t, "GET", "/v3/b/"+bin, srv.AdminKey, "")
		mustStatus(t, "GET bin with the admin key after revoking others", status, body, http.StatusOK, "")
	})

	t.Run("APIKeyRevokingItself", func(t *testing.T) {
		key, id := srv.MustCreateAPIKey(t, srv.AdminKey, "self")
		status, body := srv.MustDo(t, "DELETE", "/v3/keys/"+id, key, "")
		mustStatus(t, "DELETE /v3/keys/{own id} with that key", status, body, http.StatusOK, "")
		status, body = srv.MustDo(t, "GET", "/v3/b/"+bin, key, "")
		mustStatus(t, "GET bin with the key that revoked itself", status, body, http.StatusUnauthorized, msgBadKeyForBin)
	})

	t.Run("AccessKeyDeletedByDELETEA", func(t *testing.T) {
		for i := range 3 {
			ak, id := srv.MustCreateAccessKey(t, srv.AdminKey, fmt.Sprintf("delete-%d", i))
			status, _, body := srv.MustSend(t, "GET", "/v3/b/"+bin, "", "X-Access-Key", ak)
			mustStatus(t, "GET bin with the new access key", status, body, http.StatusOK, "")
			status, _, body = srv.MustSend(t, "POST", "/v3/b", `{"by":"ak"}`, "Content-Type", "application/json", "Authorization", "Bearer "+ak)
			mustStatus(t, "POST /v3/b with the new access key as Bearer", status, body, http.StatusOK, "")

			status, body = srv.MustDo(t, "DELETE", "/v3/a/"+id, srv.AdminKey, "")
			mustStatus(t, "DELETE /v3/a/{id}", status, body, http.StatusOK, "")

			status, _, body = srv.MustSend(t, "GET", "/v3/b/"+bin, "", "X-Access-Key", ak)
			mustStatus(t, "GET bin right after the delete", status, body, http.StatusUnauthorized, msgBadAccessKeyForBin)
			status, _, body = srv.MustSend(t, "GET", "/v3/b/"+bin, "", "Authorization", "Bearer "+ak)
			mustStatus(t, "GET bin as Bearer after the delete", status, body, http.StatusUnauthorized, msgBadAccessKeyForBin)
			status, _, body = srv.MustSend(t, "POST", "/v3/b", `{"after":"delete"}`, "Content-Type", "application/json", "X-Access-Key", ak)
			mustStatus(t, "POST /v3/b after the delete", status, body, http.StatusUnauthorized, msgBadAccessKey)
		}
	})

	t.Run("CLIRevokeWhileServing", func(t *testing.T) {
		// cli_test.go covers a CLI-made key read with X-Master-Key; here
		// the keys come from the HTTP routes and are cached by their use
		// on the non-bin routes and as Bearer tokens.
		key, keyID := srv.MustCreateAPIKey(t, srv.AdminKey, "cli-revoked")
		ak, akID := srv.MustCreateAccessKey(t, srv.AdminKey, "cli-revoked-ak")
		for _, path := range []string{"/v3/keys", "/v3/usage", "/v3/a"} {
			status, _, body := srv.MustSend(t, "GET", path, "", "Authorization", "Bearer "+key)
			mustStatus(t, "GET "+path+" with the new key", status, body, http.StatusOK, "")
		}
		status, _, body := srv.MustSend(t, "GET", "/v3/b/"+bin, "", "Authorization", "Bearer "+ak)
		mustStatus(t, "GET bin with the new access key", status, body, http.StatusOK, "")

		MustRunCLI(t, nil, "keys", "revoke", "--data", dir, keyID)
		MustRunCLI(t, nil, "keys", "revoke", "--data", dir, akID)

		status, _, body = srv.MustSend(t, "GET", "/v3/keys", "", "Authorization", "Bearer "+key)
		mustStatus(t, "GET /v3/keys right after the CLI revoke", status, body, http.StatusUnauthorized, msgBadMasterKey)
		status, _, body = srv.MustSend(t, "GET", "/v3/usage", "", "X-Master-Key", key)
		mustStatus(t, "GET /v3/usage after the CLI revoke", status, body, http.StatusUnauthorized, msgBadMasterKey)
		status, _, body = srv.MustSend(t, "GET", "/v3/b/"+bin, "", "Authorization", "Bearer "+ak)
		mustStatus(t, "GET bin with the access key right after the CLI revoke", status, body, http.StatusUnauthorized, msgBadAccessKeyForBin)
	})
}

// rawExchange writes a raw request to addr and returns the status line of
// the answer: for what net/http's client will not send.
func rawExchange(tb testing.TB, addr, request string, closeWrite bool) string {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		tb.Fatalf("write raw request: %v", err)
	}
	if closeWrite {
		c.(*net.TCPConn).CloseWrite()
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		tb.Fatalf("read raw answer: %v", err)
	}
	io.Copy(io.Discard, c)
	return strings.TrimSpace(line)
}

// TestLogsHoldNoSecretsOrBodies: whatever requests come in, well-formed or
// not, the server's log, its activity log (over the API and in its file)
// and its usage-log downloads hold no key secret and no bin body.
func TestLogsHoldNoSecretsOrBodies(t *testing.T) {
	dir := t.TempDir()
	srv := MustServeArgs(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--max-bin-size", "4096")
	admin := srv.AdminKey
	var mark [8]byte
	rand.Read(mark[:])
	marker := "BODYMARK" + hex.EncodeToString(mark[:])
	m := func(what string) string { return marker + "-" + what }

	// Keys: used, revoked, of another account, and one that only ever
	// travels inside a bin body.
	apiKey, _ := srv.MustCreateAPIKey(t, admin, "logs")
	accessKey, _ := srv.MustCreateAccessKey(t, admin, "logs-ak")
	revokedKey, revokedID := srv.MustCreateAPIKey(t, admin, "logs-revoked")
	srv.MustCreateBin(t, revokedKey, `{"x":1}`)
	if status, body := srv.MustDo(t, "DELETE", "/v3/keys/"+revokedID, admin, ""); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	otherKey := MustKeyLine(t, MustRunCLI(t, nil, "account", "create", "--email", "logs@example.com", "--data", dir))
	bodyOnlyKey, _ := srv.MustCreateAPIKey(t, admin, "in-a-body")
	unknownKey, err := keys.Format{}.Generate(binvault.KindAPI)
	if err != nil {
		t.Fatal(err)
	}
	unknownAccessKey, err := keys.Format{}.Generate(binvault.KindAccess)
	if err != nil {
		t.Fatal(err)
	}
	flip := "A"
	if strings.HasSuffix(admin, flip) {
		flip = "B"
	}
	badChecksum := admin[:len(admin)-1] + flip
	garbageKey := "KEYMARK" + hex.EncodeToString(mark[:])

	var forbidden secretSet
	for label, k := range map[string]string{"admin key": admin, "API key": apiKey, "access key": accessKey,
		"revoked key": revokedKey, "other account's key": otherKey, "key sent only in a body": bodyOnlyKey,
		"unknown well-formed key": unknownKey, "unknown well-formed access key": unknownAccessKey} {
		forbidden.addKey(label, k)
	}
	forbidden.add("admin key with a bad checksum", badChecksum)
	forbidden.add("garbage key", garbageKey)
	forbidden.add("bin body marker", marker)

	ctJSON := []string{"Content-Type", "application/json"}
	with := func(kv ...string) []string { return append(slices.Clone(ctJSON), kv...) }
	// send sends one request that must get wantStatus and returns its id.
	send := func(what string, wantStatus int, method, path, body string, hdr ...string) string {
		t.Helper()
		status, h, b := srv.MustSend(t, method, path, body, hdr...)
		if status != wantStatus {
			t.Errorf("%s: %d %s; want %d", what, status, b, wantStatus)
		}
		return h.Get("X-Request-Id")
	}
	var loggedIDs []string // request ids the admin's activity must show

	// Requests that succeed, with markers (and keys) in their bodies.
	status, h, body := srv.MustSend(t, "POST", "/v3/b", `{"marker":"`+m("created")+`","note":"`+bodyOnlyKey+`","admin":"`+admin+`"}`, with("X-Master-Key", admin)...)
	mustStatus(t, "create", status, body, http.StatusOK, "")
	var created struct{ Metadata struct{ ID string } }
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatalf("create: %v %s", err, body)
	}
	bin := created.Metadata.ID
	loggedIDs = append(loggedIDs, h.Get("X-Request-Id"))
	public := srv.MustCreateBin(t, admin, `{"marker":"`+m("public")+`"}`)
	srv.MustDo(t, "PUT", "/v3/b/"+public+"/meta/privacy", admin, "", "X-Bin-Private", "false")
	loggedIDs = append(loggedIDs, send("read", 200, "GET", "/v3/b/"+bin, "", "X-Master-Key", admin))
	send("versioned update", 200, "PUT", "/v3/b/"+bin, `{"marker":"`+m("updated")+`"}`, with("X-Master-Key", admin, "X-Bin-Versioning", "true")...)
	send("read version 0", 200, "GET", "/v3/b/"+bin+"/0", "", "Authorization", "Bearer "+admin)
	send("create with an access key", 200, "POST", "/v3/b", `{"marker":"`+m("by-access-key")+`"}`, with("X-Access-Key", accessKey)...)
	send("read with the other API key", 200, "GET", "/v3/b/"+bin+"/latest", "", "X-Master-Key", apiKey)
	send("public read without a key", 200, "GET", "/v3/b/"+public, "")
	send("public update without a key", 200, "PUT", "/v3/b/"+public, `{"marker":"`+m("public-update")+`"}`, ctJSON...)
	send("rename", 200, "PUT", "/v3/b/"+bin+"/meta/name", "", "X-Master-Key", admin, "X-Bin-Name", "logs")
	send("count versions", 200, "GET", "/v3/b/"+bin+"/versions/count", "", "X-Master-Key", admin)

	// Requests refused for their bodies, all with a valid key (they do not
	// count as failed authentications).
	loggedIDs = append(loggedIDs, send("malformed JSON", 400, "POST", "/v3/b", `{"marker":"`+m("malformed")+`","key":"`+admin+`"`, with("X-Master-Key", admin)...))
	send("not JSON", 400, "POST", "/v3/b", m("not-json")+" "+admin, with("X-Master-Key", admin)...)
	send("invalid UTF-8", 400, "POST", "/v3/b", `{"marker":"`+m("utf8")+"\xff\"}", with("X-Master-Key", admin)...)
	send("too deep", 400, "POST", "/v3/b", strings.Repeat("[", 101)+`"`+m("deep")+`"`+strings.Repeat("]", 101), with("X-Master-Key", admin)...)
	loggedIDs = append(loggedIDs, send("oversize create", 413, "POST", "/v3/b", `{"marker":"`+m("oversize")+strings.Repeat("x", 16<<10)+`"}`, with("X-Master-Key", admin)...))
	send("oversize update", 413, "PUT", "/v3/b/"+bin, `["`+m("oversize-update")+`","`+strings.Repeat("y", 16<<10)+`"]`, with("X-Master-Key", admin)...)
	send("malformed update", 400, "PUT", "/v3/b/"+bin, `{"marker":"`+m("malformed-update")+`"`, with("X-Master-Key", admin)...)
	send("update without Content-Type", 400, "PUT", "/v3/b/"+bin, `{"marker":"`+m("no-content-type")+`"}`, "X-Master-Key", admin)
	send("blank update", 400, "PUT", "/v3/b/"+bin, `{}`, with("X-Master-Key", admin)...)
	send("bad access-key payload", 400, "POST", "/v3/a", `{"bins":{"read":"`+m("perms")+`"}}`, with("X-Master-Key", admin, "X-Key-Name", "x")...)
	send("oversize access-key payload", 400, "POST", "/v3/a", `{"bins":"`+m("perms-oversize")+strings.Repeat("z", 8<<10)+`"}`, with("X-Master-Key", admin, "X-Key-Name", "x")...)
	send("bad API-key payload", 400, "POST", "/v3/keys", `{"name":`+m("keys-payload"), with("X-Master-Key", admin)...)
	send("API-key name too long", 400, "POST", "/v3/keys", `{"name":"`+m("keys-name")+strings.Repeat("n", 64)+`"}`, with("X-Master-Key", admin)...)
	send("wrong method", 405, "PATCH", "/v3/c", `{"marker":"`+m("patch")+`"}`, with("X-Master-Key", admin)...)
	send("patch of another type", 415, "PATCH", "/v3/b/"+bin, `{"marker":"`+m("patch-type")+`"}`, with("X-Master-Key", admin)...)
	send("malformed patch", 400, "PATCH", "/v3/b/"+bin, `{"marker":"`+m("patch-malformed")+`"`, "X-Master-Key", admin, "Content-Type", "application/merge-patch+json")
	send("unknown route", 404, "POST", "/v3/nope", `{"marker":"`+m("nope")+`"}`, with("X-Master-Key", admin)...)
	send("invalid bool header", 400, "POST", "/v3/b", `{"marker":"`+m("bool")+`"}`, with("X-Master-Key", admin, "X-Bin-Private", "maybe")...)

	// What net/http's client will not send.
	if got := rawExchange(t, srv.Addr, "POST /v3/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nX-Master-Key: "+admin+
		"\r\nContent-Length: 4000\r\n\r\n{\"marker\":\""+m("truncated")+"\"", true); !strings.HasPrefix(got, "HTTP/1.1 400") {
		t.Errorf("truncated body: %q; want 400", got)
	}
	if got := rawExchange(t, srv.Addr, "GET /v3/b/"+bin+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Master-Key: "+admin+
		"\r\nnot a header "+m("header-line")+"\r\n\r\n", false); !strings.HasPrefix(got, "HTTP/1.1 400") {
		t.Errorf("malformed header line: %q; want 400", got)
	}
	if got := rawExchange(t, srv.Addr, "GET /v3/b/"+bin+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Master-Key: "+admin+
		"\r\nX-Pad: "+m("huge-header")+strings.Repeat("p", 80<<10)+"\r\n\r\n", false); !strings.HasPrefix(got, "HTTP/1.1 431") {
		t.Errorf("oversize header: %q; want 431", got)
	}

	// Requests refused for their keys.
	for _, c := range []struct {
		what string
		hdr  []string
	}{
		{"garbage key", []string{"X-Master-Key", garbageKey}},
		{"bad checksum", []string{"X-Master-Key", badChecksum}},
		{"bad checksum as Bearer", []string{"Authorization", "Bearer " + badChecksum}},
		{"unknown well-formed key", []string{"X-Master-Key", unknownKey}},
		{"unknown well-formed access key", []string{"X-Access-Key", unknownAccessKey}},
		{"revoked key", []string{"X-Master-Key", revokedKey}},
		{"revoked key as Bearer", []string{"Authorization", "Bearer " + revokedKey}},
		{"access key as master key", []string{"X-Master-Key", accessKey}},
		{"master key as access key", []string{"X-Access-Key", admin}},
		{"another account's key", []string{"X-Master-Key", otherKey}},
		{"key under another scheme", []string{"Authorization", "Token " + admin}},
	} {
		status, _, body := srv.MustSend(t, "GET", "/v3/b/"+bin, "", c.hdr...)
		if status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s; want 401", c.what, status, body)
		}
	}
	send("key in the query string", 401, "GET", "/v3/b/"+bin+"?X-Master-Key="+admin+"&key="+apiKey, "")
	send("revoked key creating", 401, "POST", "/v3/b", `{"marker":"`+m("revoked-create")+`"}`, with("X-Master-Key", revokedKey)...)
	send("revoked key on a non-bin route", 401, "GET", "/v3/keys", "", "X-Master-Key", revokedKey)
	// Enough failed authentications to close the gate: 429 from here on
	// for requests that carry a key, until it refills.
	sawRateLimit := false
	for range 40 {
		status, _, _ := srv.MustSend(t, "PUT", "/v3/b/"+bin, `{"marker":"`+m("guessing")+`"}`, with("X-Master-Key", badChecksum)...)
		sawRateLimit = sawRateLimit || status == http.StatusTooManyRequests
	}
	if !sawRateLimit {
		t.Errorf("40 failed authentications in a row never answered 429")
	}

	t.Run("ActivityLogOverTheAPI", func(t *testing.T) {
		body := pollAdminActivity(t, srv, admin, loggedIDs)
		if x, ok := forbidden.find(body); ok {
			t.Errorf("GET /v3/activity holds the %s", x.label)
		}
		status, days := pollOK(t, srv, admin, "/v3/l")
		var l struct{ Logs []string }
		if err := json.Unmarshal(days, &l); err != nil || status != 200 || len(l.Logs) == 0 {
			t.Fatalf("GET /v3/l = %d %s; want days", status, days)
		}
		for _, day := range l.Logs {
			_, zipped := pollOK(t, srv, admin, "/v3/l/"+day)
			zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
			if err != nil {
				t.Fatalf("GET /v3/l/%s: %v", day, err)
			}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				if x, ok := forbidden.find(b); ok {
					t.Errorf("usage log %s/%s holds the %s", day, f.Name, x.label)
				}
			}
		}
	})

	if err := srv.Stop(t); err != nil {
		t.Fatalf("serve returned %v; want nil", err)
	}

	t.Run("ServerLog", func(t *testing.T) {
		log := srv.Stderr.String()
		if !strings.Contains(log, "serving") {
			t.Fatalf("captured stderr lacks the serving line; captured:\n%s", log)
		}
		for i, line := range strings.Split(log, "\n") {
			if x, ok := forbidden.find([]byte(line)); ok {
				t.Errorf("log line %d holds the %s: %s", i+1, x.label, line)
			}
		}
	})

	t.Run("ActivityLogFile", func(t *testing.T) {
		// The activity database also holds the entries of requests no
		// account could be given (bad keys), which the API never shows.
		n := 0
		for path, b := range readDataFiles(t, dir) {
			if !strings.HasPrefix(filepath.Base(path), sqlite.ActivityFile) {
				continue
			}
			n += len(b)
			if x, ok := forbidden.find(b); ok {
				t.Errorf("%s holds the %s", path, x.label)
			}
		}
		if n == 0 {
			t.Errorf("no %s* file with content in %s", sqlite.ActivityFile, dir)
		}
	})
}

// pollOK sends GET path with key until it is not rate limited (the
// failed-authentication gate refills within seconds), within a bounded
// time.
func pollOK(tb testing.TB, srv *testServer, key, path string) (int, []byte) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _, body := srv.MustSend(tb, "GET", path, "", "X-Master-Key", key)
		if status != http.StatusTooManyRequests {
			if status != http.StatusOK {
				tb.Fatalf("GET %s = %d %s; want 200", path, status, body)
			}
			return status, body
		}
		if time.Now().After(deadline) {
			tb.Fatalf("GET %s still 429 after 30s", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pollAdminActivity reads the account's activity until it holds every
// request id in ids (the log is written in the background), within a
// bounded time, and returns the last body read.
func pollAdminActivity(tb testing.TB, srv *testServer, key string, ids []string) []byte {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := pollOK(tb, srv, key, "/v3/activity?limit=1000")
		var page struct {
			Activity []struct {
				RequestID string `json:"requestId"`
			} `json:"activity"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			tb.Fatalf("GET /v3/activity: %v %s", err, body)
		}
		seen := map[string]bool{}
		for _, e := range page.Activity {
			seen[e.RequestID] = true
		}
		var missing []string
		for _, id := range ids {
			if !seen[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return body
		}
		if time.Now().After(deadline) {
			tb.Fatalf("activity lacks requests %v 30s after they were served", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
