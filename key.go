package binvault

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// KeyKind tells an account's API keys (full access) from access keys
// (scoped to some bin operations).
type KeyKind string

// The two kinds of key.
const (
	KindAPI    KeyKind = "api"
	KindAccess KeyKind = "access"
)

// KeyFormat generates key strings and checks their shape (prefix, length,
// checksum) without any I/O. Package keys implements it; the Vault only
// needs to know that a mistyped key can be refused before a store lookup.
type KeyFormat interface {
	// Generate returns a new random secret of the given kind.
	Generate(kind KeyKind) (string, error)
	// Parse returns the kind of a well-formed secret, or an error.
	Parse(secret string) (KeyKind, error)
}

// KeyPrefixLen is how much of a secret is kept for display ("bv_mk_" plus
// six characters): enough to tell keys apart, far too little to guess one.
const KeyPrefixLen = 12

// Longest key names, in characters: JSONBin's X-Key-Name limit for access
// keys, and a roomier one for API keys, which name scripts and servers.
const (
	MaxKeyNameLen    = 32
	MaxAPIKeyNameLen = 64
)

// Permissions are an access key's allowed bin operations.
type Permissions struct {
	Create bool
	Read   bool
	Update bool
	Delete bool
}

// Key is a stored key. Its secret is never stored, only Digest.
type Key struct {
	ID          string
	AccountID   string
	Kind        KeyKind
	Name        string
	Prefix      string
	Digest      []byte
	Permissions Permissions // access keys only
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero: never used
}

// AuthMethod records how a request was authenticated (seed 004's
// auth_method).
type AuthMethod string

// The ways a request can be authenticated.
const (
	AuthAPIKey    AuthMethod = "api_key"
	AuthAccessKey AuthMethod = "access_key"
	AuthSession   AuthMethod = "session"
	AuthPublic    AuthMethod = "public"
)

// Credentials are the key strings a request carried; empty means absent.
// Session is a dashboard session token, which acts as the account's API
// key would.
type Credentials struct {
	MasterKey string
	AccessKey string
	Session   string
}

// Principal is who a request acts as.
type Principal struct {
	AccountID   string
	Method      AuthMethod
	KeyID       string
	KeyPrefix   string
	Permissions Permissions
}

// Digest is what the store keeps of a secret.
func Digest(secret string) []byte {
	d := sha256.Sum256([]byte(secret))
	return d[:]
}

// CreateKey makes a new key for the account found by accountRef (id, email
// or name) and returns it with its secret, which is shown this once. It is
// the command line's way in; HTTP callers use CreateAPIKey and
// CreateAccessKey. Returns ENOTFOUND for an unknown account, EINVALID for a
// bad name, EFORBIDDEN over the access-key limit.
func (v *Vault) CreateKey(ctx context.Context, accountRef string, kind KeyKind, name string, perms Permissions) (*Key, string, error) {
	a, err := v.store.FindAccount(ctx, accountRef)
	if err != nil {
		return nil, "", err
	}
	if !isText(name) {
		return nil, "", Errorf(EINVALID, "Key name must be printable text")
	}
	if max := map[KeyKind]int{KindAPI: MaxAPIKeyNameLen, KindAccess: MaxKeyNameLen}[kind]; len([]rune(name)) > max {
		return nil, "", Errorf(EINVALID, "Key name cannot be above %d characters", max)
	}
	return v.createKey(ctx, a, kind, name, perms)
}

func (v *Vault) createKey(ctx context.Context, a *Account, kind KeyKind, name string, perms Permissions) (*Key, string, error) {
	secret, err := v.format.Generate(kind)
	if err != nil {
		return nil, "", fmt.Errorf("generate key: %w", err)
	}
	now := v.now()
	k := &Key{
		ID: NewID(now), AccountID: a.ID, Kind: kind, Name: strings.TrimSpace(name),
		Prefix: secret[:KeyPrefixLen], Digest: Digest(secret),
		Permissions: perms, CreatedAt: now,
	}
	max := 0
	if kind == KindAccess {
		max = v.quotaOf(a).MaxAccessKeys
	}
	if err := v.store.CreateKey(ctx, k, max); ErrorCode(err) == EFORBIDDEN {
		return nil, "", Errorf(EFORBIDDEN, MsgAccessKeyLimit, max)
	} else if err != nil {
		return nil, "", fmt.Errorf("create key: %w", err)
	}
	return k, secret, nil
}

// ListKeys returns the unrevoked keys of one kind of the account found by
// accountRef. Returns ENOTFOUND for an unknown account.
func (v *Vault) ListKeys(ctx context.Context, accountRef string, kind KeyKind) ([]*Key, error) {
	a, err := v.store.FindAccount(ctx, accountRef)
	if err != nil {
		return nil, err
	}
	return v.listKeys(ctx, a.ID, kind)
}

// listKeys lists keys with "last used" times this process has not written
// yet, so a list is current without a write per request.
func (v *Vault) listKeys(ctx context.Context, accountID string, kind KeyKind) ([]*Key, error) {
	ks, err := v.store.ListKeys(ctx, accountID, kind)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if t, ok := v.used.lastUsed(k.ID); ok && t.After(k.LastUsedAt) {
			k.LastUsedAt = t
		}
	}
	return ks, nil
}

// RevokeKey revokes one of the account's keys, named by id or by its
// display prefix. The next request with it is refused. Returns ENOTFOUND if
// the account has no such key, EINVALID if a prefix matches several.
func (v *Vault) RevokeKey(ctx context.Context, accountRef, keyRef string) (*Key, error) {
	a, err := v.store.FindAccount(ctx, accountRef)
	if err != nil {
		return nil, err
	}
	k, err := v.findOwnKey(ctx, a.ID, keyRef)
	if err != nil {
		return nil, err
	}
	return k, v.revoke(ctx, k)
}

func (v *Vault) revoke(ctx context.Context, k *Key) error {
	if err := v.store.RevokeKey(ctx, k.AccountID, k.ID, v.now()); err != nil {
		return err
	}
	v.keys.clear()
	return nil
}

func (v *Vault) findOwnKey(ctx context.Context, accountID, ref string) (*Key, error) {
	var found []*Key
	for _, kind := range []KeyKind{KindAPI, KindAccess} {
		ks, err := v.store.ListKeys(ctx, accountID, kind)
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			if k.ID == ref || (len(ref) >= len("bv_mk_")+4 && strings.HasPrefix(k.Prefix, ref)) {
				found = append(found, k)
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, Errorf(ENOTFOUND, "%s", MsgKeyNotFound)
	case 1:
		return found[0], nil
	}
	return nil, Errorf(EINVALID, "Key prefix %q matches %d keys; use the key id", ref, len(found))
}

// CreateAPIKey makes a new API key for the caller's account (POST
// /v3/keys). Needs an API key. Returns EINVALID for a bad name.
func (v *Vault) CreateAPIKey(ctx context.Context, cred Credentials, name string) (*Key, string, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, "", err
	}
	if n := len([]rune(strings.TrimSpace(name))); n == 0 || n > MaxAPIKeyNameLen || !isText(name) {
		return nil, "", Errorf(EINVALID, "%s", MsgAPIKeyName)
	}
	a, err := v.account(ctx, p.AccountID)
	if err != nil {
		return nil, "", err
	}
	return v.createKey(ctx, a, KindAPI, name, Permissions{})
}

// ListAPIKeys lists the caller's API keys (GET /v3/keys).
func (v *Vault) ListAPIKeys(ctx context.Context, cred Credentials) ([]*Key, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	return v.listKeys(ctx, p.AccountID, KindAPI)
}

// RevokeAPIKey revokes one of the caller's API keys (DELETE /v3/keys/{id});
// it may be the key making the request. Returns EINVALID for a malformed
// id, ENOTFOUND if the account has no such API key.
func (v *Vault) RevokeAPIKey(ctx context.Context, cred Credentials, id string) (*Key, error) {
	if !ValidID(id) {
		return nil, Errorf(EINVALID, "%s", MsgInvalidKeyID)
	}
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	traceOf(ctx).setResource(id, "")
	return v.revokeOwn(ctx, p.AccountID, id, KindAPI, MsgKeyNotFound)
}

// revokeOwn revokes the account's unrevoked key of a kind by id.
func (v *Vault) revokeOwn(ctx context.Context, accountID, id string, kind KeyKind, notFound string) (*Key, error) {
	ks, err := v.store.ListKeys(ctx, accountID, kind)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.ID == id {
			if err := v.revoke(ctx, k); ErrorCode(err) == ENOTFOUND {
				break // revoked meanwhile
			} else if err != nil {
				return nil, err
			}
			return k, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "%s", notFound)
}

// CreateAccessKey makes an access key (POST /v3/a) from X-Key-Name (nil:
// header absent) and seed 000's payload {"bins":{"read","update","delete",
// "create"}}, four booleans and nothing else. Returns EUNAUTHORIZED,
// EINVALID with seed 000's messages, or EFORBIDDEN over the account's
// access-key limit.
func (v *Vault) CreateAccessKey(ctx context.Context, cred Credentials, name *string, payload []byte) (*Key, string, error) {
	p, err := v.master(ctx, cred, MsgNoKeyAccessCreate)
	if err != nil {
		return nil, "", err
	}
	if name == nil || strings.TrimSpace(*name) == "" || !isText(*name) {
		return nil, "", Errorf(EINVALID, "%s", MsgKeyNameBlank)
	} else if len([]rune(*name)) > MaxKeyNameLen {
		return nil, "", Errorf(EINVALID, "%s", MsgKeyNameTooLong)
	}
	perms, err := parsePermissions(payload)
	if err != nil {
		return nil, "", err
	}
	a, err := v.account(ctx, p.AccountID)
	if err != nil {
		return nil, "", err
	}
	k, secret, err := v.createKey(ctx, a, KindAccess, *name, perms)
	if err == nil {
		traceOf(ctx).setResource(k.ID, "")
	}
	return k, secret, err
}

// parsePermissions reads seed 000's payload strictly: an object holding
// only "bins", itself holding exactly the four operations as booleans.
func parsePermissions(payload []byte) (Permissions, error) {
	invalid := Errorf(EINVALID, "%s", MsgPermissionsInvalid)
	var body map[string]json.RawMessage
	if err := json.Unmarshal(payload, &body); err != nil || len(body) != 1 || body["bins"] == nil {
		return Permissions{}, invalid
	}
	var ops map[string]json.RawMessage
	if err := json.Unmarshal(body["bins"], &ops); err != nil || len(ops) != 4 {
		return Permissions{}, invalid
	}
	var p Permissions
	for op, dst := range map[string]*bool{"create": &p.Create, "read": &p.Read, "update": &p.Update, "delete": &p.Delete} {
		switch string(ops[op]) {
		case "true":
			*dst = true
		case "false":
		default:
			return Permissions{}, invalid
		}
	}
	return p, nil
}

// ListAccessKeys lists the caller's access keys (GET /v3/a), never their
// secrets.
func (v *Vault) ListAccessKeys(ctx context.Context, cred Credentials) ([]*Key, error) {
	p, err := v.master(ctx, cred, MsgNoKeyAccessList)
	if err != nil {
		return nil, err
	}
	return v.listKeys(ctx, p.AccountID, KindAccess)
}

// DeleteAccessKey deletes one of the caller's access keys (DELETE
// /v3/a/{id}); the next request with it is refused.
func (v *Vault) DeleteAccessKey(ctx context.Context, cred Credentials, id string) (*Key, error) {
	if !ValidID(id) {
		return nil, Errorf(EINVALID, "%s", MsgInvalidAccessKeyID)
	}
	p, err := v.master(ctx, cred, MsgNoKeyAccessDelete)
	if err != nil {
		return nil, err
	}
	traceOf(ctx).setResource(id, "")
	return v.revokeOwn(ctx, p.AccountID, id, KindAccess, MsgAccessKeyNotFound)
}
