package dashboard

import (
	"encoding/json"
	"net/http"

	"github.com/binvault/binvault"
)

// accessPage is the data of the access keys page.
type accessPage struct {
	Keys []*binvault.Key
	New  *newKey
	Name string
}

func (h *handler) accessKeys(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderAccess(w, r, s, http.StatusOK, "", nil)
}

// renderAccess renders the access keys list, with a new secret once.
func (h *handler) renderAccess(w http.ResponseWriter, r *http.Request, s *session, code int, errMsg string, nk *newKey) {
	ks, err := h.v.ListAccessKeys(r.Context(), s.cred())
	if err != nil {
		h.fail(w, s, err)
		return
	}
	data := accessPage{Keys: ks, New: nk}
	if errMsg != "" {
		data.Name = r.PostFormValue("name")
	}
	h.render(w, code, "access", s.view("Access keys", errMsg, data))
}

// createAccessKey builds the API's permissions payload from checkboxes.
func (h *handler) createAccessKey(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	ops := map[string]bool{}
	for _, op := range []string{"create", "read", "update", "delete"} {
		ops[op] = r.PostFormValue(op) == "on"
	}
	payload, _ := json.Marshal(map[string]any{"bins": ops})
	k, secret, err := h.v.CreateAccessKey(r.Context(), s.cred(), &name, payload)
	if err != nil {
		if inline(err) {
			h.renderAccess(w, r, s, http.StatusBadRequest, binvault.ErrorMessage(err), nil)
			return
		}
		h.fail(w, s, err)
		return
	}
	h.renderAccess(w, r, s, http.StatusOK, "", &newKey{Name: k.Name, Secret: secret})
}

// deleteAccessKey asks for confirmation first, as revokeKey does.
func (h *handler) deleteAccessKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		ks, err := h.v.ListAccessKeys(r.Context(), s.cred())
		if err != nil {
			h.fail(w, s, err)
			return
		}
		for _, k := range ks {
			if k.ID == id {
				h.render(w, http.StatusOK, "confirmkey", s.view("Delete access key", "",
					confirmKey{k, "access key", "Delete", "delete", "/access-keys/" + k.ID + "/delete", "/access-keys"}))
				return
			}
		}
		h.fail(w, s, binvault.Errorf(binvault.ENOTFOUND, "%s", binvault.MsgAccessKeyNotFound))
		return
	}
	if _, err := h.v.DeleteAccessKey(r.Context(), s.cred(), id); err != nil {
		h.fail(w, s, err)
		return
	}
	http.Redirect(w, r, "/access-keys", http.StatusSeeOther)
}
