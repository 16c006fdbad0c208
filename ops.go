package binvault

import "fmt"

// binOp is one of the bin operations whose rules differ: who may do it
// without a key, which access-key permission it needs, and JSONBin's wording
// for each refusal.
type binOp int

const (
	opCreate binOp = iota
	opRead
	opUpdate
	opDelete
	opCountVersions
	opDeleteVersions
	opMeta
)

// opRule is the rule row of a binOp.
type opRule struct {
	perm      string // access-key permission: create, read, update or delete
	publicOK  bool   // allowed on a public bin without the owner's key
	noKey     string // message when no key was sent
	badMaster string // message for a bad X-Master-Key or someone else's bin
	badAccess string // the same for X-Access-Key
	notFound  string // message when the bin does not exist
	// foreignNotFound answers someone else's bin as not found: the op's
	// key messages say only "invalid key", which would be false for a
	// valid key and would tell the caller that the bin exists.
	foreignNotFound bool
}

func (o binOp) rule() opRule {
	switch o {
	case opCreate:
		return opRule{"create", false, MsgNoKeyCreate, MsgBadMasterKey, MsgBadAccessKey, MsgBinNotFound, false}
	case opRead:
		return opRule{"read", true, MsgNoKeyRead, MsgBadMasterKeyForBin, MsgBadAccessKeyForBin, MsgBinNotFound, false}
	case opUpdate:
		return opRule{"update", true, MsgNoKeyUpdate, MsgBadMasterKeyUpdate, MsgBadAccessKeyUpdate, MsgBinNotFoundUpdate, false}
	case opDelete:
		return opRule{"delete", false, MsgNoKeyDelete, MsgBadMasterKeyForBin, MsgBadAccessKeyForBin, MsgBinNotFound, false}
	case opCountVersions:
		return opRule{"read", true, MsgNoKeyVersionCount, MsgBadMasterKeyForBin, MsgBadAccessKeyForBin, MsgBinNotFound, false}
	case opDeleteVersions:
		return opRule{"delete", false, MsgNoKey, MsgBadMasterKey, MsgBadAccessKey, MsgBinNotFound, true}
	default: // opMeta
		return opRule{"update", false, MsgNoKey, MsgBadMasterKey, MsgBadAccessKey, MsgBinNotFound, true}
	}
}

// authorize decides whether p (nil: no key sent) may do op on b (nil for
// create). A public bin is open to anyone for the ops that allow it;
// otherwise the bin must be the caller's, and an access key must carry the
// op's permission.
func authorize(p *Principal, op binOp, b *Bin) error {
	r := op.rule()
	public := b != nil && !b.Private && r.publicOK
	switch {
	case public:
		return nil
	case p == nil:
		return Errorf(EUNAUTHORIZED, "%s", r.noKey)
	case b != nil && b.AccountID != p.AccountID && r.foreignNotFound:
		return Errorf(ENOTFOUND, "%s", r.notFound)
	case b != nil && b.AccountID != p.AccountID:
		if p.Method == AuthAccessKey {
			return Errorf(EUNAUTHORIZED, "%s", r.badAccess)
		}
		return Errorf(EUNAUTHORIZED, "%s", r.badMaster)
	case p.Method == AuthAccessKey && !p.Permissions.allows(r.perm):
		return &Error{
			Code:    EFORBIDDEN,
			Message: fmt.Sprintf(MsgAccessKeyPermission, r.perm),
			Header:  [2]string{"X-Required-Permission", "bins." + r.perm},
		}
	}
	return nil
}

func (p Permissions) allows(perm string) bool {
	switch perm {
	case "create":
		return p.Create
	case "read":
		return p.Read
	case "update":
		return p.Update
	case "delete":
		return p.Delete
	}
	return false
}
