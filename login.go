package binvault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// PasswordHasher hashes and checks dashboard passwords; package password
// implements it with argon2id.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) (bool, error)
}

// Sign-up modes of an instance (Config.SignUp).
const (
	SignUpOpen   = "open"   // anyone may create an account from the dashboard
	SignUpInvite = "invite" // only with an invitation code from the operator
	SignUpClosed = "closed" // accounts come from the command line only
)

// inviteTTL is how long an invitation code stays valid.
const inviteTTL = 7 * 24 * time.Hour

// Password length bounds, in bytes: long enough to resist guessing, short
// enough that hashing one cannot be used to burn the server's CPU.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// SignUp creates an account with a password, when the instance allows it,
// and returns it with its first API key's secret. EFORBIDDEN when sign-up
// is closed, EINVALID for a bad email or password, ECONFLICT for a taken
// email.
// With invite-only sign-up, invite must be an unused, unexpired code.
func (v *Vault) SignUp(ctx context.Context, email, password, invite string) (*Account, string, error) {
	open := v.cfg.SignUp == SignUpOpen || v.cfg.SignUp == SignUpInvite
	if !open || v.cfg.Passwords == nil {
		return nil, "", Errorf(EFORBIDDEN, "Sign-up is closed on this instance; ask its operator for an account")
	}
	if err := checkPassword(password); err != nil {
		return nil, "", err
	} else if !validEmail(strings.ToLower(strings.TrimSpace(email))) {
		return nil, "", Errorf(EINVALID, "Invalid email provided")
	}
	if v.cfg.SignUp == SignUpInvite {
		err := v.store.UseInvite(ctx, Digest(strings.TrimSpace(invite)), v.now())
		if ErrorCode(err) == ENOTFOUND {
			return nil, "", Errorf(EFORBIDDEN, "This invitation code is not valid: it may be mistyped, used or expired")
		} else if err != nil {
			return nil, "", err
		}
	}
	hash, err := v.cfg.Passwords.Hash(password)
	if err != nil {
		return nil, "", fmt.Errorf("hash password: %w", err)
	}
	a, secret, err := v.CreateAccount(ctx, email)
	if err != nil {
		return nil, "", err
	}
	return a, secret, v.store.SetPassword(ctx, a.ID, hash)
}

// CreateInvite makes a single-use invitation code for invite-only sign-up
// (command line); it is shown this once and valid for seven days.
func (v *Vault) CreateInvite(ctx context.Context) (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	code := "bv_inv_" + base64.RawURLEncoding.EncodeToString(b[:])
	return code, v.store.CreateInvite(ctx, Digest(code), v.now().Add(inviteTTL))
}

// SignUpMode is the instance's sign-up setting, for the sign-up page.
func (v *Vault) SignUpMode() string { return v.cfg.SignUp }

// SetPassword sets the password of the account found by ref (command
// line), ending its sessions.
func (v *Vault) SetPassword(ctx context.Context, ref, password string) error {
	a, err := v.store.FindAccount(ctx, ref)
	if err != nil {
		return err
	}
	return v.setPassword(ctx, a.ID, password)
}

func (v *Vault) setPassword(ctx context.Context, accountID, password string) error {
	if v.cfg.Passwords == nil {
		return Errorf(EFORBIDDEN, "Logins are not configured on this instance")
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := v.cfg.Passwords.Hash(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return v.store.SetPassword(ctx, accountID, hash)
}

func checkPassword(pw string) error {
	if len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return Errorf(EINVALID, "Password must be %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// msgBadLogin is the one answer to every failed login, so that it does not
// tell which emails have accounts.
const msgBadLogin = "Email or password is incorrect"

// Login checks an email and password and starts a session; it returns the
// session's token, which is shown to the browser only (in a cookie).
func (v *Vault) Login(ctx context.Context, email, password string) (string, *Session, error) {
	a, err := v.store.FindAccount(ctx, email)
	hash := ""
	if v.cfg.Passwords == nil {
		return "", nil, Errorf(EFORBIDDEN, "Logins are not configured on this instance")
	}
	if err == nil {
		if hash, err = v.store.PasswordHash(ctx, a.ID); err != nil {
			return "", nil, err
		}
	} else if ErrorCode(err) != ENOTFOUND && err != nil {
		return "", nil, err
	}
	ok, _ := v.cfg.Passwords.Verify(orDummy(hash), password) // same work with or without an account
	if hash == "" || !ok {
		return "", nil, Errorf(EUNAUTHORIZED, "%s", msgBadLogin)
	}
	return v.startSession(ctx, a.ID)
}

// dummyHash is verified when there is no real hash, so a login for an
// unknown email costs as long as one with a wrong password.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func orDummy(hash string) string {
	if hash == "" {
		return dummyHash
	}
	return hash
}

func (v *Vault) startSession(ctx context.Context, accountID string) (string, *Session, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("read random: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := v.now()
	s := &Session{ID: NewID(now), AccountID: accountID, Digest: Digest(token), CreatedAt: now, ExpiresAt: now.Add(v.cfg.SessionTTL)}
	if err := v.store.CreateSession(ctx, s); err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// SessionPrincipal authenticates a dashboard request by its session token
// and admits it against the account's quota. EUNAUTHORIZED for an unknown,
// expired or revoked session.
func (v *Vault) SessionPrincipal(ctx context.Context, token string) (*Principal, *Session, error) {
	s, err := v.CheckSession(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if err := v.admitAccount(ctx, s.AccountID); err != nil {
		return nil, nil, err
	}
	p := &Principal{AccountID: s.AccountID, Method: AuthSession, KeyID: s.ID}
	traceOf(ctx).setPrincipal(p)
	return p, s, nil
}

// CheckSession returns the live session of token without counting a
// request: a page that only checks who is logged in is not an API request.
// EUNAUTHORIZED for an unknown, expired or revoked session.
func (v *Vault) CheckSession(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, Errorf(EUNAUTHORIZED, "Please log in")
	}
	s, err := v.store.FindSession(ctx, Digest(token), v.now())
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EUNAUTHORIZED, "Your session has ended; please log in again")
	}
	return s, err
}

// Logout ends the session of token.
func (v *Vault) Logout(ctx context.Context, token string) error {
	_, s, err := v.SessionPrincipal(ctx, token)
	if err != nil {
		return err
	}
	return v.store.RevokeSession(ctx, s.ID)
}

// LogoutEverywhere ends every session of token's account, this one
// included, and returns how many it ended.
func (v *Vault) LogoutEverywhere(ctx context.Context, token string) (int, error) {
	_, s, err := v.SessionPrincipal(ctx, token)
	if err != nil {
		return 0, err
	}
	return v.store.RevokeSessions(ctx, s.AccountID)
}

// ChangePassword checks the current password, sets the new one, which ends
// every session of the account, and starts a fresh session for the caller.
func (v *Vault) ChangePassword(ctx context.Context, token, current, next string) (string, error) {
	_, s, err := v.SessionPrincipal(ctx, token)
	if err != nil {
		return "", err
	}
	hash, err := v.store.PasswordHash(ctx, s.AccountID)
	if err != nil {
		return "", err
	}
	if ok, _ := v.cfg.Passwords.Verify(orDummy(hash), current); !ok || hash == "" {
		return "", Errorf(EUNAUTHORIZED, "The current password is incorrect")
	}
	if err := v.setPassword(ctx, s.AccountID, next); err != nil {
		return "", err
	}
	fresh, _, err := v.startSession(ctx, s.AccountID)
	return fresh, err
}

// CSRFToken is the token a dashboard page must send back with every unsafe
// request of the session token's browser. It is derived from the session
// token, so it needs no storage, and cannot be computed without the
// HttpOnly cookie.
func CSRFToken(sessionToken string) string {
	sum := sha256.Sum256([]byte("binvault csrf\x00" + sessionToken))
	return hex.EncodeToString(sum[:16])
}

// CheckCSRF reports, in constant time, whether csrf belongs to the session.
func CheckCSRF(sessionToken, csrf string) bool {
	return sessionToken != "" && subtle.ConstantTimeCompare([]byte(CSRFToken(sessionToken)), []byte(csrf)) == 1
}

// sessionTTL is how long a dashboard session lasts by default.
const sessionTTL = 7 * 24 * time.Hour
