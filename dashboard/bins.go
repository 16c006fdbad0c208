package dashboard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/binvault/binvault"
)

// binsPage is one page of the account's uncategorised bins.
type binsPage struct {
	Bins  []*binvault.Bin
	Next  string // the cursor of the next page; "" on the last
	Query string // the name searched for
}

func (h *handler) bins(w http.ResponseWriter, r *http.Request, s *session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	bs, err := h.v.SearchBins(r.Context(), s.cred(), "", r.URL.Query().Get("after"), false, q)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	data := binsPage{Bins: bs, Query: q}
	if len(bs) == binvault.BinPageSize {
		data.Next = bs[len(bs)-1].ID
	}
	h.render(w, http.StatusOK, "bins", s.view("Bins", "", data))
}

// binForm is the data of the create and edit pages.
type binForm struct {
	ID      string
	Name    string
	Private bool
	Record  string
	APIURL  string
	Version int
}

func (h *handler) newBinForm(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, http.StatusOK, "newbin", s.view("New bin", "", binForm{Private: true, Record: "[]"}))
}

func (h *handler) createBin(w http.ResponseWriter, r *http.Request, s *session) {
	f := binForm{Name: strings.TrimSpace(r.PostFormValue("name")), Private: r.PostFormValue("private") == "on",
		Record: r.PostFormValue("record")}
	in := binvault.BinCreate{Private: f.Private, Record: []byte(f.Record)}
	if f.Name != "" {
		in.Name = &f.Name
	}
	b, err := h.v.CreateBin(r.Context(), s.cred(), in)
	if err != nil {
		if inline(err) {
			h.render(w, http.StatusBadRequest, "newbin", s.view("New bin", binvault.ErrorMessage(err), f))
			return
		}
		h.fail(w, s, err)
		return
	}
	http.Redirect(w, r, "/bins/"+b.ID, http.StatusSeeOther)
}

// inline reports whether err is the user's to fix in the form.
func inline(err error) bool {
	switch binvault.ErrorCode(err) {
	case binvault.EINVALID, binvault.EUNPROCESSABLE, binvault.ETOOLARGE, binvault.EFORBIDDEN:
		return true
	}
	return false
}

func (h *handler) bin(w http.ResponseWriter, r *http.Request, s *session) {
	b, record, err := h.v.ReadBin(r.Context(), s.cred(), r.PathValue("id"), binvault.Latest)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	h.render(w, http.StatusOK, "bin", s.view("Bin "+b.ID, "", formOf(b, pretty(record))))
}

// formOf fills the edit form from a stored bin.
func formOf(b *binvault.Bin, record string) binForm {
	return binForm{ID: b.ID, Name: b.Name, Private: b.Private, Record: record, APIURL: "/v3/b/" + b.ID, Version: b.Version}
}

// pretty indents a record for editing; bodies stay bytes otherwise.
func pretty(record []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, record, "", "  "); err != nil {
		return string(record)
	}
	return buf.String()
}

func (h *handler) saveBin(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id, record := r.Context(), r.PathValue("id"), r.PostFormValue("record")
	b, err := h.v.UpdateBin(ctx, s.cred(), id, []byte(record), false)
	if err == nil {
		v := s.view("Bin "+b.ID, "", formOf(b, pretty(b.Record)))
		v.Notice = "Saved."
		h.render(w, http.StatusOK, "bin", v)
		return
	}
	if !inline(err) {
		h.fail(w, s, err)
		return
	}
	old, _, rerr := h.v.ReadBin(ctx, s.cred(), id, binvault.Latest)
	if rerr != nil {
		h.fail(w, s, rerr)
		return
	}
	h.render(w, http.StatusBadRequest, "bin", s.view("Bin "+old.ID, binvault.ErrorMessage(err), formOf(old, record)))
}

// deleteBin asks for confirmation first, as revokeKey does.
func (h *handler) deleteBin(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		b, _, err := h.v.ReadBin(ctx, s.cred(), id, binvault.Latest)
		if err != nil {
			h.fail(w, s, err)
			return
		}
		h.render(w, http.StatusOK, "delete", s.view("Delete bin", "", b))
		return
	}
	if _, err := h.v.DeleteBin(ctx, s.cred(), id); err != nil {
		h.fail(w, s, err)
		return
	}
	http.Redirect(w, r, "/bins", http.StatusSeeOther)
}
