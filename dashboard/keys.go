package dashboard

import (
	"net/http"

	"github.com/binvault/binvault"
)

// newKey is a key secret shown once, in the response that created it.
type newKey struct {
	Name   string
	Secret string
}

// keysPage is the data of the API keys page.
type keysPage struct {
	Keys []*binvault.Key
	New  *newKey
	Name string // the name typed, kept when creation failed
}

func (h *handler) keys(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderKeys(w, r, s, http.StatusOK, "", nil)
}

// renderKeys renders the API keys list, with a new secret when one was
// just made: it is never stored, redirected to or put in a URL.
func (h *handler) renderKeys(w http.ResponseWriter, r *http.Request, s *session, code int, errMsg string, nk *newKey) {
	ks, err := h.v.ListAPIKeys(r.Context(), s.cred())
	if err != nil {
		h.fail(w, s, err)
		return
	}
	data := keysPage{Keys: ks, New: nk}
	if errMsg != "" {
		data.Name = r.PostFormValue("name")
	}
	h.render(w, code, "keys", s.view("API keys", errMsg, data))
}

func (h *handler) createKey(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	k, secret, err := h.v.CreateAPIKey(r.Context(), s.cred(), name)
	if err != nil {
		if binvault.ErrorCode(err) == binvault.EINVALID {
			h.renderKeys(w, r, s, http.StatusBadRequest, binvault.ErrorMessage(err), nil)
			return
		}
		h.fail(w, s, err)
		return
	}
	h.renderKeys(w, r, s, http.StatusOK, "", &newKey{Name: k.Name, Secret: secret})
}

// revokeKey asks for confirmation first: the list's button posts without
// confirm=yes and gets a page whose button posts with it.
func (h *handler) revokeKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		ks, err := h.v.ListAPIKeys(r.Context(), s.cred())
		if err != nil {
			h.fail(w, s, err)
			return
		}
		for _, k := range ks {
			if k.ID == id {
				h.render(w, http.StatusOK, "confirmkey", s.view("Revoke API key", "",
					confirmKey{k, "API key", "Revoke", "revoke", "/keys/" + k.ID + "/revoke", "/keys"}))
				return
			}
		}
		h.fail(w, s, binvault.Errorf(binvault.ENOTFOUND, "%s", binvault.MsgKeyNotFound))
		return
	}
	if _, err := h.v.RevokeAPIKey(r.Context(), s.cred(), id); err != nil {
		h.fail(w, s, err)
		return
	}
	http.Redirect(w, r, "/keys", http.StatusSeeOther)
}

// confirmKey is the confirmation page before a key stops working.
type confirmKey struct {
	Key          *binvault.Key
	Kind         string // "API key" or "access key"
	Verb, Lower  string // "Revoke", "revoke"
	Action, Back string // where the form posts; where Cancel goes
}
