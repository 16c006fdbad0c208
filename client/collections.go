package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Uncategorized is the collection id CollectionBins takes for the bins
// that are in no collection.
const Uncategorized = "uncategorized"

// CollectionCreated is the answer of CreateCollection: Record is the new
// collection's id.
type CollectionCreated struct {
	Record   string `json:"record"`
	Metadata struct {
		CreatedAt time.Time `json:"createdAt"`
		Name      string    `json:"name"`
	} `json:"metadata"`
}

// Collection is one entry of ListCollections: Record is its id, and
// SchemaDocID is set when a schema doc is attached.
type Collection struct {
	Record         string `json:"record"`
	CollectionMeta struct {
		Name string `json:"name"`
	} `json:"collectionMeta"`
	SchemaDocID string    `json:"schemaDocId"`
	CreatedAt   time.Time `json:"createdAt"`
}

// BinSnippet is one bin of a CollectionBins page: Record is its id.
type BinSnippet struct {
	Private     bool `json:"private"`
	SnippetMeta struct {
		Name string `json:"name"`
	} `json:"snippetMeta"`
	Record    string    `json:"record"`
	CreatedAt time.Time `json:"createdAt"`
}

// SchemaAttachment is the answer of AttachSchemaDoc and DetachSchemaDoc:
// SchemaDocID is the schema doc attached or detached.
type SchemaAttachment struct {
	CollectionName string `json:"collectionName"`
	SchemaDocID    string `json:"schemaDocId"`
	Metadata       struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"createdAt"`
	} `json:"metadata"`
}

// CreateCollection creates a collection (POST /v3/c). Errors: 400 for a
// blank name or one over 32 characters; 401 without a valid API key; 403
// past the account's collection limit.
func (c *Client) CreateCollection(ctx context.Context, name string) (*CollectionCreated, error) {
	var out CollectionCreated
	if err := c.call(ctx, http.MethodPost, "/v3/c", nil, &out, "X-Collection-Name", name); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCollections lists the account's collections (GET /v3/c). Errors:
// 401 without a valid API key.
func (c *Client) ListCollections(ctx context.Context) ([]Collection, error) {
	var out []Collection
	if err := c.call(ctx, http.MethodGet, "/v3/c", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// RenameCollection renames a collection (PUT /v3/c/{id}/meta/name).
// Errors: those of CreateCollection; 400 for a malformed id; 404 when there
// is no such collection.
func (c *Client) RenameCollection(ctx context.Context, id, name string) (*MetaUpdate, error) {
	path, err := idPath("c", id, "/meta/name")
	if err != nil {
		return nil, err
	}
	var out MetaUpdate
	if err := c.call(ctx, http.MethodPut, path, nil, &out, "X-Collection-Name", name); err != nil {
		return nil, err
	}
	return &out, nil
}

// CollectionBinsOptions choose a page of CollectionBins.
type CollectionBinsOptions struct {
	// After is the Record (bin id) of the last bin of the previous page;
	// "" starts at the first.
	After string
	// Ascending lists the oldest bins first; the default is newest first.
	Ascending bool
}

// CollectionBins lists one page (10 bins, as on JSONBin) of a collection's
// bins, or with id Uncategorized of the bins in none
// (GET /v3/c/{id}/bins[/{after}]). A page shorter than 10 is the last.
// Errors: 400 for a malformed id; 401 without a valid API key; 404 when
// there is no such collection.
func (c *Client) CollectionBins(ctx context.Context, id string, opts CollectionBinsOptions) ([]BinSnippet, error) {
	suffix := "/bins"
	if opts.After != "" {
		suffix += "/" + url.PathEscape(opts.After)
	}
	path, err := idPath("c", id, suffix)
	if err != nil {
		return nil, err
	}
	order := "descending"
	if opts.Ascending {
		order = "ascending"
	}
	var out []BinSnippet
	if err := c.call(ctx, http.MethodGet, path, nil, &out, "X-Sort-Order", order); err != nil {
		return nil, err
	}
	return out, nil
}

// AttachSchemaDoc makes a collection validate its bins' records against a
// schema doc from now on (PUT /v3/c/{id}/schemadoc/add). Errors: 400 for a
// malformed collection id; 422 for a malformed schema doc id; 404 when
// either does not exist.
func (c *Client) AttachSchemaDoc(ctx context.Context, collectionID, schemaDocID string) (*SchemaAttachment, error) {
	return c.schemaAttachment(ctx, collectionID, "/schemadoc/add", "X-Schema-Doc-Id", schemaDocID)
}

// DetachSchemaDoc stops a collection's validation
// (PUT /v3/c/{id}/schemadoc/remove). Errors: 400 for a malformed id; 404
// when there is no such collection.
func (c *Client) DetachSchemaDoc(ctx context.Context, collectionID string) (*SchemaAttachment, error) {
	return c.schemaAttachment(ctx, collectionID, "/schemadoc/remove")
}

func (c *Client) schemaAttachment(ctx context.Context, id, suffix string, hdr ...string) (*SchemaAttachment, error) {
	path, err := idPath("c", id, suffix)
	if err != nil {
		return nil, err
	}
	var out SchemaAttachment
	if err := c.call(ctx, http.MethodPut, path, nil, &out, hdr...); err != nil {
		return nil, err
	}
	return &out, nil
}

// SchemaDoc is a schema doc: Record is the JSON Schema, as stored.
type SchemaDoc struct {
	Record   json.RawMessage `json:"record"`
	Metadata struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"createdAt"`
		Name      string    `json:"name"`
	} `json:"metadata"`
}

// CreateSchemaDoc stores a JSON Schema (POST /v3/s). Errors: 400 for a
// blank name or one over 32 characters, or a schema that does not
// compile; 401 without a valid API key.
func (c *Client) CreateSchemaDoc(ctx context.Context, name string, schema json.RawMessage) (*SchemaDoc, error) {
	var out SchemaDoc
	if err := c.call(ctx, http.MethodPost, "/v3/s", body(schema), &out, "X-Schema-Doc-Name", name); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReadSchemaDoc reads a schema doc (GET /v3/s/{id}). Errors: 400 for a
// malformed id; 401 without a valid API key; 404 when there is none.
func (c *Client) ReadSchemaDoc(ctx context.Context, id string) (*SchemaDoc, error) {
	return c.schemaDocCall(ctx, id, http.MethodGet, "", nil)
}

// UpdateSchemaDoc replaces a schema doc's schema (PUT /v3/s/{id}); bins
// already stored are not validated again. Errors: those of CreateSchemaDoc
// and ReadSchemaDoc.
func (c *Client) UpdateSchemaDoc(ctx context.Context, id string, schema json.RawMessage) (*SchemaDoc, error) {
	return c.schemaDocCall(ctx, id, http.MethodPut, "", body(schema))
}

// RenameSchemaDoc renames a schema doc (PUT /v3/s/{id}/meta/name). Errors:
// those of UpdateSchemaDoc.
func (c *Client) RenameSchemaDoc(ctx context.Context, id, name string) (*SchemaDoc, error) {
	return c.schemaDocCall(ctx, id, http.MethodPut, "/meta/name", nil, "X-Schema-Doc-Name", name)
}

func (c *Client) schemaDocCall(ctx context.Context, id, method, suffix string, schema []byte, hdr ...string) (*SchemaDoc, error) {
	path, err := idPath("s", id, suffix)
	if err != nil {
		return nil, err
	}
	var out SchemaDoc
	if err := c.call(ctx, method, path, schema, &out, hdr...); err != nil {
		return nil, err
	}
	return &out, nil
}
