package httpapi

import (
	"net/http"
	"strings"

	"github.com/binvault/binvault"
)

// The Collections and Schema Docs APIs (jsonbin-v3.md §3, §4).
type (
	createdCollection struct {
		Record   string `json:"record"`
		Metadata struct {
			CreatedAt string `json:"createdAt"`
			Name      string `json:"name"`
		} `json:"metadata"`
	}
	listedCollection struct {
		Record         string   `json:"record"`
		CollectionMeta nameMeta `json:"collectionMeta"`
		SchemaDocID    string   `json:"schemaDocId,omitempty"`
		CreatedAt      string   `json:"createdAt"`
	}
	// binSnippet is one bin in a collection page: exactly these keys, as
	// strict clients (Python jsondbin) build objects from them.
	binSnippet struct {
		Private     bool        `json:"private"`
		SnippetMeta snippetMeta `json:"snippetMeta"`
		Record      string      `json:"record"`
		CreatedAt   string      `json:"createdAt"`
	}
	snippetMeta struct {
		Name string `json:"name,omitempty"`
	}
	idCreated struct {
		ID        string `json:"id"`
		CreatedAt string `json:"createdAt"`
	}
	schemaAttached struct {
		CollectionName string    `json:"collectionName"`
		SchemaDocID    string    `json:"schemaDocId,omitempty"`
		Metadata       idCreated `json:"metadata"`
	}
	schemaMeta struct {
		ID        string `json:"id"`
		CreatedAt string `json:"createdAt"`
		Name      string `json:"name"`
	}
)

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) {
	c, err := s.vault.CreateCollection(r.Context(), credentials(r), rawHeader(r, "X-Collection-Name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var out createdCollection
	out.Record, out.Metadata.CreatedAt, out.Metadata.Name = c.ID, binvault.FormatTime(c.CreatedAt), c.Name
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) {
	cs, err := s.vault.ListCollections(r.Context(), credentials(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]listedCollection, 0, len(cs))
	for _, c := range cs {
		out = append(out, listedCollection{c.ID, nameMeta{c.Name}, c.SchemaDocID, binvault.FormatTime(c.CreatedAt)})
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) renameCollection(w http.ResponseWriter, r *http.Request) {
	c, err := s.vault.RenameCollection(r.Context(), credentials(r), r.PathValue("id"), rawHeader(r, "X-Collection-Name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, idRecord[nameMeta]{c.ID, nameMeta{c.Name}})
}

// collectionBins serves /v3/c/{id}/bins[/{after}] and, with the literal
// "uncategorized" for id, the bins in no collection.
func (s *Server) collectionBins(w http.ResponseWriter, r *http.Request) {
	ascending, err := sortOrder(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if id == "uncategorized" {
		id = ""
	}
	bins, err := s.vault.CollectionBins(r.Context(), credentials(r), id, r.PathValue("after"), ascending)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]binSnippet, 0, len(bins))
	for _, b := range bins {
		out = append(out, binSnippet{b.Private, snippetMeta{b.Name}, b.ID, binvault.FormatTime(b.CreatedAt)})
	}
	s.writeJSON(w, http.StatusOK, out)
}

// sortOrder reads X-Sort-Order: descending (newest first) unless it says
// ascending.
func sortOrder(r *http.Request) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(r.Header.Get("X-Sort-Order"))) {
	case "", "descending", "desc":
		return false, nil
	case "ascending", "asc":
		return true, nil
	}
	return false, errorf(binvault.EINVALID, "%s", binvault.MsgSortOrder)
}

func (s *Server) attachSchema(w http.ResponseWriter, r *http.Request) {
	c, err := s.vault.AttachSchema(r.Context(), credentials(r), r.PathValue("id"), header(r, "X-Schema-Doc-Id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, schemaAttached{c.Name, c.SchemaDocID, idCreated{c.ID, binvault.FormatTime(c.CreatedAt)}})
}

func (s *Server) detachSchema(w http.ResponseWriter, r *http.Request) {
	c, detached, err := s.vault.DetachSchema(r.Context(), credentials(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, schemaAttached{c.Name, detached, idCreated{c.ID, binvault.FormatTime(c.CreatedAt)}})
}

func (s *Server) createSchemaDoc(w http.ResponseWriter, r *http.Request) {
	body, ok := s.jsonBody(w, r)
	if !ok {
		return
	}
	d, err := s.vault.CreateSchemaDoc(r.Context(), credentials(r), rawHeader(r, "X-Schema-Doc-Name"), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSchemaDoc(w, r, d)
}

func (s *Server) readSchemaDoc(w http.ResponseWriter, r *http.Request) {
	d, err := s.vault.ReadSchemaDoc(r.Context(), credentials(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSchemaDoc(w, r, d)
}

// updateSchemaDoc is PUT /v3/s/{id}: a new schema, or, with
// X-Schema-Doc-Name and no body (the form JSONBin's docs print), a rename.
func (s *Server) updateSchemaDoc(w http.ResponseWriter, r *http.Request) {
	if name := rawHeader(r, "X-Schema-Doc-Name"); name != nil && r.ContentLength <= 0 {
		s.renameSchemaDoc(w, r)
		return
	}
	body, ok := s.jsonBody(w, r)
	if !ok {
		return
	}
	d, err := s.vault.UpdateSchemaDoc(r.Context(), credentials(r), r.PathValue("id"), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSchemaDoc(w, r, d)
}

func (s *Server) renameSchemaDoc(w http.ResponseWriter, r *http.Request) {
	d, err := s.vault.RenameSchemaDoc(r.Context(), credentials(r), r.PathValue("id"), rawHeader(r, "X-Schema-Doc-Name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSchemaDoc(w, r, d)
}

// writeSchemaDoc answers {"record":<schema>,"metadata":{"id","createdAt",
// "name"}} on every schema-doc route: the documented shape, and a superset
// of the {"metadata":{"id","name"}} one client fixture shows for renames.
func (s *Server) writeSchemaDoc(w http.ResponseWriter, r *http.Request, d *binvault.SchemaDoc) {
	s.writeMeta(w, r, d.Schema, schemaMeta{d.ID, binvault.FormatTime(d.CreatedAt), d.Name})
}

// rawHeader is header without trimming, so that a blank value can be told
// from an empty one.
func rawHeader(r *http.Request, name string) *string {
	v := r.Header.Values(name)
	if len(v) == 0 {
		return nil
	}
	return &v[0]
}
