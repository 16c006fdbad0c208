// Package binvault holds the domain of a self-hosted, JSONBin-compatible JSON
// store: accounts, keys and bins, the Store interface that adapters
// implement, and the Vault, which applies every business rule (privacy,
// versioning, permissions) once, above whichever store is plugged in.
//
// It imports only the standard library. Adapters live in subpackages:
// sqlite (embedded store), keys (key format), httpapi (the REST routes);
// cmd/binvault wires them together.
package binvault

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Store persists accounts, keys and bins. Implementations keep integrity
// (unique ids, atomic writes, durable commits) but decide no policy: who may
// read or write what is the Vault's job.
//
// Every method returns an *Error with code ENOTFOUND when the thing it looks
// up does not exist (never a nil result with a nil error), ECONFLICT on a
// uniqueness violation, and any other failure as a wrapped plain error, which
// callers treat as EINTERNAL.
type Store interface {
	AccountStore
	KeyStore
	BinStore
	CollectionStore
	ActivityStore
	SessionStore
	Close() error
}

// AccountStore persists accounts.
type AccountStore interface {
	// CreateAccount inserts a; ECONFLICT if its email is taken.
	CreateAccount(ctx context.Context, a *Account) error
	// FindAccount looks an account up by id, email or name (in that order).
	FindAccount(ctx context.Context, ref string) (*Account, error)
	// CountAccounts returns how many accounts exist.
	CountAccounts(ctx context.Context) (int, error)
	// SetAccountLimits replaces an account's limits and moves AuthVersion.
	SetAccountLimits(ctx context.Context, accountID string, l Limits) error
	// AddRequests adds request counts, per account, to a period ("2006-01").
	AddRequests(ctx context.Context, period string, counts map[string]int64) error
	// Requests returns an account's request count in a period.
	Requests(ctx context.Context, accountID, period string) (int64, error)
	// Heartbeat records that node is alive at at, forgets nodes silent for
	// longer than ttl, and returns how many nodes are alive (at least 1).
	Heartbeat(ctx context.Context, node string, at time.Time, ttl time.Duration) (int, error)
}

// KeyStore persists API keys and access keys, by their SHA-256 digest only.
type KeyStore interface {
	// CreateKey inserts k unless the account already has max unrevoked keys
	// of k's kind (max <= 0: no limit), which is EFORBIDDEN; ECONFLICT on a
	// duplicate digest.
	CreateKey(ctx context.Context, k *Key, max int) error
	// FindKeyByDigest returns the unrevoked key with that digest.
	FindKeyByDigest(ctx context.Context, digest []byte) (*Key, error)
	// ListKeys returns an account's unrevoked keys of one kind, oldest first.
	ListKeys(ctx context.Context, accountID string, kind KeyKind) ([]*Key, error)
	// RevokeKey marks a key of the account revoked; ENOTFOUND if the account
	// has no such unrevoked key.
	RevokeKey(ctx context.Context, accountID, keyID string, at time.Time) error
	// TouchKeys records when keys were last used; a time never moves back.
	TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error
	// AuthVersion is a cheap counter that changes whenever any process
	// revokes a key, changes an account's limits, or changes a collection
	// or schema doc in this store, so in-memory caches of them know to drop
	// what they hold.
	AuthVersion() int64
}

// BinStore persists bins and their versions. Version 0 is the base record;
// Bin.Version is the newest version's number and Bin.Record its content.
type BinStore interface {
	// CreateBin inserts b as version 0 and sets b.Rev, unless the account
	// already has maxBins bins (maxBins <= 0: no limit), which is EFORBIDDEN.
	CreateBin(ctx context.Context, b *Bin, maxBins int) error
	// CountBins returns how many bins an account has.
	CountBins(ctx context.Context, accountID string) (int, error)
	// FindBin returns a bin with its newest record.
	FindBin(ctx context.Context, id string) (*Bin, error)
	// FindBinVersion returns the record of one version older than the newest.
	FindBinVersion(ctx context.Context, id string, version int) ([]byte, error)
	// UpdateBin replaces the newest record, first keeping it as a version of
	// its own when u.Versioned is set, and returns the bin as it now is.
	UpdateBin(ctx context.Context, u BinUpdate) (*Bin, error)
	// EditBin replaces the newest record with what edit makes of the bin as
	// stored, in one transaction, so no other write comes between the read
	// and the write. An error from edit changes nothing and is returned as
	// it is; ENOTFOUND when the bin does not exist.
	EditBin(ctx context.Context, id string, at time.Time, edit BinEdit) (*Bin, error)
	// UpdateBinMeta changes a bin's name or privacy.
	UpdateBinMeta(ctx context.Context, id string, m BinMeta) (*Bin, error)
	// DeleteBin deletes a bin and its versions; it returns how many versions
	// besides the base it had.
	// With ifRev not 0 it deletes only while the bin's Rev is ifRev and
	// returns EPRECONDITION otherwise, checked in the same statement.
	DeleteBin(ctx context.Context, id string, ifRev int64) (int, error)
	// DeleteBinVersions drops versions 1..n. With preserveLatest the newest
	// record becomes the base; otherwise the base record is the bin's record
	// again. It returns how many versions it dropped and the bin as it now is.
	DeleteBinVersions(ctx context.Context, id string, preserveLatest bool) (int, *Bin, error)
}

// NewID returns a 24-character lowercase hex id shaped like a MongoDB
// ObjectId, as JSONBin's are: 4 bytes of big-endian Unix seconds, then 3
// bytes of the microseconds within that second, then 5 random bytes. Ids
// therefore sort by creation time to the microsecond, which is what lets a
// collection's bins be paged with the last id seen as the cursor, while 40
// random bits keep an id unguessable even from its creation time.
func NewID(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix()))
	us := uint32(now.Nanosecond() / 1e3)
	b[4], b[5], b[6] = byte(us>>16), byte(us>>8), byte(us)
	rand.Read(b[7:])
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s is 24 lowercase hex characters.
func ValidID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// TimeLayout is how JSONBin renders times: ISO-8601 UTC with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string {
	return t.UTC().Format(TimeLayout)
}
