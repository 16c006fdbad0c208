// Package dashboard serves binvault's web pages: server-rendered
// html/template pages over the Vault, with one embedded stylesheet and no
// JavaScript build step. Every form works without JavaScript.
package dashboard

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/ratelimit"
)

//go:embed templates/*.html static/style.css static/app.js
var assets embed.FS

// Config is the dashboard's configuration.
type Config struct {
	// Secure sets the Secure flag of the session cookie; turn it on when
	// the dashboard is served over HTTPS.
	Secure bool
}

// Cookie names. The session token lives only in sessionCookie (HttpOnly);
// preCookie holds the double-submit token of the login and sign-up forms,
// which are posted before there is a session.
const (
	sessionCookie = "bv_session"
	preCookie     = "bv_pre"
)

// handler serves the dashboard.
type handler struct {
	v     *binvault.Vault
	log   *slog.Logger
	cfg   Config
	pages map[string]*template.Template
	css   []byte
	js    []byte

	// failedByIP and failedByAccount slow password guessing: each failed
	// login drains a token, and while either bucket is empty logins from
	// that IP, or for that account, are refused before the password is
	// checked.
	failedByIP, failedByAccount *ratelimit.Limiter
}

// Failed logins tolerated before slowing down: a burst of 5, then one
// every 12 seconds (5 a minute), per IP and per account.
const (
	failedLoginBurst = 5
	failedLoginRate  = 1.0 / 12
)

// New returns the dashboard's handler over v. Pages other than /login and
// /signup need a session; every POST checks the CSRF token.
func New(v *binvault.Vault, log *slog.Logger, cfg Config) http.Handler {
	h := &handler{v: v, log: log, cfg: cfg, pages: parsePages(),
		failedByIP:      ratelimit.New(failedLoginRate, failedLoginBurst),
		failedByAccount: ratelimit.New(failedLoginRate, failedLoginBurst)}
	h.css, _ = fs.ReadFile(assets, "static/style.css")
	h.js, _ = fs.ReadFile(assets, "static/app.js")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/style.css", h.stylesheet)
	mux.HandleFunc("GET /static/app.js", h.script)
	mux.HandleFunc("GET /{$}", h.root)
	mux.HandleFunc("GET /signup", h.signupForm)
	mux.HandleFunc("POST /signup", h.signup)
	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.post(h.logout))
	mux.HandleFunc("POST /logout-everywhere", h.post(h.logoutEverywhere))
	mux.HandleFunc("GET /keys", h.get(h.keys))
	mux.HandleFunc("POST /keys", h.post(h.createKey))
	mux.HandleFunc("POST /keys/{id}/revoke", h.post(h.revokeKey))
	mux.HandleFunc("GET /access-keys", h.get(h.accessKeys))
	mux.HandleFunc("POST /access-keys", h.post(h.createAccessKey))
	mux.HandleFunc("POST /access-keys/{id}/delete", h.post(h.deleteAccessKey))
	mux.HandleFunc("GET /bins", h.get(h.bins))
	mux.HandleFunc("GET /bins/new", h.get(h.newBinForm))
	mux.HandleFunc("POST /bins/new", h.post(h.createBin))
	mux.HandleFunc("GET /bins/{id}", h.get(h.bin))
	mux.HandleFunc("POST /bins/{id}", h.post(h.saveBin))
	mux.HandleFunc("POST /bins/{id}/delete", h.post(h.deleteBin))
	mux.HandleFunc("POST /bins/{id}/name", h.post(h.renameBin))
	mux.HandleFunc("POST /bins/{id}/privacy", h.post(h.setBinPrivacy))
	mux.HandleFunc("GET /bins/{id}/versions/{n}", h.get(h.binVersion))
	mux.HandleFunc("POST /bins/{id}/versions/delete", h.post(h.deleteVersions))
	mux.HandleFunc("GET /collections", h.get(h.collections))
	mux.HandleFunc("POST /collections", h.post(h.createCollection))
	mux.HandleFunc("GET /collections/{id}", h.get(h.collection))
	mux.HandleFunc("POST /collections/{id}/name", h.post(h.renameCollection))
	mux.HandleFunc("POST /collections/{id}/schema", h.post(h.setCollectionSchema))
	mux.HandleFunc("GET /schemas", h.get(h.schemas))
	mux.HandleFunc("POST /schemas", h.post(h.createSchema))
	mux.HandleFunc("GET /schemas/{id}", h.get(h.schema))
	mux.HandleFunc("POST /schemas/{id}", h.post(h.saveSchema))
	mux.HandleFunc("GET /activity", h.get(h.activity))
	mux.HandleFunc("GET /account", h.get(h.account))
	mux.HandleFunc("POST /account/password", h.post(h.changePassword))
	return headers(mux)
}

// headers sets what every page needs: no caching (pages may show a secret
// once), no framing, no referrer.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		// No inline or foreign scripts; inline styles only for the chart's bar widths.
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// parsePages builds one template per page, each the layout plus the page.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "Never"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		// seq is 0..n-1, for links to a bin's older versions.
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		"limit": func(n any) any {
			if n == 0 || n == int64(0) {
				return "No limit"
			}
			return n
		},
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html"))
	names, _ := fs.Glob(assets, "templates/*.html")
	pages := map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" || n == "templates/partials.html" {
			continue
		}
		t := template.Must(template.Must(base.Clone()).ParseFS(assets, n))
		pages[n[len("templates/"):len(n)-len(".html")]] = t
	}
	return pages
}

func (h *handler) script(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(h.js)
}

func (h *handler) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(h.css)
}

// view is what every page template receives.
type view struct {
	Title    string
	LoggedIn bool
	CSRF     string
	Error    string // a plain-words error shown at the top of the form
	Notice   string
	Data     any
}

// render writes a page with status code, buffering so that a template
// error does not leave half a page.
func (h *handler) render(w http.ResponseWriter, code int, page string, v view) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.log.Error("render page", "page", page, "err", err)
		http.Error(w, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// fail renders a plain error page for err, logging only what is internal.
func (h *handler) fail(w http.ResponseWriter, s *session, err error) {
	code := binvault.HTTPStatus(err)
	if binvault.ErrorCode(err) == binvault.EINTERNAL {
		h.log.Error("dashboard", "err", err)
	}
	h.render(w, code, "error", s.view("Something went wrong", binvault.ErrorMessage(err), nil))
}

// session is the logged-in browser of a request.
type session struct {
	token string
	csrf  string
}

// cred makes every Vault call act as the session's account.
func (s *session) cred() binvault.Credentials { return binvault.Credentials{Session: s.token} }

// view starts a page's view for the session (nil: logged out).
func (s *session) view(title, errMsg string, data any) view {
	v := view{Title: title, Error: errMsg, Data: data}
	if s != nil {
		v.LoggedIn, v.CSRF = true, s.csrf
	}
	return v
}

// current returns the request's session: nil and no error when the
// browser is not logged in, an error when the check itself failed (a
// store outage, the account's request quota), which is not a reason to
// send the user to the login page.
func (h *handler) current(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	if _, err := h.v.CheckSession(r.Context(), c.Value); binvault.ErrorCode(err) == binvault.EUNAUTHORIZED {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &session{token: c.Value, csrf: binvault.CSRFToken(c.Value)}, nil
}

type sessionHandler func(w http.ResponseWriter, r *http.Request, s *session)

// get requires a session, sending the browser to /login without one.
func (h *handler) get(next sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.current(r)
		if err != nil {
			h.fail(w, nil, err)
			return
		} else if s == nil {
			h.clearCookie(w, sessionCookie)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		next(w, r, s)
	}
}

// post requires a session and the session's CSRF token in the form.
func (h *handler) post(next sessionHandler) http.HandlerFunc {
	return h.get(func(w http.ResponseWriter, r *http.Request, s *session) {
		if !binvault.CheckCSRF(s.token, r.PostFormValue("csrf")) {
			h.forbidden(w)
			return
		}
		next(w, r, s)
	})
}

// forbidden answers a POST whose CSRF token is missing or wrong.
func (h *handler) forbidden(w http.ResponseWriter) {
	h.render(w, http.StatusForbidden, "error", view{Title: "Request refused",
		Error: "This form has expired or did not come from this site. Go back, reload the page and try again."})
}

func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	if s, _ := h.current(r); s != nil {
		http.Redirect(w, r, "/bins", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *handler) setSession(w http.ResponseWriter, token string, s *binvault.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		MaxAge: int(s.ExpiresAt.Sub(s.CreatedAt).Seconds()), Expires: s.ExpiresAt,
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteLaxMode,
	})
}

func (h *handler) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteLaxMode})
}

// preToken returns the browser's login-form token, setting a fresh one
// when it has none.
func (h *handler) preToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	var b [32]byte
	rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: tok, Path: "/", MaxAge: 3600,
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteStrictMode})
	return tok
}

// checkPre reports whether a login or sign-up form came from our page.
func checkPre(r *http.Request) bool {
	c, err := r.Cookie(preCookie)
	return err == nil && c.Value != "" && binvault.CheckCSRF(c.Value, r.PostFormValue("csrf"))
}
