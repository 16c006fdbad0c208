package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault/client"
)

// msgBadKeyForBin is JSONBin's exact refusal of a bad X-Master-Key on a
// read of a private bin.
const msgBadKeyForBin = `{"message":"X-Master-Key is invalid or the bin doesn't belong to your account"}`

var idPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// TestAccountCreate runs `account create` while a server runs on the same
// data directory, and uses the key over HTTP through package client.
func TestAccountCreate(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, dir)

	t.Run("PrintsOnlyTheKeyAndTheKeyWorksOnTheRunningServer", func(t *testing.T) {
		key := MustKeyLine(t, MustRunCLI(t, nil, "account", "create", "--email", "ada@example.com", "--data", dir))
		api := srv.NewClient(key)
		id := mustCreateBin(t, api, `{"owner":"ada"}`)
		if got := mustRecord(t, api, id); string(got) != `{"owner":"ada"}` {
			t.Errorf("new account reads back %s; want {\"owner\":\"ada\"}", got)
		}
		// The bin is the new account's, not the admin's.
		_, err := srv.NewClient(srv.AdminKey).ReadBin(t.Context(), id, client.ReadBinOptions{})
		mustRefusal(t, "admin reads the new account's private bin", err, http.StatusUnauthorized, msgBadKeyForBin)
	})

	MustRunCLI(t, nil, "account", "create", "--email", "taken@example.com", "--data", dir)
	for _, tc := range []struct {
		name      string
		args      []string
		wantUsage bool
	}{
		{"DuplicateEmailFails", []string{"--email", "taken@example.com", "--data", dir}, false},
		{"MissingEmailIsUsageError", []string{"--data", dir}, true},
		{"EmptyEmailIsUsageError", []string{"--email", "", "--data", dir}, true},
		{"MalformedEmailFails", []string{"--email", "not-an-email", "--data", dir}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(context.Background(), nil, append([]string{"account", "create"}, tc.args...)...)
			if err == nil {
				t.Fatalf("account create %v succeeded (stdout %q); want an error", tc.args, stdout)
			}
			if got := errors.Is(err, errUsage); got != tc.wantUsage {
				t.Errorf("account create %v: error %v is a usage error: %v; want %v", tc.args, err, got, tc.wantUsage)
			}
			if tc.wantUsage && !strings.Contains(stderr, "--email") {
				t.Errorf("usage error does not mention --email on stderr: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("a failed account create printed %q on stdout; want nothing", stdout)
			}
		})
	}
}

// TestKeys runs `keys create|list|revoke` while a server runs on the same
// data directory, and uses the keys over HTTP through package client.
func TestKeys(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, dir)

	t.Run("CreatedKeyIsListedByPrefixNameAndCreatedAt", func(t *testing.T) {
		key := MustKeyLine(t, MustRunCLI(t, nil, "keys", "create", "--data", dir, "--name", "deploy"))
		ks := MustListKeys(t, dir)
		k, ok := findKey(ks, key)
		if !ok {
			t.Fatalf("keys list %+v has no key with prefix %q", ks, key[:12])
		}
		if !idPattern.MatchString(k.ID) || k.Name != "deploy" || k.LastUsedAt != nil {
			t.Errorf("listed %+v; want a bin-style id, name deploy, lastUsedAt null", k)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", k.CreatedAt); err != nil {
			t.Errorf("createdAt %q: %v", k.CreatedAt, err)
		}
		if _, ok := findKey(ks, srv.AdminKey); !ok {
			t.Errorf("keys list %+v lost the admin's first key %q…", ks, srv.AdminKey[:12])
		}
	})

	t.Run("LastUsedAtIsNullUntilTheKeyIsUsed", func(t *testing.T) {
		used := MustKeyLine(t, MustRunCLI(t, nil, "keys", "create", "--data", dir, "--name", "used"))
		idle := MustKeyLine(t, MustRunCLI(t, nil, "keys", "create", "--data", dir, "--name", "idle"))
		if k, _ := findKey(MustListKeys(t, dir), used); k.LastUsedAt != nil {
			t.Fatalf("lastUsedAt = %q before any use; want null", *k.LastUsedAt)
		}
		mustCreateBin(t, srv.NewClient(used), `{"used":true}`)

		// The server records the use in the background: poll.
		deadline := time.Now().Add(10 * time.Second)
		var ks []listedKey
		for {
			ks = MustListKeys(t, dir)
			if k, _ := findKey(ks, used); k.LastUsedAt != nil {
				if _, err := time.Parse("2006-01-02T15:04:05.000Z", *k.LastUsedAt); err != nil {
					t.Errorf("lastUsedAt %q: %v", *k.LastUsedAt, err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("lastUsedAt still null 10s after a request with the key: %+v", ks)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if k, ok := findKey(ks, idle); !ok || k.LastUsedAt != nil {
			t.Errorf("unused key listed as %+v (found %v); want lastUsedAt null", k, ok)
		}
	})

	for _, tc := range []struct {
		name string
		ref  func(listedKey) string
	}{
		{"RevokeByIDRefusesTheNextRequest", func(k listedKey) string { return k.ID }},
		{"RevokeByDisplayPrefixRefusesTheNextRequest", func(k listedKey) string { return k.Prefix }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin := srv.NewClient(srv.AdminKey)
			bin := mustCreateBin(t, admin, `{"private":"yes"}`)
			key := MustKeyLine(t, MustRunCLI(t, nil, "keys", "create", "--data", dir, "--name", tc.name))
			api := srv.NewClient(key)
			// Use it first, so that the server has it cached.
			if _, err := api.ReadBin(t.Context(), bin, client.ReadBinOptions{}); err != nil {
				t.Fatalf("GET with the new key: %v; want 200", err)
			}
			k, ok := findKey(MustListKeys(t, dir), key)
			if !ok {
				t.Fatalf("new key %q… not listed", key[:12])
			}

			out := MustRunCLI(t, nil, "keys", "revoke", "--data", dir, tc.ref(k))
			if !strings.Contains(out, k.ID) {
				t.Errorf("keys revoke printed %q; want it to name %s", out, k.ID)
			}
			_, err := api.ReadBin(t.Context(), bin, client.ReadBinOptions{})
			mustRefusal(t, "GET right after revoke", err, http.StatusUnauthorized, msgBadKeyForBin)
			if _, err := admin.ReadBin(t.Context(), bin, client.ReadBinOptions{}); err != nil {
				t.Errorf("GET with the admin's own key after revoking another: %v; want 200", err)
			}
			if k, ok := findKey(MustListKeys(t, dir), key); ok {
				t.Errorf("revoked key still listed: %+v", k)
			}
		})
	}

	t.Run("RevokeUnknownKeyFails", func(t *testing.T) {
		if _, _, err := runCLI(context.Background(), nil, "keys", "revoke", "--data", dir, "0123456789abcdef01234567"); err == nil {
			t.Errorf("revoking an unknown key id succeeded; want an error")
		}
	})
}

// TestEnvFallbacks: BINVAULT_DATA and BINVAULT_ADDR stand in for --data and
// --addr; a flag given wins over its variable.
func TestEnvFallbacks(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	// Were a fallback ignored, the default ./binvault-data would be used:
	// keep it out of the source tree.
	t.Chdir(t.TempDir())
	srv := MustServeArgs(t, map[string]string{"BINVAULT_DATA": dir, "BINVAULT_ADDR": "127.0.0.1:0"}, "serve")
	if srv.AdminKey == "" {
		t.Fatalf("serve on an empty BINVAULT_DATA printed no admin key; stdout:\n%s", srv.Stdout)
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"AccountCreateReadsBINVAULT_DATA", map[string]string{"BINVAULT_DATA": dir}, []string{"account", "create", "--email", "env@example.com"}},
		{"KeysCreateReadsBINVAULT_DATA", map[string]string{"BINVAULT_DATA": dir}, []string{"keys", "create"}},
		{"DataFlagWinsOverBINVAULT_DATA", map[string]string{"BINVAULT_DATA": elsewhere}, []string{"keys", "create", "--data", dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := MustKeyLine(t, MustRunCLI(t, tc.env, tc.args...))
			// The key works on the server started from the environment
			// alone: both used the same store.
			mustCreateBin(t, srv.NewClient(key), `{"env":true}`)
		})
	}
}

// TestLoneDashIsAPositionalArgument: "-" (stdin) is a value, not a flag;
// it once made the flag loop spin forever.
func TestLoneDashIsAPositionalArgument(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	name := fs.String("name", "", "")
	got, err := parseFlags(fs, []string{"-", "--name", "n", "x"}, io.Discard)
	if err != nil || len(got) != 2 || got[0] != "-" || got[1] != "x" || *name != "n" {
		t.Fatalf("parseFlags = %q, %v (name %q); want [- x], nil, n", got, err, *name)
	}
}
