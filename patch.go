package binvault

import (
	"context"
	"hash/maphash"
	"sync"
)

// Patch is a partial update of a bin record (package patch has the RFC 7396
// and RFC 6902 kinds). Apply returns the new record, or an *Error: EINVALID
// for a patch that is malformed, ECONFLICT for one that does not fit this
// record (a failed "test", a missing path), ETOOLARGE past the size limit.
type Patch interface {
	Apply(record []byte) ([]byte, error)
}

// patchAttempts bounds how often a patch without If-Match is re-applied to
// a newer record when another writer came first (a PUT, or another node).
const patchAttempts = 16

// PatchBin applies p to a bin's newest record, atomically: the result is
// written only over the revision the patch was applied to, so no concurrent
// write is lost. It obeys every rule of UpdateBin (permissions, privacy,
// versioning, size, schema) and returns its errors. With ifRev not 0 the
// patch applies only to that revision (EPRECONDITION otherwise); without it
// PatchBin re-applies the patch to the newer record after losing a race,
// and returns ECONFLICT if it keeps losing.
func (v *Vault) PatchBin(ctx context.Context, cred Credentials, id string, p Patch, versioned bool, ifRev int64) (*Bin, error) {
	if !ValidID(id) {
		return nil, Errorf(EINVALID, "%s", MsgInvalidBinID)
	}
	// Patches of one bin queue here rather than race in the store, so on
	// one node only PUTs and other nodes can make an attempt lose.
	mu := v.patching.lock(id)
	defer mu.Unlock()
	for range patchAttempts {
		b, _, err := v.binFor(ctx, cred, id, opUpdate)
		if err != nil {
			return nil, err
		}
		if ifRev != 0 && b.Rev != ifRev {
			return nil, v.preconditionFailed(ctx, id)
		}
		record, err := p.Apply(b.Record)
		if err != nil {
			return nil, err
		}
		nb, err := v.writeRecord(ctx, b, record, versioned, b.Rev)
		if ErrorCode(err) != EPRECONDITION || ifRev != 0 {
			return nb, err
		}
		// Lost to another writer: writeRecord dropped the cached copy, so
		// the next attempt patches the newer record.
	}
	return nil, Errorf(ECONFLICT, "%s", MsgPatchContended)
}

// stripes is a fixed set of mutexes picked by hashing a key: a per-key lock
// without a map to grow or clean.
type stripes struct {
	seed maphash.Seed
	mu   [64]sync.Mutex
}

func (s *stripes) lock(key string) *sync.Mutex {
	mu := &s.mu[maphash.String(s.seed, key)%uint64(len(s.mu))]
	mu.Lock()
	return mu
}
