package storetest

import (
	"testing"
	"time"

	"github.com/binvault/binvault"
)

func sessionTests() []test {
	return []test{
		{"PasswordRoundTrip", testPassword},
		{"SessionFoundUntilExpiry", testSessionExpiry},
		{"RevokedSessionGone", testRevokeSession},
		{"LogOutEverywhere", testRevokeSessions},
		{"NewPasswordEndsSessions", testPasswordEndsSessions},
		{"InviteUsedOnceBeforeExpiry", testInvites},
	}
}

func mustSession(t *testing.T, s binvault.Store, accountID string, ms int64, ttl time.Duration) *binvault.Session {
	t.Helper()
	se := &binvault.Session{ID: binvault.NewID(at(ms)), AccountID: accountID, Digest: binvault.Digest(binvault.NewID(at(ms))),
		CreatedAt: at(ms), ExpiresAt: at(ms).Add(ttl)}
	if err := s.CreateSession(t.Context(), se); err != nil {
		t.Fatal(err)
	}
	return se
}

func testPassword(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "pw@example.com", "pw")
	if h, err := s.PasswordHash(t.Context(), a.ID); err != nil || h != "" {
		t.Fatalf("no password yet: %q, %v", h, err)
	}
	if err := s.SetPassword(t.Context(), a.ID, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"); err != nil {
		t.Fatal(err)
	}
	if h, err := s.PasswordHash(t.Context(), a.ID); err != nil || h != "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" {
		t.Fatalf("password hash %q, %v", h, err)
	}
	missing := binvault.NewID(at(1))
	if err := s.SetPassword(t.Context(), missing, "x"); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("unknown account: %v", err)
	}
	if _, err := s.PasswordHash(t.Context(), missing); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("unknown account: %v", err)
	}
}

func testSessionExpiry(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "se@example.com", "se")
	se := mustSession(t, s, a.ID, 0, time.Hour)
	got, err := s.FindSession(t.Context(), se.Digest, at(1000))
	if err != nil || got.ID != se.ID || got.AccountID != a.ID || !got.ExpiresAt.Equal(se.ExpiresAt) || !got.CreatedAt.Equal(se.CreatedAt) {
		t.Fatalf("FindSession = %+v, %v", got, err)
	}
	if _, err := s.FindSession(t.Context(), se.Digest, se.ExpiresAt); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("expired session: %v", err)
	}
	if _, err := s.FindSession(t.Context(), binvault.Digest("other"), at(1)); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("unknown digest: %v", err)
	}
}

func testRevokeSession(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "rs@example.com", "rs")
	se := mustSession(t, s, a.ID, 0, time.Hour)
	keep := mustSession(t, s, a.ID, 1, time.Hour)
	if err := s.RevokeSession(t.Context(), se.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSession(t.Context(), se.Digest, at(2)); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("revoked session found: %v", err)
	}
	if _, err := s.FindSession(t.Context(), keep.Digest, at(2)); err != nil {
		t.Fatalf("other session: %v", err)
	}
	if err := s.RevokeSession(t.Context(), se.ID); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("second revoke: %v", err)
	}
}

func testRevokeSessions(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "all@example.com", "all")
	b := MustCreateAccount(t, s, "b@example.com", "b")
	mustSession(t, s, a.ID, 0, time.Hour)
	mustSession(t, s, a.ID, 1, time.Hour)
	other := mustSession(t, s, b.ID, 2, time.Hour)
	if n, err := s.RevokeSessions(t.Context(), a.ID); err != nil || n != 2 {
		t.Fatalf("RevokeSessions = %d, %v; want 2", n, err)
	}
	if _, err := s.FindSession(t.Context(), other.Digest, at(3)); err != nil {
		t.Fatalf("another account's session ended: %v", err)
	}
}

func testPasswordEndsSessions(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "pe@example.com", "pe")
	se := mustSession(t, s, a.ID, 0, time.Hour)
	if err := s.SetPassword(t.Context(), a.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSession(t.Context(), se.Digest, at(1)); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("session survived a password change: %v", err)
	}
}

func testInvites(t *testing.T, s binvault.Store) {
	code := binvault.Digest("bv_inv_code")
	if err := s.CreateInvite(t.Context(), code, at(10_000)); err != nil {
		t.Fatal(err)
	}
	if err := s.UseInvite(t.Context(), code, at(10_000)); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("expired invite used: %v", err)
	}
	if err := s.UseInvite(t.Context(), code, at(1)); err != nil {
		t.Fatalf("valid invite: %v", err)
	}
	if err := s.UseInvite(t.Context(), code, at(2)); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("invite used twice: %v", err)
	}
	if err := s.UseInvite(t.Context(), binvault.Digest("other"), at(1)); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("unknown invite: %v", err)
	}
}
