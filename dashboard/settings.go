package dashboard

import (
	"net/http"

	"github.com/binvault/binvault"
)

// accountPage is the data of the account page: usage and the password form.
type accountPage struct {
	Usage  *binvault.Usage
	MinLen int
	Days   []dayBar // requests per day, the last 30 days
}

func (h *handler) account(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderAccount(w, r, s, http.StatusOK, view{})
}

// renderAccount renders the account page with msg's error or notice.
func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, s *session, code int, msg view) {
	u, err := h.v.Usage(r.Context(), s.cred())
	if err != nil {
		h.fail(w, s, err)
		return
	}
	days, err := h.v.DailyRequests(r.Context(), s.cred(), 30)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	v := s.view("Account", msg.Error, accountPage{Usage: u, MinLen: binvault.MinPasswordLen, Days: chartOf(days)})
	v.Notice = msg.Notice
	h.render(w, code, "account", v)
}

// changePassword sets a new password, which ends every session, and logs
// this browser in again with a fresh one.
func (h *handler) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, next := r.Context(), r.PostFormValue("new")
	if next != r.PostFormValue("confirm") {
		h.renderAccount(w, r, s, http.StatusBadRequest, view{Error: "The two new passwords do not match."})
		return
	}
	fresh, err := h.v.ChangePassword(ctx, s.token, r.PostFormValue("current"), next)
	if err != nil {
		if inline(err) || binvault.ErrorCode(err) == binvault.EUNAUTHORIZED {
			h.renderAccount(w, r, s, http.StatusBadRequest, view{Error: binvault.ErrorMessage(err)})
			return
		}
		h.fail(w, s, err)
		return
	}
	_, sess, err := h.v.SessionPrincipal(ctx, fresh)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	h.setSession(w, fresh, sess)
	ns := &session{token: fresh, csrf: binvault.CSRFToken(fresh)}
	h.renderAccount(w, r, ns, http.StatusOK, view{Notice: "Password changed. Your other sessions have been logged out."})
}

// dayBar is one day of the requests chart; Percent sizes its bar.
type dayBar struct {
	Day      string
	Requests int64
	Percent  int
}

func chartOf(days []binvault.DayCount) []dayBar {
	var most int64 = 1
	for _, d := range days {
		most = max(most, d.Requests)
	}
	out := make([]dayBar, 0, len(days))
	for _, d := range days {
		out = append(out, dayBar{Day: d.Day.Format("Jan 2"), Requests: d.Requests, Percent: int(d.Requests * 100 / most)})
	}
	return out
}
