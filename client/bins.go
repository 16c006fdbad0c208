package client

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Bin is a bin's record with its metadata: the answer of CreateBin,
// ReadBin, UpdateBin and PatchBin.
type Bin struct {
	// Record is the bin's JSON as stored (or, with a JSON path, the array
	// of matches), never decoded by the client.
	Record   json.RawMessage `json:"record"`
	Metadata BinMetadata     `json:"metadata"`
	// ETag is the bin's entity tag after the call, for an If-Match on the
	// next write; "" when the server sent none (create, and JSONBin).
	ETag string `json:"-"`
	// Raw is the whole response body as the server sent it.
	Raw json.RawMessage `json:"-"`
}

// BinMetadata is the "metadata" of a bin answer. Which fields are set
// depends on the call, as on JSONBin: create and read give ID and
// CreatedAt, update and patch give ParentID and, after a versioned write,
// Version; a read without metadata gives none.
type BinMetadata struct {
	ID           string    `json:"id,omitempty"`
	ParentID     string    `json:"parentId,omitempty"`
	CreatedAt    time.Time `json:"createdAt,omitzero"`
	Private      bool      `json:"private"`
	Name         string    `json:"name,omitempty"`
	CollectionID string    `json:"collectionId,omitempty"`
	Version      *int      `json:"version,omitempty"`
}

// CreateBinOptions are the optional headers of CreateBin.
type CreateBinOptions struct {
	// Name is the bin's name, 1–128 characters; "" leaves it unnamed.
	Name string
	// Public makes the bin readable and updatable by anyone who has its
	// id. Bins are private by default, as on JSONBin.
	Public bool
	// CollectionID puts the bin in a collection, whose schema doc, if it
	// has one, the record must then satisfy.
	CollectionID string
}

// CreateBin stores record (a non-empty JSON object or array) as a new bin
// (POST /v3/b). Errors: 400 for a blank or invalid record, a bad name or
// collection, or a schema mismatch; 401 for a missing or bad key; 403 when
// an access key lacks bins.create or a quota is used up; 413 for a record
// over the size limit.
func (c *Client) CreateBin(ctx context.Context, record json.RawMessage, opts CreateBinOptions) (*Bin, error) {
	req, err := c.newRequest(ctx, http.MethodPost, "/v3/b", body(record))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Bin-Private", boolString(!opts.Public))
	setHeader(req, "X-Bin-Name", opts.Name)
	setHeader(req, "X-Collection-Id", opts.CollectionID)
	return c.sendBin(req)
}

// ReadBinOptions are the optional headers of ReadBin and ReadBinVersion.
type ReadBinOptions struct {
	// NoMeta asks for the record alone (X-Bin-Meta: false): the answer's
	// Record is then the whole body and its Metadata is empty.
	NoMeta bool
	// JSONPath, when set, makes Record the JSON array of what the
	// expression (Goessner JSONPath, X-JSON-Path) matches in the record.
	JSONPath string
	// IfNoneMatch, when set to an ETag of an earlier read, makes an
	// unchanged bin answer 304 (an *Error with StatusCode 304) instead of
	// sending the record again.
	IfNoneMatch string
}

// ReadBin reads a bin's newest version (GET /v3/b/{id}/latest). Errors:
// 400 for a malformed id or JSON path; 401 for a private bin without a
// valid key; 403 when an access key lacks bins.read; 404 when there is no
// such bin or it is not the caller's; 304 as ReadBinOptions.IfNoneMatch
// says.
func (c *Client) ReadBin(ctx context.Context, id string, opts ReadBinOptions) (*Bin, error) {
	return c.readBin(ctx, id, "latest", opts)
}

// ReadBinVersion reads version n of a bin: 0 is the record the bin was
// created with, each versioned update adds the next. Errors: those of
// ReadBin, and 404 "Bin version not found".
func (c *Client) ReadBinVersion(ctx context.Context, id string, n int, opts ReadBinOptions) (*Bin, error) {
	return c.readBin(ctx, id, strconv.Itoa(n), opts)
}

func (c *Client) readBin(ctx context.Context, id, version string, opts ReadBinOptions) (*Bin, error) {
	path, err := idPath("b", id, "/"+version)
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if opts.NoMeta {
		req.Header.Set("X-Bin-Meta", "false")
	}
	setHeader(req, "X-JSON-Path", opts.JSONPath)
	setHeader(req, "If-None-Match", opts.IfNoneMatch)
	if !opts.NoMeta {
		return c.sendBin(req)
	}
	h, raw, err := c.send(req)
	if err != nil {
		return nil, err
	}
	return &Bin{Record: raw, ETag: h.Get("ETag"), Raw: raw}, nil
}

// UpdateBinOptions are the optional headers of UpdateBin.
type UpdateBinOptions struct {
	// Versioning keeps the current record as a version before replacing
	// it (X-Bin-Versioning: true); the answer's Metadata.Version is then
	// the new version's number.
	Versioning bool
	// IfMatch, an ETag from an earlier answer, makes the write happen only
	// if the bin has not changed since: otherwise 412, whose *Error carries
	// the current ETag in its Header.
	IfMatch string
}

// UpdateBin replaces a bin's record (PUT /v3/b/{id}). Errors: those of
// CreateBin; 401 "… update a private bin" and 403 for bins.update; 404
// "Bin not found"; 403 when versioning is not allowed; 412 when IfMatch no
// longer matches.
func (c *Client) UpdateBin(ctx context.Context, id string, record json.RawMessage, opts UpdateBinOptions) (*Bin, error) {
	path, err := idPath("b", id, "")
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodPut, path, body(record))
	if err != nil {
		return nil, err
	}
	if opts.Versioning {
		req.Header.Set("X-Bin-Versioning", "true")
	}
	setHeader(req, "If-Match", opts.IfMatch)
	return c.sendBin(req)
}

// PatchType is the media type of a patch document.
type PatchType string

// The patch formats PatchBin sends.
const (
	// MergePatch is RFC 7396: the patch is an object whose keys replace the
	// record's, and whose nulls remove them.
	MergePatch PatchType = "application/merge-patch+json"
	// JSONPatch is RFC 6902: the patch is an array of operations (add,
	// remove, replace, move, copy, test), applied all or none.
	JSONPatch PatchType = "application/json-patch+json"
)

// PatchBinOptions are the optional settings of PatchBin.
type PatchBinOptions struct {
	// Type is the patch's format; MergePatch when empty.
	Type PatchType
	// Versioning and IfMatch are as in UpdateBinOptions.
	Versioning bool
	IfMatch    string
}

// PatchBin changes part of a bin's record (PATCH /v3/b/{id}), atomically,
// and answers as UpdateBin does: with the whole new record. A binvault
// route; JSONBin has no PATCH. Errors: those of UpdateBin; 400 for a patch
// that is malformed or cannot be applied (a failed JSON Patch "test"
// included); 415 for a Type the server does not accept.
func (c *Client) PatchBin(ctx context.Context, id string, patch json.RawMessage, opts PatchBinOptions) (*Bin, error) {
	path, err := idPath("b", id, "")
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodPatch, path, body(patch))
	if err != nil {
		return nil, err
	}
	typ := opts.Type
	if typ == "" {
		typ = MergePatch
	}
	req.Header.Set("Content-Type", string(typ))
	if opts.Versioning {
		req.Header.Set("X-Bin-Versioning", "true")
	}
	setHeader(req, "If-Match", opts.IfMatch)
	return c.sendBin(req)
}

// Deleted is the answer of DeleteBin and DeleteVersions. When a bin had no
// versions to delete, DeleteVersions answers with the Message "No versions
// found" and an empty Metadata.
type Deleted struct {
	Metadata struct {
		ID              string `json:"id"`
		VersionsDeleted int    `json:"versionsDeleted"`
	} `json:"metadata"`
	Message string `json:"message"`
}

// DeleteBinOptions are the optional headers of DeleteBin.
type DeleteBinOptions struct {
	// IfMatch is as in UpdateBinOptions: the bin is deleted only if it has
	// not changed since. binvault checks it; JSONBin ignores it.
	IfMatch string
}

// DeleteBin deletes a bin and all its versions (DELETE /v3/b/{id}); a
// public bin needs a key too. Errors: 400 for a malformed id; 401 without a
// valid key; 403 when an access key lacks bins.delete; 404 when there is no
// such bin; 412 when IfMatch is checked and no longer matches.
func (c *Client) DeleteBin(ctx context.Context, id string, opts DeleteBinOptions) (*Deleted, error) {
	path, err := idPath("b", id, "")
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodDelete, path, nil)
	if err != nil {
		return nil, err
	}
	setHeader(req, "If-Match", opts.IfMatch)
	var out Deleted
	if _, _, err := c.sendJSON(req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VersionCount is the answer of CountVersions.
type VersionCount struct {
	Metadata struct {
		ID           string `json:"id"`
		VersionCount int    `json:"versionCount"`
		Private      bool   `json:"private"`
	} `json:"metadata"`
}

// CountVersions counts a bin's versions after the first
// (GET /v3/b/{id}/versions/count). Errors: those of ReadBin.
func (c *Client) CountVersions(ctx context.Context, id string) (*VersionCount, error) {
	var out VersionCount
	if err := c.binCall(ctx, http.MethodGet, id, "/versions/count", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteVersions deletes a bin's versions after the first
// (DELETE /v3/b/{id}/versions); with preserveLatest the newest record first
// becomes the bin's base. Errors: 400, 401, 404 as for DeleteBin.
func (c *Client) DeleteVersions(ctx context.Context, id string, preserveLatest bool) (*Deleted, error) {
	var out Deleted
	hdr := []string{"X-Preserve-Latest", boolString(preserveLatest)}
	if err := c.binCall(ctx, http.MethodDelete, id, "/versions", hdr, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MetaUpdate is the answer of RenameBin, SetBinPrivacy and
// RenameCollection: Record is the bin's or collection's id, Metadata the
// changed field.
type MetaUpdate struct {
	Record   string `json:"record"`
	Metadata struct {
		Name    string `json:"name"`
		Private bool   `json:"private"`
	} `json:"metadata"`
}

// RenameBin sets a bin's name (PUT /v3/b/{id}/meta/name). Errors: 400 for
// a blank name or one over 128 characters; 401, 404 as for UpdateBin.
func (c *Client) RenameBin(ctx context.Context, id, name string) (*MetaUpdate, error) {
	var out MetaUpdate
	if err := c.binCall(ctx, http.MethodPut, id, "/meta/name", []string{"X-Bin-Name", name}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetBinPrivacy makes a bin private or public (PUT /v3/b/{id}/meta/privacy).
// Errors: 401, 404 as for UpdateBin.
func (c *Client) SetBinPrivacy(ctx context.Context, id string, private bool) (*MetaUpdate, error) {
	var out MetaUpdate
	if err := c.binCall(ctx, http.MethodPut, id, "/meta/privacy", []string{"X-Bin-Private", boolString(private)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// binCall sends a body-less request to /v3/b/{id}<suffix> with the header
// pairs in hdr, and decodes the answer into out.
func (c *Client) binCall(ctx context.Context, method, id, suffix string, hdr []string, out any) error {
	path, err := idPath("b", id, suffix)
	if err != nil {
		return err
	}
	return c.call(ctx, method, path, nil, out, hdr...)
}

// sendBin sends a request answered by a record and its metadata.
func (c *Client) sendBin(req *http.Request) (*Bin, error) {
	var b Bin
	h, raw, err := c.sendJSON(req, &b)
	if err != nil {
		return nil, err
	}
	b.ETag, b.Raw = h.Get("ETag"), raw
	return &b, nil
}

// body makes a nil record an empty one, so that it is still sent as JSON
// and the server can say "Bin cannot be blank".
func body(record []byte) []byte {
	if record == nil {
		return []byte{}
	}
	return record
}
