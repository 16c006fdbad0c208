package dashboard

import (
	"net/http"
	"strings"

	"github.com/binvault/binvault"
)

// Collections and schema docs: list, create, rename, attach and detach,
// edit a schema.

type collectionsPage struct {
	Collections []*binvault.Collection
	Schemas     map[string]string // schema doc id -> name
	Name        string
}

func (h *handler) collections(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderCollections(w, r, s, http.StatusOK, "", "")
}

func (h *handler) renderCollections(w http.ResponseWriter, r *http.Request, s *session, code int, errMsg, name string) {
	cs, err := h.v.ListCollections(r.Context(), s.cred())
	if err != nil {
		h.fail(w, s, err)
		return
	}
	names, err := h.schemaNames(r, s)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	h.render(w, code, "collections", s.view("Collections", errMsg, collectionsPage{Collections: cs, Schemas: names, Name: name}))
}

func (h *handler) schemaNames(r *http.Request, s *session) (map[string]string, error) {
	ds, err := h.v.ListSchemaDocs(r.Context(), s.cred())
	names := map[string]string{}
	for _, d := range ds {
		names[d.ID] = d.Name
	}
	return names, err
}

func (h *handler) createCollection(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	c, err := h.v.CreateCollection(r.Context(), s.cred(), &name)
	if err != nil {
		if !inline(err) {
			h.fail(w, s, err)
			return
		}
		h.renderCollections(w, r, s, http.StatusBadRequest, binvault.ErrorMessage(err), name)
		return
	}
	http.Redirect(w, r, "/collections/"+c.ID, http.StatusSeeOther)
}

type collectionPage struct {
	Collection *binvault.Collection
	Schemas    []*binvault.SchemaDoc
	Bins       []*binvault.Bin
	Next       string
}

func (h *handler) collection(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderCollection(w, r, s, http.StatusOK, "", "")
}

func (h *handler) renderCollection(w http.ResponseWriter, r *http.Request, s *session, code int, errMsg, notice string) {
	ctx, id := r.Context(), r.PathValue("id")
	bins, err := h.v.CollectionBins(ctx, s.cred(), id, r.URL.Query().Get("after"), false)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	var c *binvault.Collection
	cs, err := h.v.ListCollections(ctx, s.cred())
	for _, x := range cs {
		if x.ID == id {
			c = x
		}
	}
	ds, derr := h.v.ListSchemaDocs(ctx, s.cred())
	if err != nil || derr != nil || c == nil {
		h.fail(w, s, binvault.Errorf(binvault.ENOTFOUND, "%s", binvault.MsgCollectionNotFoundShort))
		return
	}
	page := collectionPage{Collection: c, Schemas: ds, Bins: bins}
	if len(bins) == binvault.BinPageSize {
		page.Next = bins[len(bins)-1].ID
	}
	v := s.view("Collection "+c.Name, errMsg, page)
	v.Notice = notice
	h.render(w, code, "collection", v)
}

// collectionChange runs a change and shows the collection again.
func (h *handler) collectionChange(w http.ResponseWriter, r *http.Request, s *session, notice string, change func() error) {
	if err := change(); err != nil {
		if !inline(err) && binvault.ErrorCode(err) != binvault.ENOTFOUND {
			h.fail(w, s, err)
			return
		}
		h.renderCollection(w, r, s, http.StatusBadRequest, binvault.ErrorMessage(err), "")
		return
	}
	h.renderCollection(w, r, s, http.StatusOK, "", notice)
}

func (h *handler) renameCollection(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	h.collectionChange(w, r, s, "Renamed.", func() error {
		_, err := h.v.RenameCollection(r.Context(), s.cred(), r.PathValue("id"), &name)
		return err
	})
}

// setCollectionSchema attaches the chosen schema doc, or detaches the
// current one when none is chosen.
func (h *handler) setCollectionSchema(w http.ResponseWriter, r *http.Request, s *session) {
	id, doc := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("schema"))
	if doc == "" {
		h.collectionChange(w, r, s, "Schema detached: new writes are no longer validated.", func() error {
			_, _, err := h.v.DetachSchema(r.Context(), s.cred(), id)
			return err
		})
		return
	}
	h.collectionChange(w, r, s, "Schema attached: bins are validated on their next write.", func() error {
		_, err := h.v.AttachSchema(r.Context(), s.cred(), id, &doc)
		return err
	})
}

type schemasPage struct {
	Schemas []*binvault.SchemaDoc
	Name    string
	Schema  string
}

func (h *handler) schemas(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderSchemas(w, r, s, http.StatusOK, "", schemasPage{Schema: "{\n  \"type\": \"object\"\n}"})
}

func (h *handler) renderSchemas(w http.ResponseWriter, r *http.Request, s *session, code int, errMsg string, page schemasPage) {
	ds, err := h.v.ListSchemaDocs(r.Context(), s.cred())
	if err != nil {
		h.fail(w, s, err)
		return
	}
	page.Schemas = ds
	h.render(w, code, "schemas", s.view("Schema docs", errMsg, page))
}

func (h *handler) createSchema(w http.ResponseWriter, r *http.Request, s *session) {
	name, schema := r.PostFormValue("name"), r.PostFormValue("schema")
	d, err := h.v.CreateSchemaDoc(r.Context(), s.cred(), &name, []byte(schema))
	if err != nil {
		if !inline(err) {
			h.fail(w, s, err)
			return
		}
		h.renderSchemas(w, r, s, http.StatusBadRequest, binvault.ErrorMessage(err), schemasPage{Name: name, Schema: schema})
		return
	}
	http.Redirect(w, r, "/schemas/"+d.ID, http.StatusSeeOther)
}

type schemaPage struct {
	ID, Name, Schema string
}

func (h *handler) schema(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := h.v.ReadSchemaDoc(r.Context(), s.cred(), r.PathValue("id"))
	if err != nil {
		h.fail(w, s, err)
		return
	}
	h.render(w, http.StatusOK, "schema", s.view("Schema doc "+d.Name, "", schemaPage{d.ID, d.Name, pretty(d.Schema)}))
}

// saveSchema renames the doc and replaces its schema; stored bins are not
// re-validated, as the page says.
func (h *handler) saveSchema(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	name, schema := r.PostFormValue("name"), r.PostFormValue("schema")
	_, err := h.v.RenameSchemaDoc(ctx, s.cred(), id, &name)
	if err == nil {
		_, err = h.v.UpdateSchemaDoc(ctx, s.cred(), id, []byte(schema))
	}
	if err != nil {
		if !inline(err) {
			h.fail(w, s, err)
			return
		}
		h.render(w, http.StatusBadRequest, "schema", s.view("Schema doc "+name, binvault.ErrorMessage(err), schemaPage{id, name, schema}))
		return
	}
	v := s.view("Schema doc "+name, "", schemaPage{id, name, schema})
	v.Notice = "Saved. Bins already stored are not checked again; their next write is."
	h.render(w, http.StatusOK, "schema", v)
}
