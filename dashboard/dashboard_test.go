package dashboard_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/dashboard"
)

func TestSignUp(t *testing.T) {
	v := MustVault(t)
	b := newBrowser(t, v)
	form := url.Values{"email": {"ann@example.com"}, "password": {testPassword}, "confirm": {testPassword}}
	res, _ := b.post("/signup", "/signup", form)
	var c *http.Cookie
	for _, k := range res.Cookies() {
		if k.Name == "bv_session" {
			c = k
		}
	}
	switch {
	case c == nil:
		t.Fatal("no bv_session cookie set")
	case !c.HttpOnly:
		t.Error("cookie is not HttpOnly")
	case c.SameSite != http.SameSiteLaxMode:
		t.Errorf("SameSite = %v, want Lax", c.SameSite)
	case c.Path != "/":
		t.Errorf("Path = %q, want /", c.Path)
	case c.MaxAge <= 0:
		t.Errorf("MaxAge = %d, want the session's lifetime", c.MaxAge)
	}
	if _, _, err := v.SessionPrincipal(t.Context(), c.Value); err != nil {
		t.Errorf("the cookie is not a valid session: %v", err)
	}
	t.Run("TakenEmailShowsError", func(t *testing.T) {
		res, page := newBrowser(t, v).post("/signup", "/signup", form)
		if res.StatusCode != http.StatusConflict || !strings.Contains(page, `class="error"`) {
			t.Errorf("status %d, want 409 with an inline error", res.StatusCode)
		}
	})
	t.Run("LoginSetsCookieAndLogoutEndsIt", func(t *testing.T) {
		b := newBrowser(t, v)
		res, _ := b.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {testPassword}})
		tok := b.cookies["bv_session"]
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/bins" || tok == "" {
			t.Fatalf("login: status %d to %q, cookie %t", res.StatusCode, res.Header.Get("Location"), tok != "")
		}
		b.post("/bins", "/logout", url.Values{})
		if _, _, err := v.SessionPrincipal(t.Context(), tok); err == nil {
			t.Error("session still valid after logout")
		}
	})
	t.Run("WrongPasswordShowsError", func(t *testing.T) {
		b := newBrowser(t, v)
		res, page := b.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong password"}})
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Email or password is incorrect") || b.cookies["bv_session"] != "" {
			t.Errorf("status %d, want 401 with the error and no session", res.StatusCode)
		}
	})
	t.Run("SignUpWithoutFormTokenRefused", func(t *testing.T) {
		f := url.Values{"email": {"bob@example.com"}, "password": {testPassword}, "confirm": {testPassword}}
		res, _ := newBrowser(t, v).do("POST", "/signup", f)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})
}

func TestSecureCookie(t *testing.T) {
	v := MustVault(t)
	for _, secure := range []bool{false, true} {
		b := newBrowserConfig(t, v, dashboard.Config{Secure: secure})
		email := fmt.Sprintf("secure-%t@example.com", secure)
		res, _ := b.post("/signup", "/signup", url.Values{"email": {email}, "password": {testPassword}, "confirm": {testPassword}})
		found := false
		for _, c := range res.Cookies() {
			if c.Name == "bv_session" {
				found = true
				if c.Secure != secure {
					t.Errorf("Config.Secure %t: cookie Secure %t", secure, c.Secure)
				}
			}
		}
		if !found {
			t.Errorf("Config.Secure %t: no session cookie", secure)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	v := MustVault(t)
	b, _ := MustSignUp(t, v, "ann@example.com")
	res, page := b.post("/keys", "/keys", url.Values{"name": {"ci"}})
	m := secretRe.FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create key: status %d, secret shown %t", res.StatusCode, m != nil)
	}
	secret := m[1]
	if !strings.Contains(page, "will not be shown again") {
		t.Error("no warning that the key is shown once")
	}
	ks, err := v.ListAPIKeys(t.Context(), binvault.Credentials{MasterKey: secret})
	if err != nil || len(ks) != 2 {
		t.Fatalf("the new key does not work: %d keys, %v", len(ks), err)
	}
	_, page = b.get("/keys")
	if strings.Contains(page, secret) {
		t.Error("the secret is shown again on the list page")
	}
	if !strings.Contains(page, "ci") || !strings.Contains(page, "Never") {
		t.Error("the list does not show the key's name and \"Never\" for last used")
	}
	var id string
	for _, k := range ks {
		if k.Name == "ci" {
			id = k.ID
		}
	}
	t.Run("RevokeAsksFirst", func(t *testing.T) {
		res, page := b.post("/keys", "/keys/"+id+"/revoke", url.Values{})
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `name="confirm" value="yes"`) {
			t.Errorf("status %d, want a confirmation page", res.StatusCode)
		}
		if _, err := v.ListAPIKeys(t.Context(), binvault.Credentials{MasterKey: secret}); err != nil {
			t.Errorf("key revoked without confirmation: %v", err)
		}
	})
	t.Run("RevokeConfirmed", func(t *testing.T) {
		res, _ := b.post("/keys", "/keys/"+id+"/revoke", url.Values{"confirm": {"yes"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("status %d, want 303", res.StatusCode)
		}
		_, err := v.ListAPIKeys(t.Context(), binvault.Credentials{MasterKey: secret})
		if binvault.ErrorCode(err) != binvault.EUNAUTHORIZED {
			t.Errorf("revoked key: got %v, want unauthorized", err)
		}
	})
	t.Run("BadNameShownInline", func(t *testing.T) {
		res, page := b.post("/keys", "/keys", url.Values{"name": {"  "}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `class="error"`) || secretRe.MatchString(page) {
			t.Errorf("status %d, want 400 with an inline error and no secret", res.StatusCode)
		}
	})
}

func TestBins(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ann@example.com")
	cred := binvault.Credentials{MasterKey: key}
	res, _ := b.post("/bins/new", "/bins/new", url.Values{"record": {"[]"}, "name": {"list"}, "private": {"on"}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/bins/") {
		t.Fatalf("create: status %d to %q", res.StatusCode, loc)
	}
	id := strings.TrimPrefix(loc, "/bins/")
	_, page := b.get(loc)
	if !strings.Contains(page, `value="`+id+`"`) || !strings.Contains(page, "/v3/b/"+id) || !strings.Contains(page, "[]") {
		t.Error("the bin page lacks the id, the API URL or the record")
	}
	if _, page := b.get("/bins"); !strings.Contains(page, id) {
		t.Error("the list does not show the new bin")
	}
	res, page = b.post(loc, loc, url.Values{"record": {`{"a":1}`}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Saved") {
		t.Errorf("save: status %d", res.StatusCode)
	}
	if _, rec, err := v.ReadBin(t.Context(), cred, id, binvault.Latest); err != nil || string(rec) != `{"a":1}` {
		t.Errorf("after save: record %s, %v", rec, err)
	}
	t.Run("BadJSONShownInline", func(t *testing.T) {
		res, page := b.post(loc, loc, url.Values{"record": {`{"a":`}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<p class="error" role="alert">`) {
			t.Errorf("status %d, want 400 with an inline error", res.StatusCode)
		}
		if _, rec, _ := v.ReadBin(t.Context(), cred, id, binvault.Latest); string(rec) != `{"a":1}` {
			t.Errorf("record changed to %s", rec)
		}
		res, _ = b.post("/bins/new", "/bins/new", url.Values{"record": {"nope"}})
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("create with bad JSON: status %d, want 400", res.StatusCode)
		}
	})
	t.Run("DeleteAsksFirst", func(t *testing.T) {
		b.post(loc, loc+"/delete", url.Values{})
		if _, _, err := v.ReadBin(t.Context(), cred, id, binvault.Latest); err != nil {
			t.Fatalf("deleted without confirmation: %v", err)
		}
		res, _ := b.post(loc, loc+"/delete", url.Values{"confirm": {"yes"}})
		if _, _, err := v.ReadBin(t.Context(), cred, id, binvault.Latest); res.StatusCode != http.StatusSeeOther || binvault.ErrorCode(err) != binvault.ENOTFOUND {
			t.Errorf("status %d, bin still readable: %v", res.StatusCode, err)
		}
	})
	t.Run("OtherAccountsBinNotFound", func(t *testing.T) {
		other, _ := MustSignUp(t, v, "bob@example.com")
		bin, err := v.CreateBin(t.Context(), cred, binvault.BinCreate{Private: true, Record: []byte(`{"a":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		if res, _ := other.get("/bins/" + bin.ID); res.StatusCode == http.StatusOK {
			t.Error("another account's private bin is shown")
		}
	})
}

func TestBinsPaged(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ann@example.com")
	for range binvault.BinPageSize + 1 {
		if _, err := v.CreateBin(t.Context(), binvault.Credentials{MasterKey: key}, binvault.BinCreate{Record: []byte(`{"a":1}`)}); err != nil {
			t.Fatal(err)
		}
	}
	_, page := b.get("/bins")
	m := regexp.MustCompile(`href="/bins\?after=([0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no next page link")
	}
	_, page = b.get("/bins?after=" + m[1])
	if n := strings.Count(page, `<a href="/bins/`) - strings.Count(page, `<a href="/bins/new`); n != 1 {
		t.Errorf("second page shows %d bins, want 1", n)
	}
}

func TestActivity(t *testing.T) {
	v := MustVault(t)
	b, _ := MustSignUp(t, v, "ann@example.com")
	for _, path := range []string{"/activity", "/activity?method=session", "/activity?method=api_key&before=5"} {
		if res, _ := b.get(path); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", path, res.StatusCode)
		}
	}
}

// TestCSRF checks that every POST without the session's token is refused
// and changes nothing.
func TestCSRF(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ann@example.com")
	cred := binvault.Credentials{MasterKey: key}
	bin, err := v.CreateBin(t.Context(), cred, binvault.BinCreate{Record: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := v.ListAPIKeys(t.Context(), cred)
	collName, docName := "C", "D"
	coll, err := v.CreateCollection(t.Context(), cred, &collName)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := v.CreateSchemaDoc(t.Context(), cred, &docName, []byte(`{"type":"object"}`))
	if err != nil {
		t.Fatal(err)
	}
	posts := []struct {
		path string
		form url.Values
	}{
		{"/keys", url.Values{"name": {"sneaky"}}},
		{"/keys/" + ks[0].ID + "/revoke", url.Values{"confirm": {"yes"}}},
		{"/bins/new", url.Values{"record": {"[]"}}},
		{"/bins/" + bin.ID, url.Values{"record": {`{"a":2}`}}},
		{"/bins/" + bin.ID + "/delete", url.Values{"confirm": {"yes"}}},
		{"/bins/" + bin.ID + "/name", url.Values{"name": {"sneaky"}}},
		{"/bins/" + bin.ID + "/privacy", url.Values{"private": {"false"}}},
		{"/bins/" + bin.ID + "/versions/delete", url.Values{"keep": {"base"}}},
		{"/access-keys", url.Values{"name": {"sneaky"}, "read": {"on"}}},
		{"/collections", url.Values{"name": {"sneaky"}}},
		{"/collections/" + coll.ID + "/name", url.Values{"name": {"sneaky"}}},
		{"/collections/" + coll.ID + "/schema", url.Values{"schema": {doc.ID}}},
		{"/schemas", url.Values{"name": {"sneaky"}, "schema": {`{}`}}},
		{"/schemas/" + doc.ID, url.Values{"name": {"sneaky"}, "schema": {`{}`}}},
		{"/account/password", url.Values{"current": {testPassword}, "new": {"sneaky password"}, "confirm": {"sneaky password"}}},
		{"/logout", url.Values{}},
		{"/logout-everywhere", url.Values{}},
	}
	for _, csrf := range []string{"", "0123456789abcdef0123456789abcdef"} {
		for _, p := range posts {
			f := url.Values{}
			for k, vs := range p.form {
				f[k] = vs
			}
			if csrf != "" {
				f.Set("csrf", csrf)
			}
			if res, _ := b.do("POST", p.path, f); res.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q: status %d, want 403", p.path, csrf, res.StatusCode)
			}
		}
	}
	if after, _ := v.ListAPIKeys(t.Context(), cred); len(after) != len(ks) {
		t.Errorf("keys changed: %d, want %d", len(after), len(ks))
	}
	if _, rec, err := v.ReadBin(t.Context(), cred, bin.ID, binvault.Latest); err != nil || string(rec) != `{"a":1}` {
		t.Errorf("bin changed: %s, %v", rec, err)
	}
	if bs, _ := v.CollectionBins(t.Context(), cred, "", "", false); len(bs) != 1 {
		t.Errorf("%d bins, want 1", len(bs))
	}
	if aks, _ := v.ListAccessKeys(t.Context(), cred); len(aks) != 0 {
		t.Errorf("%d access keys, want 0", len(aks))
	}
	if _, _, err := v.SessionPrincipal(t.Context(), b.cookies["bv_session"]); err != nil {
		t.Errorf("session ended: %v", err)
	}
}

func TestNeedsSession(t *testing.T) {
	v := MustVault(t)
	tests := []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/bins"}, {"GET", "/bins/new"}, {"GET", "/bins/000000000000000000000001"},
		{"GET", "/keys"}, {"GET", "/activity"}, {"POST", "/keys"}, {"POST", "/bins/new"}, {"POST", "/logout"},
	}
	for _, tt := range tests {
		for _, cookie := range []string{"", "not-a-session"} {
			b := newBrowser(t, v)
			if cookie != "" {
				b.cookies["bv_session"] = cookie
			}
			var form url.Values
			if tt.method == "POST" {
				form = url.Values{}
			}
			res, _ := b.do(tt.method, tt.path, form)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
				t.Errorf("%s %s (cookie %q): status %d to %q, want 303 to /login", tt.method, tt.path, cookie, res.StatusCode, res.Header.Get("Location"))
			}
		}
	}
	for _, path := range []string{"/login", "/signup"} {
		if res, _ := newBrowser(t, v).get(path); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, res.StatusCode)
		}
	}
}

func TestAccount(t *testing.T) {
	v := MustVault(t)
	b, _ := MustSignUp(t, v, "ann@example.com")
	if res, page := b.get("/account"); res.StatusCode != http.StatusOK || !strings.Contains(page, "Requests this month") {
		t.Fatalf("GET /account: status %d", res.StatusCode)
	}
	t.Run("WrongCurrentPasswordShownInline", func(t *testing.T) {
		res, page := b.post("/account", "/account/password", url.Values{"current": {"not it at all"}, "new": {"another long one"}, "confirm": {"another long one"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "current password is incorrect") {
			t.Errorf("status %d, want 400 with the error", res.StatusCode)
		}
	})
	t.Run("ChangeEndsOtherSessions", func(t *testing.T) {
		other := newBrowser(t, v)
		other.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {testPassword}})
		old := b.cookies["bv_session"]
		res, _ := b.post("/account", "/account/password", url.Values{"current": {testPassword}, "new": {"another long one"}, "confirm": {"another long one"}})
		if res.StatusCode != http.StatusOK || b.cookies["bv_session"] == old {
			t.Fatalf("status %d, new cookie %t", res.StatusCode, b.cookies["bv_session"] != old)
		}
		if res, _ := b.get("/bins"); res.StatusCode != http.StatusOK {
			t.Error("this browser was logged out")
		}
		if res, _ := other.get("/bins"); res.StatusCode != http.StatusSeeOther {
			t.Error("another browser is still logged in")
		}
	})
}

func TestAccessKeys(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ann@example.com")
	res, page := b.post("/access-keys", "/access-keys", url.Values{"name": {"reader"}, "read": {"on"}})
	m := secretRe.FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create: status %d, secret shown %t", res.StatusCode, m != nil)
	}
	bin, err := v.CreateBin(t.Context(), binvault.Credentials{MasterKey: key}, binvault.BinCreate{Private: true, Record: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.ReadBin(t.Context(), binvault.Credentials{AccessKey: m[1]}, bin.ID, binvault.Latest); err != nil {
		t.Errorf("the access key cannot read: %v", err)
	}
	if _, err := v.UpdateBin(t.Context(), binvault.Credentials{AccessKey: m[1]}, bin.ID, []byte(`{"a":2}`), false); binvault.ErrorCode(err) != binvault.EFORBIDDEN {
		t.Errorf("the read-only access key may update: %v", err)
	}
	if _, page := b.get("/access-keys"); strings.Contains(page, m[1]) || !strings.Contains(page, "reader") {
		t.Error("the list shows the secret again or lacks the key")
	}
	ks, _ := v.ListAccessKeys(t.Context(), binvault.Credentials{MasterKey: key})
	b.post("/access-keys", "/access-keys/"+ks[0].ID+"/delete", url.Values{})
	if _, _, err := v.ReadBin(t.Context(), binvault.Credentials{AccessKey: m[1]}, bin.ID, binvault.Latest); err != nil {
		t.Errorf("deleted without confirmation: %v", err)
	}
	b.post("/access-keys", "/access-keys/"+ks[0].ID+"/delete", url.Values{"confirm": {"yes"}})
	if _, _, err := v.ReadBin(t.Context(), binvault.Credentials{AccessKey: m[1]}, bin.ID, binvault.Latest); err == nil {
		t.Error("the deleted access key still reads")
	}
}

func TestSchemaMismatchShownInline(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ann@example.com")
	ctx, cred := t.Context(), binvault.Credentials{MasterKey: key}
	name := "people"
	doc, err := v.CreateSchemaDoc(ctx, cred, &name, []byte(`{"type":"object","required":["name"]}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.CreateCollection(ctx, cred, &name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.AttachSchema(ctx, cred, c.ID, &doc.ID); err != nil {
		t.Fatal(err)
	}
	bin, err := v.CreateBin(ctx, cred, binvault.BinCreate{CollectionID: &c.ID, Record: []byte(`{"name":"ann"}`)})
	if err != nil {
		t.Fatal(err)
	}
	res, page := b.post("/bins/"+bin.ID, "/bins/"+bin.ID, url.Values{"record": {`{"age":3}`}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<p class="error" role="alert">`) || !strings.Contains(page, "age") {
		t.Errorf("status %d, want 400 with the error and the typed record kept", res.StatusCode)
	}
	if _, rec, _ := v.ReadBin(ctx, cred, bin.ID, binvault.Latest); string(rec) != `{"name":"ann"}` {
		t.Errorf("record changed to %s", rec)
	}
}

// TestFailedLoginsSlowedDown: after a burst of wrong passwords for one
// account, even the right password is refused for a while.
func TestFailedLoginsSlowedDown(t *testing.T) {
	v := MustVault(t)
	MustSignUp(t, v, "ada@example.com")
	b := newBrowser(t, v)
	for i := range 5 {
		if res, _ := b.post("/login", "/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong password " + strconv.Itoa(i)}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, res.StatusCode)
		}
	}
	res, page := b.post("/login", "/login", url.Values{"email": {"ada@example.com"}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Too many failed logins") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after the burst: %d", res.StatusCode)
	}
}

// TestBinsSearch: the list shows size and finds bins by a part of their name.
func TestBinsSearch(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ada@example.com")
	cred := binvault.Credentials{MasterKey: key}
	for _, name := range []string{"Users list", "Orders"} {
		n := name
		if _, err := v.CreateBin(t.Context(), cred, binvault.BinCreate{Private: true, Name: &n, Record: []byte(`[1]`)}); err != nil {
			t.Fatal(err)
		}
	}
	_, page := b.get("/bins?q=USERS")
	if !strings.Contains(page, "Users list") || strings.Contains(page, "Orders") || !strings.Contains(page, "3 bytes") {
		t.Fatalf("search page:\n%s", page)
	}
	if _, page := b.get("/bins?q=nothing"); !strings.Contains(page, "No bin") {
		t.Fatalf("empty search:\n%s", page)
	}
}

// TestBinMetaAndVersions: rename, privacy toggle, versions shown, viewed
// and deleted from the bin page.
func TestBinMetaAndVersions(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ada@example.com")
	cred := binvault.Credentials{MasterKey: key}
	bin, err := v.CreateBin(t.Context(), cred, binvault.BinCreate{Private: true, Record: []byte(`{"v":0}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.UpdateBin(t.Context(), cred, bin.ID, []byte(`{"v":1}`), true); err != nil {
		t.Fatal(err)
	}
	page := "/bins/" + bin.ID
	if res, body := b.post(page, page+"/name", url.Values{"name": {"Users"}}); res.StatusCode != 200 || !strings.Contains(body, "Renamed.") {
		t.Fatalf("rename: %d", res.StatusCode)
	}
	if res, body := b.post(page, page+"/privacy", url.Values{"private": {"false"}}); res.StatusCode != 200 || !strings.Contains(body, "now public") {
		t.Fatalf("privacy: %d", res.StatusCode)
	}
	got, _, err := v.ReadBin(t.Context(), binvault.Credentials{}, bin.ID, binvault.Latest) // public now: no key needed
	if err != nil || got.Name != "Users" || got.Private {
		t.Fatalf("after rename and privacy: %+v, %v", got, err)
	}
	if res, body := b.get(page + "/versions/0"); res.StatusCode != 200 || !strings.Contains(body, `&#34;v&#34;: 0`) {
		t.Fatalf("version 0: %d\n%s", res.StatusCode, body)
	}
	if res, _ := b.post(page, page+"/versions/delete", url.Values{"keep": {"base"}}); res.StatusCode != 200 {
		t.Fatalf("delete versions: %d", res.StatusCode)
	}
	if _, rec, err := v.ReadBin(t.Context(), cred, bin.ID, binvault.Latest); err != nil || string(rec) != `{"v":0}` {
		t.Fatalf("after deleting versions back to the base: %s, %v", rec, err)
	}
	if res, _ := b.post(page, page+"/name", url.Values{"name": {strings.Repeat("n", 200)}}); res.StatusCode != 400 {
		t.Fatalf("too long a name: %d", res.StatusCode)
	}
}

// TestUsageChart: the account page charts today's requests.
func TestUsageChart(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ada@example.com")
	for range 3 {
		if _, err := v.ListAPIKeys(t.Context(), binvault.Credentials{MasterKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	_, page := b.get("/account")
	if !strings.Contains(page, "Requests per day") || !strings.Contains(page, `style="width: 100%"`) {
		t.Fatalf("account page has no chart with today's bar:\n%s", page)
	}
}

// TestCollectionsAndSchemas: create a schema doc and a collection in the
// dashboard, attach one to the other, and the collection validates bins.
func TestCollectionsAndSchemas(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ada@example.com")
	cred := binvault.Credentials{MasterKey: key}
	if res, _ := b.post("/schemas", "/schemas", url.Values{"name": {"User"}, "schema": {`{"type":"object","required":["username"]}`}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create schema doc: %d", res.StatusCode)
	}
	if res, body := b.post("/schemas", "/schemas", url.Values{"name": {"Bad"}, "schema": {`{"type":"strnig"}`}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Invalid Schema Doc") {
		t.Fatalf("bad schema: %d", res.StatusCode)
	}
	docs, _ := v.ListSchemaDocs(t.Context(), cred)
	if len(docs) != 1 {
		t.Fatalf("%d schema docs, want 1", len(docs))
	}
	if res, _ := b.post("/collections", "/collections", url.Values{"name": {"Users"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create collection: %d", res.StatusCode)
	}
	cs, _ := v.ListCollections(t.Context(), cred)
	if len(cs) != 1 {
		t.Fatalf("%d collections", len(cs))
	}
	page := "/collections/" + cs[0].ID
	if res, body := b.post(page, page+"/schema", url.Values{"schema": {docs[0].ID}}); res.StatusCode != http.StatusOK || !strings.Contains(body, "Schema attached") {
		t.Fatalf("attach: %d", res.StatusCode)
	}
	coll := cs[0].ID
	if _, err := v.CreateBin(t.Context(), cred, binvault.BinCreate{Private: true, CollectionID: &coll, Record: []byte(`{"x":1}`)}); binvault.ErrorCode(err) != binvault.EINVALID {
		t.Fatalf("bin against the attached schema: %v", err)
	}
	if res, _ := b.post(page, page+"/schema", url.Values{"schema": {""}}); res.StatusCode != http.StatusOK {
		t.Fatalf("detach: %d", res.StatusCode)
	}
	if _, err := v.CreateBin(t.Context(), cred, binvault.BinCreate{Private: true, CollectionID: &coll, Record: []byte(`{"x":1}`)}); err != nil {
		t.Fatalf("bin after detaching: %v", err)
	}
	if _, body := b.get(page); !strings.Contains(body, "bytes") {
		t.Fatalf("collection page lists no bin:\n%s", body)
	}
}

// TestActivityFilterByKey: the activity page narrows to one key's requests.
func TestActivityFilterByKey(t *testing.T) {
	v := MustVault(t)
	b, key := MustSignUp(t, v, "ada@example.com")
	cred := binvault.Credentials{MasterKey: key}
	second, secret, err := v.CreateAPIKey(t.Context(), cred, "second")
	if err != nil {
		t.Fatal(err)
	}
	v.Record(binvault.Activity{At: time.Now(), AccountID: second.AccountID, AuthMethod: binvault.AuthAPIKey, KeyID: second.ID, KeyPrefix: second.Prefix, Method: "GET", Route: "GET /v3/usage", Status: 200})
	first, _ := v.ListAPIKeys(t.Context(), binvault.Credentials{MasterKey: secret})
	v.Record(binvault.Activity{At: time.Now(), AccountID: second.AccountID, AuthMethod: binvault.AuthAPIKey, KeyID: first[0].ID, KeyPrefix: first[0].Prefix, Method: "GET", Route: "GET /v3/keys", Status: 200})
	v.Close() // writes the log
	_, page := b.get("/activity?key=" + second.ID)
	if !strings.Contains(page, "GET /v3/usage") || strings.Contains(page, "GET /v3/keys") {
		t.Fatalf("filtered page:\n%s", page)
	}
}

// TestContentSecurityPolicy: pages forbid inline scripts and carry none;
// the one script is served from /static.
func TestContentSecurityPolicy(t *testing.T) {
	v := MustVault(t)
	b, _ := MustSignUp(t, v, "ada@example.com")
	for _, path := range []string{"/login", "/keys", "/bins", "/account", "/collections", "/schemas", "/activity"} {
		res, page := b.get(path)
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if strings.Contains(page, "<script>") {
			t.Errorf("%s has an inline script", path)
		}
	}
	if res, js := b.get("/static/app.js"); res.StatusCode != 200 || !strings.Contains(js, "data-copy") {
		t.Fatalf("app.js: %d", res.StatusCode)
	}
}
