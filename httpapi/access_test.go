package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
)

const perms = `{"bins":{"read":true,"update":false,"delete":false,"create":true}}`

// accessRows are seeds 000–002: the Access Keys API's shapes and errors.
var accessRows = []row{
	{name: "CreateAccessKeyShape", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "frontend"), body: perms, status: 200, keys: []string{"accessKey", "keyPermissions", "accessKeyId", "metadata"}},
	{name: "CreateAccessKeyName32", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", strings.Repeat("n", 32)), body: perms, status: 200},
	{name: "CreateAccessKeyNoMasterKey", method: "POST", path: "/v3/a", hdr: hdr("Content-Type", "application/json", "X-Key-Name", "x"), body: perms, status: 401, want: msg("You need to pass X-Master-Key in the header to generate Access Key")},
	{name: "CreateAccessKeyWithAccessKey", method: "POST", path: "/v3/a", hdr: hdr("Content-Type", "application/json", "X-Key-Name", "x", "X-Access-Key", "{ak:all}"), body: perms, status: 401, want: msg("You need to pass X-Master-Key in the header to generate Access Key")},
	{name: "CreateAccessKeyBadMasterKey", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x", "X-Master-Key", "{bad}"), body: perms, status: 401, want: msg("Invalid X-Master-Key provided")},
	{name: "CreateAccessKeyNameMissing", method: "POST", path: "/v3/a", hdr: jsonKey(), body: perms, status: 400, want: msg("X-Key-Name cannot be blank")},
	{name: "CreateAccessKeyNameBlank", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", " "), body: perms, status: 400, want: msg("X-Key-Name cannot be blank")},
	{name: "CreateAccessKeyNameTooLong", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", strings.Repeat("n", 33)), body: perms, status: 400, want: msg("Name of the Key name cannot be above 32 characters")},
	{name: "CreateAccessKeyNoContentType", method: "POST", path: "/v3/a", hdr: hdr("X-Master-Key", "{key}", "X-Key-Name", "x"), body: perms, status: 400, want: msg("You need to pass Content-Type set to application/json")},
	{name: "CreateAccessKeyPayloadEmpty", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: ``, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadNoBins", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `{}`, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadEmptyBins", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `{"bins":{}}`, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadStringBool", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `{"bins":{"read":"true","update":false,"delete":false,"create":true}}`, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadMissingOp", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `{"bins":{"read":true,"update":false,"delete":false}}`, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadUnknownOp", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `{"bins":{"read":true,"update":false,"delete":false,"admin":true}}`, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadExtraTopLevel", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `{"bins":{"read":true,"update":false,"delete":false,"create":true},"collections":{}}`, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadNotJSON", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `bins`, status: 400, want: msg("Validation failed, please try again")},
	{name: "CreateAccessKeyPayloadArray", method: "POST", path: "/v3/a", hdr: jsonKey("X-Key-Name", "x"), body: `[` + perms + `]`, status: 400, want: msg("Validation failed, please try again")},
	{name: "ListAccessKeysNoMasterKey", method: "GET", path: "/v3/a", status: 401, want: msg("You need to pass X-Master-Key in the header to fetch a list of Access Keys.")},
	{name: "ListAccessKeysBadMasterKey", method: "GET", path: "/v3/a", hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("Invalid X-Master-Key provided")},
	{name: "DeleteAccessKeyMalformedID", method: "DELETE", path: "/v3/a/123", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Access Key Id provided")},
	{name: "DeleteAccessKeyUnknown", method: "DELETE", path: "/v3/a/" + missingID, hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Access Key not found or it doesn't belong to your account")},
	{name: "DeleteAccessKeyNoMasterKey", method: "DELETE", path: "/v3/a/" + missingID, status: 401, want: msg("You need to pass X-Master-Key in the header to delete the access key.")},
	{name: "DeleteAccessKeyBadMasterKey", method: "DELETE", path: "/v3/a/" + missingID, hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("Invalid X-Master-Key provided")},
	// Non-bin routes refuse access keys as if no key had been sent.
	{name: "APIKeysWithAccessKey", method: "GET", path: "/v3/keys", hdr: hdr("X-Access-Key", "{ak:all}"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "APIKeysWithAccessKeyAsBearer", method: "GET", path: "/v3/keys", hdr: hdr("Authorization", "Bearer {ak:all}"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "ActivityWithAccessKey", method: "GET", path: "/v3/activity", hdr: hdr("X-Access-Key", "{ak:all}"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "UsageWithAccessKey", method: "GET", path: "/v3/usage", hdr: hdr("X-Access-Key", "{ak:all}"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "LogsWithAccessKey", method: "GET", path: "/v3/l", hdr: hdr("X-Access-Key", "{ak:all}"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "AccessKeysWithAccessKey", method: "GET", path: "/v3/a", hdr: hdr("X-Access-Key", "{ak:all}"), status: 401, want: msg("You need to pass X-Master-Key in the header to fetch a list of Access Keys.")},
	{name: "RevokeAPIKeyMalformedID", method: "DELETE", path: "/v3/keys/xyz", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Key Id provided")},
	{name: "RevokeAPIKeyUnknown", method: "DELETE", path: "/v3/keys/" + missingID, hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Key not found or it doesn't belong to your account")},
	{name: "CreateAPIKeyNoName", method: "POST", path: "/v3/keys", hdr: jsonKey(), body: `{}`, status: 400, want: msg("Key name must be 1 to 64 characters")},
}

// mustJSON decodes a response body into v.
func mustJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

// TestAccessKeyLifecycle: a key made over the API does exactly what its
// permissions grant on its own account's bins, is listed without its
// secret, and is refused on the request after its deletion.
func TestAccessKeyLifecycle(t *testing.T) {
	f := MustFixture(t)
	w := f.do("POST", "/v3/a", hdr("Content-Type", "application/json", "X-Master-Key", f.key, "X-Key-Name", "browser"), perms)
	var created struct {
		AccessKey      string
		AccessKeyID    string
		KeyPermissions struct{ Bins map[string]bool }
		Metadata       struct{ Name string }
	}
	mustJSON(t, w.Body.Bytes(), &created)
	if !strings.HasPrefix(created.AccessKey, "bv_ak_") || created.Metadata.Name != "browser" ||
		created.KeyPermissions.Bins["read"] != true || created.KeyPermissions.Bins["update"] != false {
		t.Fatalf("created %s", w.Body)
	}
	if got := topKeys(t, mustRaw(t, w.Body.Bytes(), "keyPermissions", "bins")); strings.Join(got, ",") != "update,delete,create,read" {
		t.Errorf("bins permission order %v", got)
	}
	ak := created.AccessKey

	// Create (granted): the bin belongs to the key's account.
	w = f.do("POST", "/v3/b", hdr("Content-Type", "application/json", "X-Access-Key", ak), `{"by":"ak"}`)
	if w.Code != 200 {
		t.Fatalf("create with access key: %d %s", w.Code, w.Body)
	}
	var bin struct{ Metadata struct{ ID string } }
	mustJSON(t, w.Body.Bytes(), &bin)
	if got := f.do("GET", "/v3/b/"+bin.Metadata.ID+"?meta=false", hdr("X-Master-Key", f.key), ""); got.Body.String() != `{"by":"ak"}` {
		t.Fatalf("owner reads %d %s", got.Code, got.Body)
	}
	// Read (granted), update and delete (refused).
	for _, c := range []struct {
		method string
		status int
		perm   string
	}{{"GET", 200, ""}, {"PUT", 403, "bins.update"}, {"DELETE", 403, "bins.delete"}} {
		w = f.do(c.method, "/v3/b/"+bin.Metadata.ID, hdr("Content-Type", "application/json", "X-Access-Key", ak), `{"x":1}`)
		if w.Code != c.status || w.Header().Get("X-Required-Permission") != c.perm {
			t.Errorf("%s with access key: %d %q %s", c.method, w.Code, w.Header().Get("X-Required-Permission"), w.Body)
		}
	}
	// Another account's private bin: refused.
	other := f.do("POST", "/v3/b", hdr("Content-Type", "application/json", "X-Master-Key", f.other), `{"other":1}`)
	var ob struct{ Metadata struct{ ID string } }
	mustJSON(t, other.Body.Bytes(), &ob)
	if w = f.do("GET", "/v3/b/"+ob.Metadata.ID, hdr("X-Access-Key", ak), ""); w.Code != 401 {
		t.Errorf("other account's bin with access key: %d %s", w.Code, w.Body)
	}

	// Listed without the secret.
	w = f.do("GET", "/v3/a", hdr("X-Master-Key", f.key), "")
	if strings.Contains(w.Body.String(), ak) || strings.Contains(w.Body.String(), `"accessKey"`) {
		t.Fatalf("list shows a secret: %s", w.Body)
	}
	var list []map[string]any
	mustJSON(t, w.Body.Bytes(), &list)
	found := false
	for _, k := range list {
		if k["accessKeyId"] == created.AccessKeyID {
			found = true
			if k["accessKeyPrefix"] != ak[:12] || k["createdAt"] == nil || k["lastUsedAt"] == nil {
				t.Errorf("listed %v", k)
			}
		}
	}
	if !found {
		t.Fatalf("key not listed: %s", w.Body)
	}

	// Deleted: refused on the very next request.
	w = f.do("DELETE", "/v3/a/"+created.AccessKeyID, hdr("X-Master-Key", f.key), "")
	if want := `{"metadata":{"id":"` + created.AccessKeyID + `","name":"browser"},"message":"Access Key deleted successfully"}`; w.Body.String() != want {
		t.Fatalf("delete: %s, want %s", w.Body, want)
	}
	if w = f.do("GET", "/v3/b/"+bin.Metadata.ID, hdr("X-Access-Key", ak), ""); w.Code != 401 {
		t.Fatalf("deleted access key still works: %d", w.Code)
	}
	if w = f.do("DELETE", "/v3/a/"+created.AccessKeyID, hdr("X-Master-Key", f.key), ""); w.Code != 404 {
		t.Fatalf("second delete: %d", w.Code)
	}
}

func mustRaw(t *testing.T, body []byte, path ...string) []byte {
	t.Helper()
	raw := json.RawMessage(body)
	for _, p := range path {
		var m map[string]json.RawMessage
		mustJSON(t, raw, &m)
		raw = m[p]
	}
	return raw
}

// TestAccessKeyLimit: the fourth key is refused with seed 000's message.
func TestAccessKeyLimit(t *testing.T) {
	f := MustFixtureConfig(t, func(c *binvaultConfig) { c.MaxAccessKeys = 0 }) // instance default: 3
	for i := range 4 {
		w := f.do("POST", "/v3/a", hdr("Content-Type", "application/json", "X-Master-Key", f.other, "X-Key-Name", "k"), perms)
		if i < 3 && w.Code != 200 {
			t.Fatalf("key %d: %d %s", i+1, w.Code, w.Body)
		} else if i == 3 && (w.Code != 403 || w.Body.String() != msg("You cannot create more than 3 access keys.")) {
			t.Fatalf("fourth key: %d %s", w.Code, w.Body)
		}
	}
}

// TestAPIKeysOverHTTP: created once with its secret, listed without it,
// lastUsedAt current without a flush, revoked for the next request.
func TestAPIKeysOverHTTP(t *testing.T) {
	f := MustFixture(t)
	w := f.do("POST", "/v3/keys", hdr("Content-Type", "application/json", "X-Master-Key", f.key), `{"name":"deploy script"}`)
	var k struct{ ID, Name, Prefix, CreatedAt, Key string }
	mustJSON(t, w.Body.Bytes(), &k)
	if w.Code != 200 || k.Name != "deploy script" || !strings.HasPrefix(k.Key, "bv_mk_") || k.Prefix != k.Key[:12] || k.ID == "" || k.CreatedAt == "" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if got := topKeys(t, w.Body.Bytes()); strings.Join(got, ",") != "id,name,prefix,createdAt,key" {
		t.Errorf("keys %v", got)
	}
	listed := func() map[string]any {
		w := f.do("GET", "/v3/keys", hdr("X-Master-Key", f.key), "")
		if strings.Contains(w.Body.String(), k.Key) {
			t.Fatalf("list shows the secret")
		}
		var ks []map[string]any
		mustJSON(t, w.Body.Bytes(), &ks)
		for _, e := range ks {
			if e["id"] == k.ID {
				return e
			}
		}
		t.Fatalf("key not listed: %s", w.Body)
		return nil
	}
	if e := listed(); e["lastUsedAt"] != nil || e["prefix"] != k.Prefix {
		t.Fatalf("fresh key listed as %v", e)
	}
	f.do("GET", "/v3/usage", hdr("X-Master-Key", k.Key), "")
	if e := listed(); e["lastUsedAt"] == nil {
		t.Fatalf("used key listed as never used: %v", e)
	}
	w = f.do("DELETE", "/v3/keys/"+k.ID, hdr("X-Master-Key", k.Key), "") // a key may revoke itself
	if w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	if w = f.do("GET", "/v3/keys", hdr("X-Master-Key", k.Key), ""); w.Code != 401 || w.Body.String() != msg("Invalid X-Master-Key provided") {
		t.Fatalf("revoked key: %d %s", w.Code, w.Body)
	}
}
