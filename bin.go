package binvault

import (
	"context"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bin is a stored JSON document and its metadata. Record is the newest
// version's content, kept as the bytes the client sent (compacted).
type Bin struct {
	ID           string
	AccountID    string
	Private      bool
	Name         string // "" when unnamed
	CollectionID string // "" when uncategorised
	CreatedAt    time.Time
	// Version is the newest version's number: 0 until an update asks for
	// versioning.
	Version int
	// Rev increases on every change of the bin, so caches can tell which of
	// two copies is newer.
	Rev    int64
	Record []byte
	// Size is the newest record's length in bytes, set where Record is
	// left out (lists of bins).
	Size int
}

// BinCreate is a request to create a bin.
type BinCreate struct {
	Private      bool
	Name         *string // nil: no X-Bin-Name header
	CollectionID *string // nil: no X-Collection-Id header
	Record       []byte
}

// BinUpdate is what a store needs to replace a bin's record.
type BinUpdate struct {
	ID        string
	Record    []byte
	Versioned bool // keep the current record as a version first
	At        time.Time
	// IfRev, when not 0, makes the update conditional: the store refuses
	// it with EPRECONDITION unless the bin's Rev is still IfRev, checked in
	// the same transaction as the write.
	IfRev int64
}

// BinEdit computes a bin's new record from the bin as stored (Record
// included), and whether to keep the current record as a version first. It
// runs inside a store's write transaction, so it must be quick and do no
// I/O, and it may run more than once.
type BinEdit func(cur *Bin) (record []byte, versioned bool, err error)

// BinMeta is a change of a bin's name or privacy; nil fields stay.
type BinMeta struct {
	Name    *string
	Private *bool
}

// Latest is the version argument that means "the newest version".
const Latest = -1

// MaxBinNameLen is the longest X-Bin-Name JSONBin accepts, in characters.
const MaxBinNameLen = 128

// CreateBin stores a new bin for the caller. Returns EUNAUTHORIZED without
// a valid key, EFORBIDDEN when an access key lacks bins.create, EINVALID for
// a bad name, collection or record, ETOOLARGE for an oversized record.
func (v *Vault) CreateBin(ctx context.Context, cred Credentials, in BinCreate) (*Bin, error) {
	p, err := v.authenticate(ctx, cred, opCreate)
	if err != nil {
		return nil, err
	} else if err := authorize(p, opCreate, nil); err != nil {
		return nil, err
	}
	q, err := v.quota(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	if in.Name != nil {
		if err := checkBinName(*in.Name); err != nil {
			return nil, err
		}
	}
	collectionID, err := v.checkCollection(ctx, p.AccountID, in.CollectionID)
	if err != nil {
		return nil, err
	}
	record, err := v.checkRecord(in.Record, q.MaxBinSize)
	if err != nil {
		return nil, err
	}
	if err := v.validateInCollection(ctx, collectionID, record); err != nil {
		return nil, err
	}
	now := v.now()
	b := &Bin{ID: NewID(now), AccountID: p.AccountID, Private: in.Private, CollectionID: collectionID, CreatedAt: now, Record: record}
	if in.Name != nil {
		b.Name = *in.Name
	}
	if err := v.store.CreateBin(ctx, b, q.MaxBins); ErrorCode(err) == EFORBIDDEN {
		return nil, Errorf(EFORBIDDEN, MsgBinLimit, q.MaxBins)
	} else if err != nil {
		return nil, fmt.Errorf("create bin: %w", err)
	}
	traceOf(ctx).setResource(b.ID, "")
	v.bins.put(b)
	return b, nil
}

// checkCollection resolves X-Collection-Id (nil: absent) to one of the
// account's collections: a malformed id or someone else's or a missing
// collection is EINVALID with JSONBin's create-time wording.
func (v *Vault) checkCollection(ctx context.Context, accountID string, id *string) (string, error) {
	if id == nil || *id == "" {
		return "", nil
	} else if !ValidID(*id) {
		return "", Errorf(EINVALID, "%s", MsgInvalidCollectionID)
	}
	c, err := v.colls.get(v.store, *id, func() (*Collection, error) { return v.store.FindCollection(ctx, *id) })
	if ErrorCode(err) == ENOTFOUND || (err == nil && c.AccountID != accountID) {
		return "", Errorf(EINVALID, "%s", MsgCollectionNotFound)
	}
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// ReadBin returns a bin and the record of the asked version (Latest for the
// newest). Returns ENOTFOUND for a missing bin or version, EUNAUTHORIZED or
// EFORBIDDEN when the caller may not read it.
func (v *Vault) ReadBin(ctx context.Context, cred Credentials, id string, version int) (*Bin, []byte, error) {
	b, _, err := v.binFor(ctx, cred, id, opRead)
	if err != nil {
		return nil, nil, err
	}
	if version == Latest || version == b.Version {
		return b, b.Record, nil
	} else if version > b.Version {
		return nil, nil, Errorf(ENOTFOUND, "%s", MsgBinVersionNotFound)
	}
	record, err := v.store.FindBinVersion(ctx, id, version)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, Errorf(ENOTFOUND, "%s", MsgBinVersionNotFound)
	}
	return b, record, err
}

// UpdateBin replaces a bin's record; with versioned set it first keeps the
// current record as a version (up to MaxVersions, after which it overwrites
// the newest, as JSONBin does). Returns the errors of CreateBin and
// ENOTFOUND.
func (v *Vault) UpdateBin(ctx context.Context, cred Credentials, id string, record []byte, versioned bool) (*Bin, error) {
	return v.UpdateBinIf(ctx, cred, id, record, versioned, 0)
}

// ETag is a bin revision as an HTTP entity tag: strong, and different after
// every write of the bin.
func ETag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// ParseETag reads an entity tag made by ETag; ok is false for any other.
func ParseETag(tag string) (rev int64, ok bool) {
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	rev, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64)
	return rev, err == nil && rev > 0
}

// UpdateBinIf is UpdateBin that writes only while the bin is still at
// revision ifRev (0: unconditionally). Returns EPRECONDITION, with the
// current ETag in the error's header, when another write came first; the
// bin is then unchanged.
func (v *Vault) UpdateBinIf(ctx context.Context, cred Credentials, id string, record []byte, versioned bool, ifRev int64) (*Bin, error) {
	b, _, err := v.binFor(ctx, cred, id, opUpdate)
	if err != nil {
		return nil, err
	}
	q, err := v.writeQuota(ctx, b, versioned)
	if err != nil {
		return nil, err
	}
	if record, err = v.checkRecord(record, q.MaxBinSize); err != nil {
		return nil, err
	}
	if err := v.validateInCollection(ctx, b.CollectionID, record); err != nil {
		return nil, err
	}
	u := BinUpdate{ID: id, Record: record, Versioned: versioned && b.Version < v.cfg.MaxVersions, At: v.now(), IfRev: ifRev}
	nb, err := v.store.UpdateBin(ctx, u)
	return v.updated(ctx, id, nb, err)
}

// writeQuota returns the limits an update of b obeys, the owner's whoever
// writes; EFORBIDDEN when it asks for versioning the owner does not have.
func (v *Vault) writeQuota(ctx context.Context, b *Bin, versioned bool) (Quota, error) {
	q, err := v.quota(ctx, b.AccountID)
	if err == nil && versioned && !q.Versioning {
		err = Errorf(EFORBIDDEN, "%s", MsgVersioningOff)
	}
	return q, err
}

// updated finishes an update or patch of a record: on success the cache
// and the change feed learn the new state; a lost condition is
// EPRECONDITION with the current ETag.
func (v *Vault) updated(ctx context.Context, id string, nb *Bin, err error) (*Bin, error) {
	switch {
	case ErrorCode(err) == EPRECONDITION:
		return nil, v.preconditionFailed(ctx, id)
	case err != nil:
		v.bins.invalidate(id)
		return nil, v.notFound(err, opUpdate)
	}
	v.bins.put(nb)
	v.publish(nb)
	return nb, nil
}

// preconditionFailed is the EPRECONDITION of a conditional write that lost:
// it carries the bin's current ETag, so the client can re-read or retry.
func (v *Vault) preconditionFailed(ctx context.Context, id string) error {
	v.bins.invalidate(id)
	e := &Error{Code: EPRECONDITION, Message: MsgPreconditionFailed}
	if cur, err := v.store.FindBin(ctx, id); err == nil {
		e.Header = [2]string{"ETag", ETag(cur.Rev)}
	}
	return e
}

// DeleteBin deletes a bin with all its versions and returns how many
// versions it had. Always needs a key, also for public bins.
func (v *Vault) DeleteBin(ctx context.Context, cred Credentials, id string) (int, error) {
	return v.DeleteBinIf(ctx, cred, id, 0)
}

// DeleteBinIf is DeleteBin that deletes only while the bin is still at
// revision ifRev (0: unconditionally). Returns EPRECONDITION with the
// current ETag when the bin has changed; it is then kept.
func (v *Vault) DeleteBinIf(ctx context.Context, cred Credentials, id string, ifRev int64) (int, error) {
	if _, _, err := v.binFor(ctx, cred, id, opDelete); err != nil {
		return 0, err
	}
	n, err := v.store.DeleteBin(ctx, id, ifRev)
	if ErrorCode(err) == EPRECONDITION {
		return 0, v.preconditionFailed(ctx, id)
	} else if err != nil {
		v.bins.invalidate(id)
		return 0, v.notFound(err, opDelete)
	}
	v.bins.deleted(id)
	v.publishDeleted(id)
	return n, nil
}

// CountVersions returns a bin and how many versions it has after the base.
func (v *Vault) CountVersions(ctx context.Context, cred Credentials, id string) (*Bin, error) {
	b, _, err := v.binFor(ctx, cred, id, opCountVersions)
	return b, err
}

// DeleteVersions drops versions 1..n of a bin; see BinStore.DeleteBinVersions.
func (v *Vault) DeleteVersions(ctx context.Context, cred Credentials, id string, preserveLatest bool) (int, error) {
	if _, _, err := v.binFor(ctx, cred, id, opDeleteVersions); err != nil {
		return 0, err
	}
	n, b, err := v.store.DeleteBinVersions(ctx, id, preserveLatest)
	if err != nil {
		v.bins.invalidate(id)
		return 0, v.notFound(err, opDeleteVersions)
	}
	v.bins.put(b)
	v.publish(b)
	return n, nil
}

// RenameBin sets a bin's name (1–128 characters).
func (v *Vault) RenameBin(ctx context.Context, cred Credentials, id string, name *string) (*Bin, error) {
	if _, _, err := v.binFor(ctx, cred, id, opMeta); err != nil {
		return nil, err
	}
	if name == nil {
		return nil, Errorf(EINVALID, "%s", MsgBinNameMissing)
	} else if err := checkBinName(*name); err != nil {
		return nil, err
	}
	return v.updateMeta(ctx, id, BinMeta{Name: name})
}

// SetBinPrivacy makes a bin private or public.
func (v *Vault) SetBinPrivacy(ctx context.Context, cred Credentials, id string, private *bool) (*Bin, error) {
	if _, _, err := v.binFor(ctx, cred, id, opMeta); err != nil {
		return nil, err
	}
	if private == nil {
		return nil, Errorf(EINVALID, "%s", MsgBinPrivateMissing)
	}
	return v.updateMeta(ctx, id, BinMeta{Private: private})
}

func (v *Vault) updateMeta(ctx context.Context, id string, m BinMeta) (*Bin, error) {
	b, err := v.store.UpdateBinMeta(ctx, id, m)
	if err != nil {
		return nil, v.notFound(err, opMeta)
	}
	v.bins.put(b)
	v.publish(b)
	return b, nil
}

// binFor authenticates the caller, loads the bin and checks that the
// caller may do op on it, in JSONBin's order: a key that is sent must be
// valid, then the bin must exist, then it must be the caller's or public.
func (v *Vault) binFor(ctx context.Context, cred Credentials, id string, op binOp) (*Bin, *Principal, error) {
	if !ValidID(id) {
		return nil, nil, Errorf(EINVALID, "%s", MsgInvalidBinID)
	}
	traceOf(ctx).setResource(id, "")
	p, err := v.authenticate(ctx, cred, op)
	if err != nil {
		return nil, nil, err
	}
	b, err := v.findBin(ctx, id)
	if err != nil {
		return nil, nil, v.notFound(err, op)
	}
	// Without a key, the request shows in the owner's activity, refused
	// or not: an owner wants to see who tries their private bins.
	traceOf(ctx).setResource(id, b.AccountID)
	if err := authorize(p, op, b); err != nil {
		return nil, nil, err
	}
	if p == nil { // public access counts against the owner's quota
		if err := v.admitAccount(ctx, b.AccountID); err != nil {
			return nil, nil, err
		}
	}
	return b, p, nil
}

// quota returns an account's effective limits.
func (v *Vault) quota(ctx context.Context, accountID string) (Quota, error) {
	a, err := v.account(ctx, accountID)
	if err != nil {
		return Quota{}, err
	}
	return v.quotaOf(a), nil
}

// findBin reads a bin through the cache.
func (v *Vault) findBin(ctx context.Context, id string) (*Bin, error) {
	if b, deleted := v.bins.get(id); b != nil {
		return b, nil
	} else if deleted {
		return nil, Errorf(ENOTFOUND, "bin %s was deleted", id)
	}
	gen := v.bins.generation()
	b, err := v.store.FindBin(ctx, id)
	if err != nil {
		return nil, err
	}
	v.bins.fill(b, gen)
	return b, nil
}

// notFound gives a store's ENOTFOUND the op's JSONBin wording.
func (v *Vault) notFound(err error, op binOp) error {
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(ENOTFOUND, "%s", op.rule().notFound)
	}
	return err
}

func checkBinName(name string) error {
	if n := len([]rune(name)); n == 0 || n > MaxBinNameLen || isBlank(name) || !isText(name) {
		return Errorf(EINVALID, "%s", MsgBinNameInvalid)
	}
	return nil
}

// isText reports whether a name is valid UTF-8 without control characters:
// what every store can keep as text (PostgreSQL's text refuses NUL and
// invalid UTF-8) and every client can show.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' {
			return false
		}
	}
	return true
}
