package binvault

import (
	"context"
	"strconv"
	"time"
)

// Collection groups an account's bins; with a schema doc attached, the
// bins created or updated in it are validated against that schema.
type Collection struct {
	ID          string
	AccountID   string
	Name        string
	SchemaDocID string // "" when none is attached
	CreatedAt   time.Time
}

// SchemaDoc is a stored JSON Schema.
type SchemaDoc struct {
	ID        string
	AccountID string
	Name      string
	Schema    []byte
	Rev       int64 // bumped on every change of Schema; keys compiled-schema caches
	CreatedAt time.Time
}

// BinPage selects one page of an account's bins in one collection (or, with
// CollectionID "", those in none), ordered by id, which orders them by
// creation time.
type BinPage struct {
	AccountID    string
	CollectionID string
	After        string // cursor: the last id of the previous page; "" for the first page
	Offset       int    // bins to skip: the older documented page-number form
	NameContains string // only bins whose name contains this, ignoring case; "" for all
	Ascending    bool
	Limit        int
}

// CollectionStore persists collections and schema docs.
type CollectionStore interface {
	// CreateCollection inserts c unless the account has max collections
	// already (max <= 0: no limit), which is EFORBIDDEN.
	CreateCollection(ctx context.Context, c *Collection, max int) error
	// FindCollection returns a collection by id.
	FindCollection(ctx context.Context, id string) (*Collection, error)
	// ListCollections returns an account's collections, oldest first.
	ListCollections(ctx context.Context, accountID string) ([]*Collection, error)
	// UpdateCollection changes a collection's name and schema doc, and
	// moves AuthVersion.
	UpdateCollection(ctx context.Context, c *Collection) error
	// ListBins returns one page of bins, without their records but with
	// their Size.
	ListBins(ctx context.Context, p BinPage) ([]*Bin, error)

	// CreateSchemaDoc inserts d and sets d.Rev.
	CreateSchemaDoc(ctx context.Context, d *SchemaDoc) error
	// FindSchemaDoc returns a schema doc by id.
	FindSchemaDoc(ctx context.Context, id string) (*SchemaDoc, error)
	// ListSchemaDocs returns an account's schema docs, oldest first.
	ListSchemaDocs(ctx context.Context, accountID string) ([]*SchemaDoc, error)
	// UpdateSchemaDoc changes a schema doc's name and schema, bumping Rev
	// when the schema changes, and moves AuthVersion.
	UpdateSchemaDoc(ctx context.Context, d *SchemaDoc) error
}

// MaxCollectionNameLen and MaxSchemaNameLen are JSONBin's name limits.
const (
	MaxCollectionNameLen = 32
	MaxSchemaNameLen     = 32
	// BinPageSize is how many bins one page of a collection holds.
	BinPageSize = 10
)

// SchemaValidator checks JSON Schemas and validates records against them;
// package schema implements it. A failed validation is an error with a
// method SchemaMismatch() string giving the readable reason.
type SchemaValidator interface {
	Check(schema []byte) error
	Validate(id string, rev int64, schema, doc []byte) error
}

// collectionName applies JSONBin's X-Collection-Name rules; missing is the
// message for an absent header (it differs between create and rename).
func collectionName(name *string, missing string) (string, error) {
	switch {
	case name == nil:
		return "", Errorf(EINVALID, "%s", missing)
	case *name == "":
		return "", Errorf(EINVALID, "%s", MsgCollectionNameEmpty)
	case isBlank(*name) || !isText(*name):
		return "", Errorf(EINVALID, "%s", MsgCollectionNameBlank)
	case len([]rune(*name)) > MaxCollectionNameLen:
		return "", Errorf(EINVALID, "%s", MsgCollectionNameTooLong)
	}
	return *name, nil
}

// CreateCollection makes a collection named by X-Collection-Name (nil:
// header absent). Needs an API key. EFORBIDDEN over the account's limit.
func (v *Vault) CreateCollection(ctx context.Context, cred Credentials, name *string) (*Collection, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	n, err := collectionName(name, MsgCollectionNameMissing)
	if err != nil {
		return nil, err
	}
	q, err := v.quota(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	now := v.now()
	c := &Collection{ID: NewID(now), AccountID: p.AccountID, Name: n, CreatedAt: now}
	if err := v.store.CreateCollection(ctx, c, q.MaxCollections); ErrorCode(err) == EFORBIDDEN {
		return nil, Errorf(EFORBIDDEN, MsgCollectionLimit, q.MaxCollections)
	} else if err != nil {
		return nil, err
	}
	traceOf(ctx).setResource(c.ID, "")
	return c, nil
}

// ListCollections lists the caller's collections.
func (v *Vault) ListCollections(ctx context.Context, cred Credentials) ([]*Collection, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	return v.store.ListCollections(ctx, p.AccountID)
}

// ownCollection authenticates and loads one of the caller's collections;
// someone else's answers as not found.
func (v *Vault) ownCollection(ctx context.Context, cred Credentials, id string) (*Collection, error) {
	if !ValidID(id) {
		return nil, Errorf(EINVALID, "%s", MsgInvalidCollectionIDPath)
	}
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	traceOf(ctx).setResource(id, "")
	c, err := v.store.FindCollection(ctx, id)
	if ErrorCode(err) == ENOTFOUND || (err == nil && c.AccountID != p.AccountID) {
		return nil, Errorf(ENOTFOUND, "%s", MsgCollectionNotFoundShort)
	}
	return c, err
}

// RenameCollection sets a collection's name.
func (v *Vault) RenameCollection(ctx context.Context, cred Credentials, id string, name *string) (*Collection, error) {
	c, err := v.ownCollection(ctx, cred, id)
	if err != nil {
		return nil, err
	}
	if c.Name, err = collectionName(name, MsgCollectionNameEmpty); err != nil {
		return nil, err
	}
	return c, v.store.UpdateCollection(ctx, c)
}

// CollectionBins returns one page of the caller's bins in a collection
// (id "" for the bins in none), BinPageSize at most, after the cursor.
func (v *Vault) CollectionBins(ctx context.Context, cred Credentials, id, after string, ascending bool) ([]*Bin, error) {
	return v.SearchBins(ctx, cred, id, after, ascending, "")
}

// SearchBins is CollectionBins for only the bins whose name contains name
// (ignoring case; "" for all): the dashboard's search.
func (v *Vault) SearchBins(ctx context.Context, cred Credentials, id, after string, ascending bool, name string) ([]*Bin, error) {
	var accountID string
	if id == "" {
		p, err := v.master(ctx, cred, MsgNoKey)
		if err != nil {
			return nil, err
		}
		accountID = p.AccountID
	} else {
		c, err := v.ownCollection(ctx, cred, id)
		if err != nil {
			return nil, err
		}
		accountID = c.AccountID
	}
	page := BinPage{AccountID: accountID, CollectionID: id, After: after, Ascending: ascending, Limit: BinPageSize, NameContains: name}
	if n, err := strconv.Atoi(after); err == nil && n >= 1 && len(after) <= 6 {
		// An older JSONBin doc pages by number (/bins/2); the current one by
		// the last bin id. A number is never a valid id, so both work.
		page.After, page.Offset = "", (n-1)*BinPageSize
	} else if after != "" && !ValidID(after) {
		return nil, Errorf(EINVALID, "%s", MsgInvalidBinID)
	}
	return v.store.ListBins(ctx, page)
}

// AttachSchema attaches one of the caller's schema docs to a collection.
// From then on its bins are validated on create and update.
func (v *Vault) AttachSchema(ctx context.Context, cred Credentials, id string, schemaDocID *string) (*Collection, error) {
	c, err := v.ownCollection(ctx, cred, id)
	if err != nil {
		return nil, err
	}
	if schemaDocID == nil || *schemaDocID == "" {
		return nil, Errorf(EINVALID, "%s", MsgSchemaDocIDMissing)
	}
	d, err := v.ownSchemaDoc(ctx, c.AccountID, *schemaDocID, EUNPROCESSABLE)
	if err != nil {
		return nil, err
	}
	c.SchemaDocID = d.ID
	return c, v.store.UpdateCollection(ctx, c)
}

// DetachSchema detaches a collection's schema doc and returns the
// collection and the detached doc's id ("" if none was attached). Stored
// bins are not re-validated, as JSONBin.
func (v *Vault) DetachSchema(ctx context.Context, cred Credentials, id string) (*Collection, string, error) {
	c, err := v.ownCollection(ctx, cred, id)
	if err != nil {
		return nil, "", err
	}
	detached := c.SchemaDocID
	c.SchemaDocID = ""
	return c, detached, v.store.UpdateCollection(ctx, c)
}
