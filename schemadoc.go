package binvault

import (
	"context"
	"errors"
	"fmt"
)

// schemaName applies JSONBin's X-Schema-Doc-Name rules.
func schemaName(name *string) (string, error) {
	switch {
	case name == nil:
		return "", Errorf(EINVALID, "%s", MsgSchemaNameMissing)
	case isBlank(*name) || !isText(*name):
		return "", Errorf(EINVALID, "%s", MsgSchemaNameBlank)
	case len([]rune(*name)) > MaxSchemaNameLen:
		return "", Errorf(EINVALID, "%s", MsgSchemaNameTooLong)
	}
	return *name, nil
}

// checkSchema validates a schema doc body: JSON (as bin records are) that
// compiles as a JSON Schema.
func (v *Vault) checkSchema(body []byte) ([]byte, error) {
	schema, err := v.checkRecord(body, v.cfg.MaxBinSize)
	if err != nil {
		return nil, err
	}
	if v.cfg.Schemas != nil {
		if err := v.cfg.Schemas.Check(schema); err != nil {
			return nil, Errorf(EINVALID, MsgSchemaInvalid, err.Error())
		}
	}
	return schema, nil
}

// CreateSchemaDoc stores a JSON Schema under X-Schema-Doc-Name. Needs an
// API key.
func (v *Vault) CreateSchemaDoc(ctx context.Context, cred Credentials, name *string, body []byte) (*SchemaDoc, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	n, err := schemaName(name)
	if err != nil {
		return nil, err
	}
	schema, err := v.checkSchema(body)
	if err != nil {
		return nil, err
	}
	now := v.now()
	d := &SchemaDoc{ID: NewID(now), AccountID: p.AccountID, Name: n, Schema: schema, CreatedAt: now}
	if err := v.store.CreateSchemaDoc(ctx, d); err != nil {
		return nil, err
	}
	traceOf(ctx).setResource(d.ID, "")
	return d, nil
}

// ownSchemaDoc loads one of the account's schema docs; a malformed id is
// badID's code (JSONBin answers 400 on reads, 422 elsewhere), someone
// else's doc is not found.
func (v *Vault) ownSchemaDoc(ctx context.Context, accountID, id, badID string) (*SchemaDoc, error) {
	if !ValidID(id) {
		return nil, Errorf(badID, "%s", MsgInvalidSchemaID)
	}
	traceOf(ctx).setResource(id, "")
	d, err := v.store.FindSchemaDoc(ctx, id)
	if ErrorCode(err) == ENOTFOUND || (err == nil && d.AccountID != accountID) {
		return nil, Errorf(ENOTFOUND, "%s", MsgSchemaDocNotFound)
	}
	return d, err
}

// schemaDocFor authenticates and loads one of the caller's schema docs.
func (v *Vault) schemaDocFor(ctx context.Context, cred Credentials, id, badID string) (*SchemaDoc, error) {
	if !ValidID(id) {
		return nil, Errorf(badID, "%s", MsgInvalidSchemaID)
	}
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	return v.ownSchemaDoc(ctx, p.AccountID, id, badID)
}

// ListSchemaDocs lists the caller's schema docs.
func (v *Vault) ListSchemaDocs(ctx context.Context, cred Credentials) ([]*SchemaDoc, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	return v.store.ListSchemaDocs(ctx, p.AccountID)
}

// ReadSchemaDoc returns one of the caller's schema docs.
func (v *Vault) ReadSchemaDoc(ctx context.Context, cred Credentials, id string) (*SchemaDoc, error) {
	return v.schemaDocFor(ctx, cred, id, EINVALID)
}

// UpdateSchemaDoc replaces a schema doc's schema. Bins already stored are
// not re-validated, as JSONBin.
func (v *Vault) UpdateSchemaDoc(ctx context.Context, cred Credentials, id string, body []byte) (*SchemaDoc, error) {
	d, err := v.schemaDocFor(ctx, cred, id, EUNPROCESSABLE)
	if err != nil {
		return nil, err
	}
	if d.Schema, err = v.checkSchema(body); err != nil {
		return nil, err
	}
	return d, v.store.UpdateSchemaDoc(ctx, d)
}

// RenameSchemaDoc sets a schema doc's name from X-Schema-Doc-Name.
func (v *Vault) RenameSchemaDoc(ctx context.Context, cred Credentials, id string, name *string) (*SchemaDoc, error) {
	d, err := v.schemaDocFor(ctx, cred, id, EUNPROCESSABLE)
	if err != nil {
		return nil, err
	}
	if d.Name, err = schemaName(name); err != nil {
		return nil, err
	}
	return d, v.store.UpdateSchemaDoc(ctx, d)
}

// validateInCollection validates a record against the schema doc attached
// to the bin's collection, if any. A mismatch is JSONBin's 400 with the
// schema doc's id and name beside the message.
func (v *Vault) validateInCollection(ctx context.Context, collectionID string, record []byte) error {
	check, err := v.schemaCheck(ctx, collectionID)
	if err != nil {
		return err
	}
	return check(record)
}

// schemaCheck resolves the schema doc a collection's bins must match and
// returns the check, which does no I/O: PatchBin runs it inside a store
// transaction.
func (v *Vault) schemaCheck(ctx context.Context, collectionID string) (func(record []byte) error, error) {
	pass := func([]byte) error { return nil }
	if collectionID == "" || v.cfg.Schemas == nil {
		return pass, nil
	}
	c, err := v.colls.get(v.store, collectionID, func() (*Collection, error) {
		return v.store.FindCollection(ctx, collectionID)
	})
	if ErrorCode(err) == ENOTFOUND || (err == nil && c.SchemaDocID == "") {
		return pass, nil
	} else if err != nil {
		return nil, err
	}
	d, err := v.schemas.get(v.store, c.SchemaDocID, func() (*SchemaDoc, error) {
		return v.store.FindSchemaDoc(ctx, c.SchemaDocID)
	})
	if ErrorCode(err) == ENOTFOUND {
		return pass, nil
	} else if err != nil {
		return nil, err
	}
	return func(record []byte) error {
		err := v.cfg.Schemas.Validate(d.ID, d.Rev, d.Schema, record)
		var m interface{ SchemaMismatch() string }
		if errors.As(err, &m) {
			return &Error{
				Code: EINVALID, Message: fmt.Sprintf(MsgSchemaMismatch, m.SchemaMismatch()),
				Fields: [][2]string{{"schemaDocID", d.ID}, {"schemaDocName", d.Name}},
			}
		}
		return err
	}, nil
}
