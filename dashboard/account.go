package dashboard

import (
	"net/http"
	"strings"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/ratelimit"
)

// authForm is the data of the login and sign-up pages.
type authForm struct {
	Email  string
	MinLen int
	Mode   string // the instance's sign-up mode
}

func (h *handler) signupForm(w http.ResponseWriter, r *http.Request) {
	h.authPage(w, r, http.StatusOK, "signup", "Sign up", "", "")
}

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if s, _ := h.current(r); s != nil {
		http.Redirect(w, r, "/bins", http.StatusSeeOther)
		return
	}
	h.authPage(w, r, http.StatusOK, "login", "Log in", "", "")
}

// authPage renders the login or sign-up form with its own CSRF token.
func (h *handler) authPage(w http.ResponseWriter, r *http.Request, code int, page, title, email, errMsg string) {
	v := view{Title: title, Error: errMsg, CSRF: binvault.CSRFToken(h.preToken(w, r)),
		Data: authForm{Email: email, MinLen: binvault.MinPasswordLen, Mode: h.v.SignUpMode()}}
	h.render(w, code, page, v)
}

// signup creates the account, logs it in and shows its first API key once.
func (h *handler) signup(w http.ResponseWriter, r *http.Request) {
	if !checkPre(r) {
		h.forbidden(w)
		return
	}
	ctx := r.Context()
	email, pw := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		h.authPage(w, r, http.StatusBadRequest, "signup", "Sign up", email, "The two passwords do not match.")
		return
	}
	_, secret, err := h.v.SignUp(ctx, email, pw, r.PostFormValue("invite"))
	if err != nil {
		h.authFailed(w, r, "signup", "Sign up", email, err)
		return
	}
	token, sess, err := h.v.Login(ctx, email, pw)
	if err != nil {
		h.authFailed(w, r, "login", "Log in", email, err)
		return
	}
	h.setSession(w, token, sess)
	s := &session{token: token, csrf: binvault.CSRFToken(token)}
	h.renderKeys(w, r, s, http.StatusOK, "", &newKey{Name: binvault.FirstKeyName, Secret: secret})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	if !checkPre(r) {
		h.forbidden(w)
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	ip, account := ratelimit.ClientIP(r, nil), strings.ToLower(email)
	for _, d := range []ratelimit.Decision{h.failedByIP.Peek(ip), h.failedByAccount.Peek(account)} {
		if !d.Allowed {
			d.SetHeaders(w.Header())
			h.authFailed(w, r, "login", "Log in", email, binvault.Errorf(binvault.ERATELIMITED,
				"Too many failed logins. Try again in %d seconds", int(d.RetryAfter.Seconds())))
			return
		}
	}
	token, sess, err := h.v.Login(r.Context(), email, r.PostFormValue("password"))
	if binvault.ErrorCode(err) == binvault.EUNAUTHORIZED {
		h.failedByIP.Allow(ip)
		h.failedByAccount.Allow(account)
	}
	if err != nil {
		h.authFailed(w, r, "login", "Log in", email, err)
		return
	}
	h.setSession(w, token, sess)
	http.Redirect(w, r, "/bins", http.StatusSeeOther)
}

// authFailed re-renders a login or sign-up form with the error in words.
func (h *handler) authFailed(w http.ResponseWriter, r *http.Request, page, title, email string, err error) {
	code := binvault.HTTPStatus(err)
	if code >= 500 {
		h.log.Error("dashboard "+page, "err", err)
	}
	h.authPage(w, r, code, page, title, email, binvault.ErrorMessage(err))
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.v.Logout(r.Context(), s.token); err != nil {
		h.fail(w, s, err)
		return
	}
	h.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *handler) logoutEverywhere(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := h.v.LogoutEverywhere(r.Context(), s.token); err != nil {
		h.fail(w, s, err)
		return
	}
	h.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
