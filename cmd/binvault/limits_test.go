package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/binvault/binvault"
)

// TestAccountLimitsWhileServing: limits set from the CLI reach a running
// server on the next request, and "default" puts them back.
func TestAccountLimitsWhileServing(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, dir)
	first := srv.MustCreateBin(t, srv.AdminKey, `{"n":1}`)

	out := MustRunCLI(t, nil, "account", "limits", "--data", dir, "--max-bins", "1", "--versioning", "false", "--max-access-keys", "1")
	var u struct {
		Bins   int
		Limits struct {
			MaxBins, MaxAccessKeys int
			Versioning             bool
		}
	}
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if u.Bins != 1 || u.Limits.MaxBins != 1 || u.Limits.MaxAccessKeys != 1 || u.Limits.Versioning {
		t.Fatalf("limits printed as %s", out)
	}
	if status, body := srv.MustDo(t, "POST", "/v3/b", srv.AdminKey, `{"n":2}`); status != 403 || string(body) != `{"message":"You cannot create more than 1 bins."}` {
		t.Fatalf("second bin: %d %s", status, body)
	}
	versioned := []string{"X-Bin-Versioning", "true"}
	if status, body := srv.MustDo(t, "PUT", "/v3/b/"+first, srv.AdminKey, `{"n":9}`, versioned...); status != 403 {
		t.Fatalf("versioned update with versioning off: %d %s", status, body)
	}

	MustRunCLI(t, nil, "account", "limits", "--data", dir, "--max-bins", "default")
	srv.MustCreateBin(t, srv.AdminKey, `{"n":2}`)

	for _, bad := range [][]string{{"--max-bins", "-1"}, {"--versioning", "maybe"}, {"--requests-per-month", "lots"}} {
		if _, stderr, err := runCLI(t.Context(), nil, append([]string{"account", "limits", "--data", dir}, bad...)...); err == nil || !strings.Contains(stderr, bad[0]) {
			t.Errorf("%v accepted: %v %s", bad, err, stderr)
		}
	}
}

// TestShutdownFlushesUsage: "last used" times and the activity log are
// written in the background; a graceful stop must write what is pending.
func TestShutdownFlushesUsage(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, dir)
	key := srv.AdminKey
	id := srv.MustCreateBin(t, key, `{"flushed":"on stop"}`)
	if err := srv.Stop(t); err != nil { // well within the 1 s flush interval
		t.Fatal(err)
	}
	for _, k := range MustListKeys(t, dir) {
		if strings.HasPrefix(key, k.Prefix) && k.LastUsedAt == nil {
			t.Errorf("key used before the stop is listed as never used")
		}
	}
	again := MustServe(t, dir)
	status, body := again.MustDo(t, "GET", "/v3/activity?limit=1000", key, "")
	if status != 200 || !strings.Contains(string(body), `"resourceId":"`+id+`"`) || !strings.Contains(string(body), `"route":"POST /v3/b"`) {
		t.Fatalf("activity after restart: %d %s", status, body)
	}
}

// TestAccountPassword: the CLI sets a password the Vault then accepts for a
// login; a short one is refused.
func TestAccountPassword(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/pw"
	if err := os.WriteFile(file, []byte("operator chosen secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	MustRunCLI(t, nil, "account", "create", "--data", dir, "--email", "ops@example.com")
	MustRunCLI(t, nil, "account", "password", "--data", dir, "--account", "ops@example.com", "--password-file", file)
	os.WriteFile(file, []byte("short"), 0o600)
	if _, _, err := runCLI(t.Context(), nil, "account", "password", "--data", dir, "--account", "ops@example.com", "--password-file", file); err == nil {
		t.Fatal("short password accepted")
	}
	store, v, err := (&storeFlags{data: dir}).open(t.Context(), binvault.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	defer v.Close()
	if _, _, err := v.Login(t.Context(), "ops@example.com", "operator chosen secret"); err != nil {
		t.Fatalf("login with the CLI-set password: %v", err)
	}
}

// TestAccountInvite: the CLI prints a code that lets one sign-up through.
func TestAccountInvite(t *testing.T) {
	dir := t.TempDir()
	code := strings.TrimSpace(MustRunCLI(t, nil, "account", "invite", "--data", dir))
	if !strings.HasPrefix(code, "bv_inv_") {
		t.Fatalf("invite output %q", code)
	}
	store, v, err := (&storeFlags{data: dir}).open(t.Context(), binvault.Config{SignUp: binvault.SignUpInvite})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	defer v.Close()
	if _, _, err := v.SignUp(t.Context(), "new@example.com", "a long enough password", code); err != nil {
		t.Fatalf("sign up with the CLI's code: %v", err)
	}
}
