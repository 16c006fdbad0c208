// Package patch applies partial updates to bin records: JSON Merge Patch
// (RFC 7396) and JSON Patch (RFC 6902). Both work on the stored bytes, so
// every part of a record a patch does not touch stays as it was (key order,
// number spelling, string escapes, as a PUT stored them) and a large record
// costs a scan, not a decode. JSON Patch's move and copy, which need the
// document as values, go through evanphx/json-patch.
package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/binvault/binvault"
)

// Media types of the two patch formats, as PATCH requests name them.
const (
	MergeType = "application/merge-patch+json"
	JSONType  = "application/json-patch+json"
)

// Merge returns an RFC 7396 merge patch. Returns EINVALID when body is not
// JSON.
func Merge(body []byte) (binvault.Patch, error) {
	if !json.Valid(body) || !utf8.Valid(body) {
		return nil, binvault.Errorf(binvault.EINVALID, binvault.MsgPatchInvalid, "a merge patch must be JSON")
	}
	return mergePatch(bytes.TrimSpace(body)), nil
}

// mergePatch is a checked merge patch document.
type mergePatch []byte

// Apply implements binvault.Patch.
func (p mergePatch) Apply(record []byte) ([]byte, error) {
	return merge(record, p)
}

// JSON returns an RFC 6902 patch whose copies may add at most maxSize bytes,
// so a few small operations cannot build a huge record. Returns EINVALID
// when body is not a JSON array of valid operations.
func JSON(body []byte, maxSize int) (binvault.Patch, error) {
	if !utf8.Valid(body) {
		return nil, binvault.Errorf(binvault.EINVALID, binvault.MsgPatchInvalid, "not valid UTF-8")
	}
	ops, err := jsonpatch.DecodePatch(body)
	if err != nil {
		return nil, binvault.Errorf(binvault.EINVALID, binvault.MsgPatchInvalid, describe(err))
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false // not in RFC 6902
	opts.EscapeHTML = false             // keep "<" as clients sent it
	opts.AccumulatedCopySizeLimit = int64(maxSize)
	return jsonPatch{ops, opts, spliceOps(body)}, nil
}

type jsonPatch struct {
	ops    jsonpatch.Patch
	opts   *jsonpatch.ApplyOptions
	splice []spliceOp // the same operations, when all can be spliced
}

// Apply implements binvault.Patch: all operations or none, since the result
// is a new record and the old one is never modified.
func (p jsonPatch) Apply(record []byte) (out []byte, err error) {
	if p.splice != nil {
		return applySplices(record, p.splice)
	}
	defer func() {
		// The library dereferences nil when a test compares a null it
		// added with another value: that patch does not apply, it does not
		// crash the request.
		if v := recover(); v != nil {
			out, err = nil, binvault.Errorf(binvault.ECONFLICT, binvault.MsgPatchFailed, "a test failed")
		}
	}()
	out, err = p.ops.ApplyWithOptions(record, p.opts)
	var tooBig *jsonpatch.AccumulatedCopySizeError
	switch {
	case errors.As(err, &tooBig):
		return nil, binvault.Errorf(binvault.ETOOLARGE, binvault.MsgPatchFailed, err.Error())
	case err != nil:
		return nil, binvault.Errorf(binvault.ECONFLICT, binvault.MsgPatchFailed, describe(err))
	}
	return out, nil
}

// describe turns a decoding error into something a client can act on.
func describe(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "not valid JSON"
	case errors.As(err, &typ):
		return "a JSON Patch must be an array of operations"
	}
	return err.Error()
}
