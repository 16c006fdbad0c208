package dashboard

import (
	"net/http"
	"strconv"

	"github.com/binvault/binvault"
)

// activityPageSize is how many entries one activity page shows.
const activityPageSize = 50

// activityPage is one page of the account's activity, newest first.
type activityPage struct {
	Entries []binvault.Activity
	Method  string
	Methods []binvault.AuthMethod
	Key     string          // the key id filtered on
	Keys    []*binvault.Key // the account's keys, to filter by
	Next    int64           // the before cursor of the next page; 0 on the last
}

func (h *handler) activity(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	data := activityPage{Methods: []binvault.AuthMethod{binvault.AuthAPIKey, binvault.AuthAccessKey, binvault.AuthSession, binvault.AuthPublic}}
	f := binvault.ActivityFilter{Limit: activityPageSize}
	for _, m := range data.Methods {
		if string(m) == q.Get("method") {
			f.AuthMethod, data.Method = m, string(m)
		}
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	apiKeys, err := h.v.ListAPIKeys(r.Context(), s.cred())
	if err != nil {
		h.fail(w, s, err)
		return
	}
	accessKeys, err := h.v.ListAccessKeys(r.Context(), s.cred())
	if err != nil {
		h.fail(w, s, err)
		return
	}
	data.Keys = append(apiKeys, accessKeys...)
	for _, k := range data.Keys {
		if k.ID == q.Get("key") {
			f.KeyID, data.Key = k.ID, k.ID
		}
	}
	es, err := h.v.ListActivity(r.Context(), s.cred(), f)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	data.Entries = es
	if len(es) == activityPageSize {
		data.Next = es[len(es)-1].ID
	}
	h.render(w, http.StatusOK, "activity", s.view("Activity", "", data))
}
