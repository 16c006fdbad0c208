package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/jsonpath"
)

// The metadata objects of JSONBin's bin responses. Field order is the
// order JSONBin's own responses and fixtures show; omitempty fields appear
// only when set, as there.
type (
	createdMeta struct {
		ID           string `json:"id"`
		CreatedAt    string `json:"createdAt"`
		Private      bool   `json:"private"`
		Name         string `json:"name,omitempty"`
		CollectionID string `json:"collectionId,omitempty"`
	}
	updatedMeta struct {
		ParentID string `json:"parentId"`
		Private  bool   `json:"private"`
		Version  *int   `json:"version,omitempty"`
	}
	deletedMeta struct {
		ID              string `json:"id"`
		VersionsDeleted int    `json:"versionsDeleted"`
	}
	countMeta struct {
		ID           string `json:"id"`
		VersionCount int    `json:"versionCount"`
		Private      bool   `json:"private"`
	}
	nameMeta struct {
		Name string `json:"name"`
	}
	privacyMeta struct {
		Private bool `json:"private"`
	}
)

// Response envelopes that carry no bin content.
type (
	// idRecord is the meta routes' answer: "record" is the bin's id.
	idRecord[M any] struct {
		Record   string `json:"record"`
		Metadata M      `json:"metadata"`
	}
	metaMessage[M any] struct {
		Metadata M      `json:"metadata"`
		Message  string `json:"message"`
	}
	metaOnly[M any] struct {
		Metadata M `json:"metadata"`
	}
)

// jsonBody checks the Content-Type and reads a bin body; on failure it has
// written the error.
func (s *Server) jsonBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if !isJSON(r) {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgContentType))
		return nil, false
	}
	body, err := readBody(r, s.vault.MaxBinSize())
	if err != nil {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgInvalidJSON))
		return nil, false
	}
	return body, true
}

func (s *Server) createBin(w http.ResponseWriter, r *http.Request) {
	body, ok := s.jsonBody(w, r)
	if !ok {
		return
	}
	private, err := boolHeader(r, "X-Bin-Private", true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in := binvault.BinCreate{Private: private, Name: header(r, "X-Bin-Name"), CollectionID: header(r, "X-Collection-Id"), Record: body}
	b, err := s.vault.CreateBin(r.Context(), credentials(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setETag(w, b)
	s.writeMeta(w, r, b.Record, createdMeta{b.ID, binvault.FormatTime(b.CreatedAt), b.Private, b.Name, b.CollectionID})
}

func (s *Server) readBin(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !binvault.ValidID(id) {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgInvalidBinID))
		return
	}
	n, err := version(r.PathValue("version"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	meta, err := wantsMeta(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, record, err := s.vault.ReadBin(r.Context(), credentials(r), id, n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	etag := binvault.ETag(b.Rev)
	w.Header()["Etag"] = []string{etag}
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == "*" || strings.Contains(inm, etag)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if expr := r.Header.Get("X-JSON-Path"); expr != "" {
		if record, err = jsonpath.Query(record, expr); errors.Is(err, jsonpath.ErrInvalidPath) {
			err = errorf(binvault.EINVALID, "%s", binvault.MsgInvalidJSONPath)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if !meta {
		writeRaw(w, http.StatusOK, record)
		return
	}
	writeRecord(w, record, appendReadMeta(make([]byte, 0, 128), b))
}

// appendReadMeta renders a read's metadata, {"id","private","createdAt"
// [,"name"][,"collectionId"]}, by hand: this is the hot path, and
// reflection-based encoding was a measurable share of a read.
func appendReadMeta(buf []byte, b *binvault.Bin) []byte {
	buf = append(buf, `{"id":"`...)
	buf = append(buf, b.ID...)
	buf = append(buf, `","private":`...)
	buf = strconv.AppendBool(buf, b.Private)
	buf = append(buf, `,"createdAt":"`...)
	buf = b.CreatedAt.UTC().AppendFormat(buf, binvault.TimeLayout)
	buf = append(buf, '"')
	if b.Name != "" {
		buf = append(buf, `,"name":`...)
		buf = appendString(buf, b.Name)
	}
	if b.CollectionID != "" {
		buf = append(buf, `,"collectionId":"`...)
		buf = append(buf, b.CollectionID...)
		buf = append(buf, '"')
	}
	return append(buf, '}')
}

// appendString appends s as a JSON string, escaped as marshal does.
func appendString(buf []byte, s string) []byte {
	q, _ := marshal(s) // a string always encodes
	return append(buf, q...)
}

// wantsMeta reads X-Bin-Meta and its query twin ?meta=, for clients that
// cannot set headers.
func wantsMeta(r *http.Request) (bool, error) {
	meta, err := boolHeader(r, "X-Bin-Meta", true)
	if err != nil || !meta || r.URL.RawQuery == "" {
		return meta, err
	}
	switch r.URL.Query().Get("meta") {
	case "false", "False", "FALSE", "0":
		return false, nil
	}
	return true, nil
}

func (s *Server) updateBin(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !binvault.ValidID(id) {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgInvalidBinID))
		return
	}
	body, ok := s.jsonBody(w, r)
	if !ok {
		return
	}
	versioned, err := boolHeader(r, "X-Bin-Versioning", false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.vault.UpdateBinIf(r.Context(), credentials(r), id, body, versioned, ifMatch(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeUpdated(w, r, b, versioned)
}

// writeUpdated answers a PUT or PATCH: the new record, JSONBin's update
// metadata and the new ETag.
func (s *Server) writeUpdated(w http.ResponseWriter, r *http.Request, b *binvault.Bin, versioned bool) {
	setETag(w, b)
	meta := updatedMeta{ParentID: b.ID, Private: b.Private}
	if versioned {
		meta.Version = &b.Version
	}
	s.writeMeta(w, r, b.Record, meta)
}

func (s *Server) deleteBin(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, err := s.vault.DeleteBinIf(r.Context(), credentials(r), id, ifMatch(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, metaMessage[deletedMeta]{deletedMeta{id, n}, binvault.MsgBinDeleted})
}

func (s *Server) countVersions(w http.ResponseWriter, r *http.Request) {
	b, err := s.vault.CountVersions(r.Context(), credentials(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, metaOnly[countMeta]{countMeta{b.ID, b.Version, b.Private}})
}

func (s *Server) deleteVersions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	preserve, err := boolHeader(r, "X-Preserve-Latest", false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.vault.DeleteVersions(r.Context(), credentials(r), id, preserve)
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case n == 0:
		s.writeJSON(w, http.StatusOK, messageBody{binvault.MsgNoVersions})
	default:
		msg := binvault.MsgVersionsDeleted
		if preserve {
			msg = binvault.MsgVersionsDeletedPreserve
		}
		s.writeJSON(w, http.StatusOK, metaMessage[deletedMeta]{deletedMeta{id, n}, msg})
	}
}

func (s *Server) renameBin(w http.ResponseWriter, r *http.Request) {
	b, err := s.vault.RenameBin(r.Context(), credentials(r), r.PathValue("id"), header(r, "X-Bin-Name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setETag(w, b)
	s.writeJSON(w, http.StatusOK, idRecord[nameMeta]{b.ID, nameMeta{b.Name}})
}

func (s *Server) setBinPrivacy(w http.ResponseWriter, r *http.Request) {
	private, err := optionalBool(r, "X-Bin-Private")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.vault.SetBinPrivacy(r.Context(), credentials(r), r.PathValue("id"), private)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setETag(w, b)
	s.writeJSON(w, http.StatusOK, idRecord[privacyMeta]{b.ID, privacyMeta{b.Private}})
}

// setETag tells the client the bin's revision after a write, so its next
// write can be conditional without a read in between.
func setETag(w http.ResponseWriter, b *binvault.Bin) {
	w.Header()["Etag"] = []string{binvault.ETag(b.Rev)}
}

// writeMeta writes a record with metadata encoded from a struct.
func (s *Server) writeMeta(w http.ResponseWriter, r *http.Request, record []byte, meta any) {
	m, err := marshal(meta)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeRecord(w, record, m)
}

// writeRecord writes {"record":<record>,"metadata":<meta>}, splicing the
// stored bytes in as they are: encoding/json would re-scan them.
func writeRecord(w http.ResponseWriter, record, m []byte) {
	buf := make([]byte, 0, len(record)+len(m)+24)
	buf = append(buf, `{"record":`...)
	buf = append(buf, record...)
	buf = append(buf, `,"metadata":`...)
	buf = append(buf, m...)
	buf = append(buf, '}')
	writeRaw(w, http.StatusOK, buf)
}

// ifMatch reads If-Match: the revision a write must still find (0 when the
// header is absent or "*", which any existing bin matches). A tag that is
// not one of ours (weak, malformed) can never match, so it becomes the
// impossible revision -1: the write is refused with 412 and the current
// ETag, after the caller's key and the bin have been checked like any other.
func ifMatch(r *http.Request) int64 {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0
	}
	if rev, ok := binvault.ParseETag(v); ok {
		return rev
	}
	return -1
}
