package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/dashboard"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/password"
	"github.com/binvault/binvault/schema"
	"github.com/binvault/binvault/sqlite"
)

// MustVault opens a real Vault over SQLite in a temp dir, with open sign-up.
func MustVault(tb testing.TB) *binvault.Vault {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	cfg := binvault.Config{MaxBinSize: 64 << 10, MaxAccessKeys: -1, Schemas: schema.New(),
		Passwords: password.Argon2id{}, SignUp: binvault.SignUpOpen}
	v := binvault.NewVault(store, keys.Format{}, cfg)
	tb.Cleanup(func() { v.Close() })
	return v
}

// browser sends requests through the real handler and keeps cookies, as a
// browser would. It fails the test if the session token ever shows up in
// a URL or a page.
type browser struct {
	tb      testing.TB
	h       http.Handler
	cookies map[string]string
}

func newBrowser(tb testing.TB, v *binvault.Vault) *browser {
	return newBrowserConfig(tb, v, dashboard.Config{})
}

func newBrowserConfig(tb testing.TB, v *binvault.Vault, cfg dashboard.Config) *browser {
	return &browser{tb: tb, h: dashboard.New(v, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg), cookies: map[string]string{}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	res := w.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	page := w.Body.String()
	if tok := b.cookies["bv_session"]; tok != "" {
		if strings.Contains(res.Header.Get("Location"), tok) || strings.Contains(page, tok) {
			b.tb.Errorf("%s %s: the session token appears in a URL or page", method, path)
		}
	}
	return res, page
}

func (b *browser) get(path string) (*http.Response, string) {
	b.tb.Helper()
	return b.do("GET", path, nil)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf returns the CSRF token of the page at path.
func (b *browser) csrf(path string) string {
	b.tb.Helper()
	_, page := b.get(path)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		b.tb.Fatalf("GET %s: no csrf field in the page", path)
	}
	return m[1]
}

// post submits a form from the page at from, with its CSRF token.
func (b *browser) post(from, path string, form url.Values) (*http.Response, string) {
	b.tb.Helper()
	form.Set("csrf", b.csrf(from))
	return b.do("POST", path, form)
}

const testPassword = "correct horse battery"

var secretRe = regexp.MustCompile(`id="secret" type="text" readonly value="([^"]+)"`)

// MustSignUp signs up a fresh account and returns the browser, logged in,
// and the account's first API key.
func MustSignUp(tb testing.TB, v *binvault.Vault, email string) (*browser, string) {
	tb.Helper()
	b := newBrowser(tb, v)
	res, page := b.post("/signup", "/signup", url.Values{"email": {email}, "password": {testPassword}, "confirm": {testPassword}})
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("sign up: status %d\n%s", res.StatusCode, page)
	}
	m := secretRe.FindStringSubmatch(page)
	if m == nil {
		tb.Fatal("sign up: the first API key is not shown")
	}
	return b, m[1]
}
