package binvault

import (
	"context"
	"time"
)

// Session is a dashboard login: an opaque token kept by the browser in an
// HttpOnly cookie, of which the store keeps only the SHA-256 digest.
type Session struct {
	ID        string
	AccountID string
	Digest    []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionStore persists dashboard sessions and account passwords.
type SessionStore interface {
	// SetPassword stores an account's password hash (a PHC string) and
	// revokes all its sessions. ENOTFOUND for an unknown account.
	SetPassword(ctx context.Context, accountID, hash string) error
	// PasswordHash returns an account's password hash, "" when it has none.
	PasswordHash(ctx context.Context, accountID string) (string, error)
	// CreateSession inserts s.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the unrevoked session with that digest that has
	// not expired at now; ENOTFOUND otherwise.
	FindSession(ctx context.Context, digest []byte, now time.Time) (*Session, error)
	// RevokeSession ends one session; ENOTFOUND if it is not active.
	RevokeSession(ctx context.Context, id string) error
	// RevokeSessions ends every session of an account ("log out
	// everywhere") and returns how many it ended.
	RevokeSessions(ctx context.Context, accountID string) (int, error)
	// CreateInvite stores an invitation to sign up, by its code's digest.
	CreateInvite(ctx context.Context, digest []byte, expires time.Time) error
	// UseInvite spends an unused, unexpired invitation; ENOTFOUND if there
	// is none. Two sign-ups cannot spend the same one.
	UseInvite(ctx context.Context, digest []byte, now time.Time) error
}
