package binvault

import "context"

// Patch is a partial update of a bin record (package patch has the RFC 7396
// and RFC 6902 kinds). Apply returns the new record, or an *Error: EINVALID
// for a patch that is malformed, ECONFLICT for one that does not fit this
// record (a failed "test", a missing path), ETOOLARGE past the size limit.
// It must not modify record.
type Patch interface {
	Apply(record []byte) ([]byte, error)
}

// PatchBin applies p to a bin's newest record atomically: the store reads,
// patches and writes in one transaction, so concurrent patches of one bin
// (from any node) each see the others' results and none is lost. It obeys
// every rule of UpdateBin (permissions, privacy, versioning, size, schema)
// and returns its errors, plus the patch's own. With ifRev not 0 the patch
// applies only while the bin is at that revision: EPRECONDITION otherwise.
func (v *Vault) PatchBin(ctx context.Context, cred Credentials, id string, p Patch, versioned bool, ifRev int64) (*Bin, error) {
	b, _, err := v.binFor(ctx, cred, id, opUpdate)
	if err != nil {
		return nil, err
	}
	q, err := v.writeQuota(ctx, b, versioned)
	if err != nil {
		return nil, err
	}
	check, err := v.schemaCheck(ctx, b.CollectionID)
	if err != nil {
		return nil, err
	}
	apply := func(cur *Bin) ([]byte, bool, error) {
		record, err := p.Apply(cur.Record)
		if err != nil {
			return nil, false, err
		}
		if record, err = v.checkPatched(record, q.MaxBinSize); err != nil {
			return nil, false, err
		}
		return record, versioned && cur.Version < v.cfg.MaxVersions, check(record)
	}
	// Patch the copy in hand first, outside any transaction, so patches of
	// different bins run in parallel, and write it over that revision only.
	// A refusal here is final: the copy was the newest when read (the cache
	// is kept coherent). Only if another write came in between is the
	// patch redone inside the store's transaction, on the record it finds.
	if ifRev != 0 && b.Rev != ifRev {
		return nil, v.preconditionFailed(ctx, id)
	}
	record, keep, err := apply(b)
	if err != nil {
		return nil, err
	}
	nb, err := v.store.UpdateBin(ctx, BinUpdate{ID: id, Record: record, Versioned: keep, At: v.now(), IfRev: b.Rev})
	if ErrorCode(err) == EPRECONDITION && ifRev == 0 {
		nb, err = v.store.EditBin(ctx, id, v.now(), func(cur *Bin) ([]byte, bool, error) {
			if cur.CollectionID != b.CollectionID { // moved since check was resolved
				return nil, false, Errorf(ECONFLICT, "%s", MsgPatchContended)
			}
			return apply(cur)
		})
	}
	return v.updated(ctx, id, nb, err)
}
