package httpapi

import (
	"mime"
	"net/http"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/patch"
)

// patchBin applies a JSON Merge Patch or a JSON Patch to a bin, atomically,
// under every rule of PUT, and answers as PUT does.
func (s *Server) patchBin(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !binvault.ValidID(id) {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgInvalidBinID))
		return
	}
	p, err := s.readPatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	versioned, err := boolHeader(r, "X-Bin-Versioning", false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.vault.PatchBin(r.Context(), credentials(r), id, p, versioned, ifMatch(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeUpdated(w, r, b, versioned)
}

// readPatch reads a PATCH body in the format its Content-Type names:
// EUNSUPPORTED for any other type, ETOOLARGE past the bin size limit,
// EINVALID for a malformed patch.
func (s *Server) readPatch(r *http.Request) (binvault.Patch, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != patch.MergeType && mt != patch.JSONType {
		return nil, errorf(binvault.EUNSUPPORTED, "%s", binvault.MsgPatchContentType)
	}
	limit := s.vault.MaxBinSize()
	body, err := readBody(r, limit)
	if err != nil {
		return nil, errorf(binvault.EINVALID, binvault.MsgPatchInvalid, "the body could not be read")
	} else if len(body) > limit {
		return nil, binvault.TooLarge(limit)
	}
	if mt == patch.MergeType {
		return patch.Merge(body)
	}
	return patch.JSON(body, limit)
}
