package binvault_test

import (
	"strings"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/password"
	"github.com/binvault/binvault/sqlite"
)

func mustLoginVault(t *testing.T, signUp string) *binvault.Vault {
	t.Helper()
	s, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	v := binvault.NewVault(s, keys.Format{}, binvault.Config{Passwords: password.Argon2id{}, SignUp: signUp})
	t.Cleanup(func() { v.Close() })
	return v
}

func TestSessions(t *testing.T) {
	ctx := t.Context()
	v := mustLoginVault(t, binvault.SignUpOpen)
	if _, _, err := v.SignUp(ctx, "ada@example.com", "short", ""); binvault.ErrorCode(err) != binvault.EINVALID {
		t.Fatalf("short password: %v", err)
	}
	a, apiKey, err := v.SignUp(ctx, "ada@example.com", "correct horse battery", "")
	if err != nil || a.Email != "ada@example.com" || apiKey == "" {
		t.Fatalf("sign up: %v", err)
	}
	for _, c := range []struct{ email, pw string }{{"ada@example.com", "wrong password!"}, {"nobody@example.com", "correct horse battery"}} {
		if _, _, err := v.Login(ctx, c.email, c.pw); binvault.ErrorCode(err) != binvault.EUNAUTHORIZED || binvault.ErrorMessage(err) != "Email or password is incorrect" {
			t.Errorf("login %s: %v", c.email, err)
		}
	}
	token, _, err := v.Login(ctx, "ada@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := v.SessionPrincipal(ctx, token)
	if err != nil || p.AccountID != a.ID || p.Method != binvault.AuthSession {
		t.Fatalf("session principal %+v, %v", p, err)
	}
	if !binvault.CheckCSRF(token, binvault.CSRFToken(token)) || binvault.CheckCSRF(token, binvault.CSRFToken(token+"x")) || binvault.CheckCSRF("", "") {
		t.Error("CSRF check")
	}
	other, _, _ := v.Login(ctx, "ada@example.com", "correct horse battery")
	fresh, err := v.ChangePassword(ctx, token, "correct horse battery", "another long password")
	if err != nil {
		t.Fatal(err)
	}
	for name, old := range map[string]string{"ChangingSession": token, "OtherSession": other} {
		if _, _, err := v.SessionPrincipal(ctx, old); binvault.ErrorCode(err) != binvault.EUNAUTHORIZED {
			t.Errorf("%s after a password change: %v", name, err)
		}
	}
	if _, _, err := v.SessionPrincipal(ctx, fresh); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	second, _, _ := v.Login(ctx, "ada@example.com", "another long password")
	if n, err := v.LogoutEverywhere(ctx, fresh); err != nil || n != 2 {
		t.Fatalf("log out everywhere = %d, %v; want 2", n, err)
	}
	if _, _, err := v.SessionPrincipal(ctx, second); binvault.ErrorCode(err) != binvault.EUNAUTHORIZED {
		t.Errorf("session after log out everywhere: %v", err)
	}
	third, _, _ := v.Login(ctx, "ada@example.com", "another long password")
	if err := v.Logout(ctx, third); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.SessionPrincipal(ctx, third); binvault.ErrorCode(err) != binvault.EUNAUTHORIZED {
		t.Errorf("session after log out: %v", err)
	}
}

func TestSignUpClosed(t *testing.T) {
	v := mustLoginVault(t, binvault.SignUpClosed)
	if _, _, err := v.SignUp(t.Context(), "ada@example.com", "correct horse battery", ""); binvault.ErrorCode(err) != binvault.EFORBIDDEN {
		t.Fatalf("closed sign-up: %v", err)
	}
	if _, _, err := v.CreateAccount(t.Context(), "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := v.SetPassword(t.Context(), "ada@example.com", "operator set this"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.Login(t.Context(), "ada@example.com", "operator set this"); err != nil {
		t.Fatalf("login with an operator-set password: %v", err)
	}
}

// TestSessionActsAsAccount: a dashboard session does what the account's API
// key does, and a foreign or ended session does nothing.
func TestSessionActsAsAccount(t *testing.T) {
	ctx := t.Context()
	v := mustLoginVault(t, binvault.SignUpOpen)
	a, _, err := v.SignUp(ctx, "ada@example.com", "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := v.Login(ctx, "ada@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	cred := binvault.Credentials{Session: token}
	b, err := v.CreateBin(ctx, cred, binvault.BinCreate{Private: true, Record: []byte(`[]`)})
	if err != nil || b.AccountID != a.ID {
		t.Fatalf("create with a session: %+v, %v", b, err)
	}
	if ks, err := v.ListAPIKeys(ctx, cred); err != nil || len(ks) != 1 {
		t.Fatalf("list keys with a session: %d, %v", len(ks), err)
	}
	if err := v.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.ReadBin(ctx, cred, b.ID, binvault.Latest); binvault.ErrorCode(err) != binvault.EUNAUTHORIZED {
		t.Fatalf("read with an ended session: %v", err)
	}
}

// TestSignUpByInvite: invite-only sign-up needs a code, once.
func TestSignUpByInvite(t *testing.T) {
	ctx := t.Context()
	v := mustLoginVault(t, binvault.SignUpInvite)
	if _, _, err := v.SignUp(ctx, "ada@example.com", "correct horse battery", ""); binvault.ErrorCode(err) != binvault.EFORBIDDEN {
		t.Fatalf("without a code: %v", err)
	}
	code, err := v.CreateInvite(ctx)
	if err != nil || !strings.HasPrefix(code, "bv_inv_") {
		t.Fatalf("invite %q, %v", code, err)
	}
	if _, _, err := v.SignUp(ctx, "ada@example.com", "correct horse battery", code); err != nil {
		t.Fatalf("with the code: %v", err)
	}
	if _, _, err := v.SignUp(ctx, "bob@example.com", "correct horse battery", code); binvault.ErrorCode(err) != binvault.EFORBIDDEN {
		t.Fatalf("the same code twice: %v", err)
	}
}
