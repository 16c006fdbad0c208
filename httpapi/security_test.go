package httpapi_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

// allPerms is seed 000's payload granting every bin operation.
const allPerms = `{"bins":{"read":true,"update":true,"delete":true,"create":true}}`

// isolationCred is one way account B presents one of its own keys.
type isolationCred struct {
	name   string
	access bool // an access key: refusals name X-Access-Key
	hdr    map[string]string
}

// isolationRoute is one route that takes a bin id, sent by account B.
type isolationRoute struct {
	name   string
	method string
	suffix string // after /v3/b/{id}
	hdr    map[string]string
	body   string
	// distinct is nil where nothing in JSONBin's contract forces B's answer
	// for A's existing bin to differ from the answer for an id that matches
	// no bin: then both answers must be identical (status, body, headers).
	// Where the contract does force a difference, distinct holds the exact
	// answers it forces; see the comments at each value.
	distinct *distinctAnswers
}

// distinctAnswers are the exact bodies of a route whose answer to another
// account's existing bin differs from its answer to a missing id.
type distinctAnswers struct {
	foreignMaster string // 401, another account's bin, sent with an API key
	foreignAccess string // 401, the same with an access key
	missing       string // 404, no bin with that id
}

// Where they differ, and what that reveals.
//
// JSONBin answers a well-formed id that matches no bin with 404 "Bin not
// found or it doesn't belong to your account" (jsonbin-v3.md §1.5; on update
// 404 "Bin not found", §2.3) and answers a key that may not touch an
// existing bin with 401 "X-Master-Key is invalid or the bin doesn't belong
// to your account" (read, delete, version count: §1.5, §2.2, §2.4, §2.5) or
// 401 "Invalid X-Master-Key provided or the bin does not belong to your
// account" (update, §2.3). binvault pins the 401 for another account's
// valid key (TestConformance/OtherAccountsKey*, cmd/binvault TestAccountCreate).
// So on these routes the status alone tells B whether an id it holds is a
// bin of some other account (401) or no bin at all (404): an existence
// oracle that JSONBin itself has and that wire compatibility keeps. It
// reveals existence only: neither message carries a record, name, privacy
// or version count (checked below, byte for byte), and a bin id carries 64
// random bits, so the oracle confirms ids B already has but cannot find new
// ones. An access key of B gets the same oracle as B's API key (the
// X-Access-Key wording is the same rule), so it reveals nothing more.
var (
	readAnswers = &distinctAnswers{
		foreignMaster: msg("X-Master-Key is invalid or the bin doesn't belong to your account"),
		foreignAccess: msg("X-Access-Key is invalid or the bin doesn't belong to your account"),
		missing:       msg("Bin not found or it doesn't belong to your account"),
	}
	updateAnswers = &distinctAnswers{
		foreignMaster: msg("Invalid X-Master-Key provided or the bin does not belong to your account"),
		foreignAccess: msg("Invalid X-Access-Key provided or the bin does not belong to your account"),
		missing:       msg("Bin not found"),
	}
)

// isolationRoutes are every route of routes.go that takes a bin id.
//
// DELETE /versions and PUT /meta/name, /meta/privacy have distinct == nil:
// their only contract 401 is "Invalid X-Master-Key provided" (§2.6–2.8),
// which says the key is invalid, and B's key is not; their contract 404 "Bin
// not found or it doesn't belong to your account" covers another account's
// bin in its own words. Nothing forces these routes to tell A's existing
// bin from a missing one, so they must not.
var isolationRoutes = []isolationRoute{
	{name: "ReadBin", method: "GET", distinct: readAnswers},
	{name: "ReadLatest", method: "GET", suffix: "/latest", distinct: readAnswers},
	{name: "ReadBaseVersion", method: "GET", suffix: "/0?meta=false", distinct: readAnswers},
	{name: "ReadVersion1", method: "GET", suffix: "/1", distinct: readAnswers},
	{name: "ReadVersionPastNewest", method: "GET", suffix: "/666", distinct: readAnswers},
	{name: "UpdateBin", method: "PUT", hdr: hdr("Content-Type", "application/json"), body: `{"owner":"mallory"}`, distinct: updateAnswers},
	{name: "UpdateBinVersioned", method: "PUT", hdr: hdr("Content-Type", "application/json", "X-Bin-Versioning", "true"), body: `{"owner":"mallory"}`, distinct: updateAnswers},
	{name: "DeleteBin", method: "DELETE", distinct: readAnswers},
	{name: "CountVersions", method: "GET", suffix: "/versions/count", distinct: readAnswers},
	{name: "DeleteVersions", method: "DELETE", suffix: "/versions"},
	{name: "DeleteVersionsPreserveLatest", method: "DELETE", suffix: "/versions", hdr: hdr("X-Preserve-Latest", "true")},
	{name: "RenameBin", method: "PUT", suffix: "/meta/name", hdr: hdr("X-Bin-Name", "mallory"), body: "{}"},
	{name: "MakeBinPublic", method: "PUT", suffix: "/meta/privacy", hdr: hdr("X-Bin-Private", "false"), body: "{}"},
}

// send sends rt for bin id with cred's headers.
func (f *fixture) send(rt isolationRoute, cred isolationCred, id string) *httptest.ResponseRecorder {
	f.t.Helper()
	h := maps.Clone(rt.hdr)
	if h == nil {
		h = map[string]string{}
	}
	maps.Copy(h, cred.hdr)
	return f.do(rt.method, "/v3/b/"+id+rt.suffix, h, rt.body)
}

// binState is everything the owner can read of a bin: the record with its
// metadata (name, privacy), the version count, every version's record, and
// what a caller without a key gets.
func (f *fixture) binState(t *testing.T, id string) string {
	t.Helper()
	owner := hdr("X-Master-Key", f.key)
	var b strings.Builder
	w := f.do("GET", "/v3/b/"+id, owner, "")
	fmt.Fprintf(&b, "read: %d %s\n", w.Code, w.Body)
	w = f.do("GET", "/v3/b/"+id+"/versions/count", owner, "")
	fmt.Fprintf(&b, "count: %d %s\n", w.Code, w.Body)
	var count struct{ Metadata struct{ VersionCount int } }
	if w.Code == http.StatusOK {
		mustJSON(t, w.Body.Bytes(), &count)
	}
	for n := 0; n <= count.Metadata.VersionCount; n++ {
		w = f.do("GET", fmt.Sprintf("/v3/b/%s/%d?meta=false", id, n), owner, "")
		fmt.Fprintf(&b, "version %d: %d %s\n", n, w.Code, w.Body)
	}
	w = f.do("GET", "/v3/b/"+id, nil, "")
	fmt.Fprintf(&b, "without a key: %d %s\n", w.Code, w.Body)
	return b.String()
}

// headersBut returns a response's headers without the ones that differ
// between any two requests.
func headersBut(w *httptest.ResponseRecorder) http.Header {
	h := w.Header().Clone()
	h.Del("X-Request-Id")
	return h
}

// keySet lists an account's unrevoked keys of both kinds, by id.
func keySet(t *testing.T, f *fixture, account string) map[string]*binvault.Key {
	t.Helper()
	out := map[string]*binvault.Key{}
	for _, kind := range []binvault.KeyKind{binvault.KindAPI, binvault.KindAccess} {
		ks, err := f.vault.ListKeys(context.Background(), account, kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			out[k.ID] = k
		}
	}
	return out
}

// TestTenantIsolation: account B, with every credential it has, can neither
// read nor change account A's private bins, keys or activity, and learns
// from its refusals no more than JSONBin's contract forces.
func TestTenantIsolation(t *testing.T) {
	f := MustFixture(t)
	const otherEmail = "other@example.com"

	// A's bins: private, one with two versions, one named.
	bins := []struct{ name, id string }{
		{"PrivateBin", f.MustBin(`{"owner":"alice","balance":100}`, nil)},
		{"VersionedBin", f.MustBin(`{"v":0}`, nil)},
		{"NamedBin", f.MustBin(`{"owner":"alice"}`, hdr("X-Bin-Name", "alice-ledger"))},
	}
	f.MustUpdate(bins[1].id, `{"v":1}`, true)
	f.MustUpdate(bins[1].id, `{"v":2}`, true)
	for _, b := range bins {
		s := f.binState(t, b.id)
		if !strings.Contains(s, `"private":true`) || !strings.Contains(s, "without a key: 401") {
			t.Fatalf("%s is not private to begin with:\n%s", b.name, s)
		}
	}
	if s := f.binState(t, bins[1].id); !strings.Contains(s, `"versionCount":2`) {
		t.Fatalf("VersionedBin has not two versions:\n%s", s)
	}
	if s := f.binState(t, bins[2].id); !strings.Contains(s, `"name":"alice-ledger"`) {
		t.Fatalf("NamedBin has no name:\n%s", s)
	}

	// B's access key with every permission, made over the API.
	w := f.do("POST", "/v3/a", hdr("Content-Type", "application/json", "X-Master-Key", f.other, "X-Key-Name", "b-all"), allPerms)
	var created struct{ AccessKey, AccessKeyID string }
	mustJSON(t, w.Body.Bytes(), &created)
	if w.Code != http.StatusOK || !strings.HasPrefix(created.AccessKey, "bv_ak_") {
		t.Fatalf("B creates an access key: %d %s", w.Code, w.Body)
	}
	bAccess := created.AccessKey
	creds := []isolationCred{
		{"MasterKeyHeader", false, hdr("X-Master-Key", f.other)},
		{"MasterKeyBearer", false, hdr("Authorization", "Bearer "+f.other)},
		{"AccessKeyHeader", true, hdr("X-Access-Key", bAccess)},
		{"AccessKeyBearer", true, hdr("Authorization", "Bearer "+bAccess)},
	}

	aKeys, bKeys := keySet(t, f, binvault.AdminName), keySet(t, f, otherEmail)

	t.Run("EveryCredentialWorksOnBsOwnBins", func(t *testing.T) {
		// The control: each route and credential succeeds on a bin of B's
		// own, so a refusal below is about whose bin it is, not a broken
		// key. (binvault lets an access key with the matching permission
		// use every bin route, meta and versions included: ops.go.)
		for _, rt := range isolationRoutes {
			for _, c := range creds {
				own := f.do("POST", "/v3/b", hdr("Content-Type", "application/json", "X-Master-Key", f.other), `{"v":0}`)
				var b struct{ Metadata struct{ ID string } }
				mustJSON(t, own.Body.Bytes(), &b)
				for v := 1; v <= 2; v++ {
					up := f.do("PUT", "/v3/b/"+b.Metadata.ID, hdr("Content-Type", "application/json", "X-Master-Key", f.other, "X-Bin-Versioning", "true"), fmt.Sprintf(`{"v":%d}`, v))
					if up.Code != http.StatusOK {
						t.Fatalf("B updates its own bin: %d %s", up.Code, up.Body)
					}
				}
				if rt.name == "ReadVersionPastNewest" {
					if w := f.send(rt, c, b.Metadata.ID); w.Code != http.StatusNotFound || w.Body.String() != msg("Bin version not found") {
						t.Errorf("%s with %s on B's own bin: %d %s; want 404 Bin version not found", rt.name, c.name, w.Code, w.Body)
					}
					continue
				}
				if w := f.send(rt, c, b.Metadata.ID); w.Code != http.StatusOK {
					t.Errorf("%s with %s on B's own bin: %d %s; want 200", rt.name, c.name, w.Code, w.Body)
				}
			}
		}
	})

	t.Run("BinRoutesRefuseBAndRevealOnlyWhatTheContractForces", func(t *testing.T) {
		for _, rt := range isolationRoutes {
			t.Run(rt.name, func(t *testing.T) {
				for _, c := range creds {
					t.Run(c.name, func(t *testing.T) {
						missing := binvault.NewID(time.Now())
						mw := f.send(rt, c, missing)
						if mw.Code != http.StatusUnauthorized && mw.Code != http.StatusNotFound {
							t.Errorf("missing id: %d %s; want 401 or 404", mw.Code, mw.Body)
						}
						// Nothing came into being under the missing id.
						for _, key := range []string{f.key, f.other} {
							if r := f.do("GET", "/v3/b/"+missing, hdr("X-Master-Key", key), ""); r.Code != http.StatusNotFound {
								t.Errorf("after %s on a missing id, reading it = %d %s; want 404", rt.name, r.Code, r.Body)
							}
						}
						for _, b := range bins {
							t.Run(b.name, func(t *testing.T) {
								before := f.binState(t, b.id)
								w := f.send(rt, c, b.id)
								if w.Code != http.StatusUnauthorized && w.Code != http.StatusNotFound {
									t.Errorf("A's bin: %d %s; want 401 or 404", w.Code, w.Body)
								}
								if after := f.binState(t, b.id); after != before {
									t.Errorf("A's bin changed:\nbefore\n%safter\n%s", before, after)
								}
								if got, want := headersBut(w), headersBut(mw); !maps.EqualFunc(got, want, slices.Equal) {
									t.Errorf("headers differ between A's bin and a missing id:\n%v\n%v", got, want)
								}
								if rt.distinct == nil {
									if w.Code != mw.Code || w.Body.String() != mw.Body.String() {
										t.Errorf("existence leak: A's existing bin answers %d %s, a missing id %d %s; want identical answers",
											w.Code, w.Body, mw.Code, mw.Body)
									}
									return
								}
								foreign := rt.distinct.foreignMaster
								if c.access {
									foreign = rt.distinct.foreignAccess
								}
								if w.Code != http.StatusUnauthorized || w.Body.String() != foreign {
									t.Errorf("A's bin: %d %s; want 401 %s", w.Code, w.Body, foreign)
								}
								if mw.Code != http.StatusNotFound || mw.Body.String() != rt.distinct.missing {
									t.Errorf("missing id: %d %s; want 404 %s", mw.Code, mw.Body, rt.distinct.missing)
								}
							})
						}
					})
				}
			})
		}
	})

	t.Run("AccessKeyIsRefusedOnNonBinRoutes", func(t *testing.T) {
		var aAccessID, aAPIID string
		for id, k := range aKeys {
			if k.Kind == binvault.KindAccess {
				aAccessID = id
			} else {
				aAPIID = id
			}
		}
		var bAPIID string
		for id, k := range bKeys {
			if k.Kind == binvault.KindAPI {
				bAPIID = id
			}
		}
		today := time.Now().UTC().Format("02-01-2006")
		for _, rt := range []struct {
			name, method, path, body string
			hdr                      map[string]string
		}{
			{"ListAccessKeys", "GET", "/v3/a", "", nil},
			{"CreateAccessKey", "POST", "/v3/a", allPerms, hdr("Content-Type", "application/json", "X-Key-Name", "escalate")},
			{"DeleteAsAccessKey", "DELETE", "/v3/a/" + aAccessID, "", nil},
			{"DeleteItself", "DELETE", "/v3/a/" + created.AccessKeyID, "", nil},
			{"ListAPIKeys", "GET", "/v3/keys", "", nil},
			{"CreateAPIKey", "POST", "/v3/keys", `{"name":"escalate"}`, hdr("Content-Type", "application/json")},
			{"RevokeAsAPIKey", "DELETE", "/v3/keys/" + aAPIID, "", nil},
			{"RevokeBsAPIKey", "DELETE", "/v3/keys/" + bAPIID, "", nil},
			{"ListActivity", "GET", "/v3/activity", "", nil},
			{"Usage", "GET", "/v3/usage", "", nil},
			{"LogDays", "GET", "/v3/l", "", nil},
			{"LogOfToday", "GET", "/v3/l/" + today, "", nil},
		} {
			for _, c := range creds[2:] {
				t.Run(rt.name+"/"+c.name, func(t *testing.T) {
					h := maps.Clone(rt.hdr)
					if h == nil {
						h = map[string]string{}
					}
					maps.Copy(h, c.hdr)
					if w := f.do(rt.method, rt.path, h, rt.body); w.Code != http.StatusUnauthorized {
						t.Errorf("%s %s with B's access key: %d %s; want 401", rt.method, rt.path, w.Code, w.Body)
					}
				})
			}
		}
		for account, want := range map[string]map[string]*binvault.Key{binvault.AdminName: aKeys, otherEmail: bKeys} {
			if got := keySet(t, f, account); !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
				t.Errorf("%s's keys changed after refused requests: %v, were %v", account, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
			}
		}
	})

	t.Run("BsListingsShowNoneOfAsKeys", func(t *testing.T) {
		for _, rt := range []struct{ path, idField, prefixField string }{
			{"/v3/a", "accessKeyId", "accessKeyPrefix"},
			{"/v3/keys", "id", "prefix"},
		} {
			w := f.do("GET", rt.path, hdr("X-Master-Key", f.other), "")
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s with B's key: %d %s", rt.path, w.Code, w.Body)
			}
			var list []map[string]any
			mustJSON(t, w.Body.Bytes(), &list)
			for _, e := range list {
				id, _ := e[rt.idField].(string)
				if _, ok := bKeys[id]; !ok {
					t.Errorf("GET %s with B's key lists %v, not one of B's keys", rt.path, e)
				}
			}
			for id, k := range aKeys {
				if strings.Contains(w.Body.String(), id) || strings.Contains(w.Body.String(), k.Prefix) {
					t.Errorf("GET %s with B's key shows A's key %s (%s): %s", rt.path, id, k.Prefix, w.Body)
				}
			}
			if len(list) == 0 {
				t.Errorf("GET %s with B's key lists nothing; want B's own keys", rt.path)
			}
		}
	})

	t.Run("BsActivityShowsNoneOfAs", func(t *testing.T) {
		aAccount := aKeys[slices.Collect(maps.Keys(aKeys))[0]].AccountID
		bAccount := bKeys[slices.Collect(maps.Keys(bKeys))[0]].AccountID
		// One request each that the log must show, to know it is written.
		aMark := f.do("GET", "/v3/b/"+bins[0].id, hdr("X-Master-Key", f.key, "User-Agent", "tenant-a-agent"), "")
		bMark := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.other, "User-Agent", "tenant-b-agent"), "")
		aRID, bRID := aMark.Header().Get("X-Request-Id"), bMark.Header().Get("X-Request-Id")
		if aRID == "" || bRID == "" {
			t.Fatalf("no X-Request-Id: %q %q", aRID, bRID)
		}
		aLog := pollActivity(t, f, f.key, aRID)
		bLog := pollActivity(t, f, f.other, bRID)
		aRequests := map[string]bool{}
		for _, e := range aLog {
			aRequests[e.RequestID] = true
		}
		if !aRequests[aRID] {
			t.Fatalf("A's activity lacks A's own request %s", aRID)
		}
		for _, e := range bLog {
			if e.AccountID != bAccount || e.AccountID == aAccount {
				t.Errorf("B's activity holds an entry of account %s (A is %s, B is %s): %+v", e.AccountID, aAccount, bAccount, e)
			}
			if _, ok := aKeys[e.KeyID]; ok || aRequests[e.RequestID] || e.UserAgent == "tenant-a-agent" {
				t.Errorf("B's activity shows A's request: %+v", e)
			}
			for _, k := range aKeys {
				if e.KeyPrefix == k.Prefix {
					t.Errorf("B's activity shows A's key prefix %s: %+v", k.Prefix, e)
				}
			}
		}
	})
}

// activityRow is the part of an activity entry the isolation checks read.
type activityRow struct {
	AccountID string `json:"accountId"`
	KeyID     string `json:"keyId"`
	KeyPrefix string `json:"keyPrefix"`
	RequestID string `json:"requestId"`
	UserAgent string `json:"userAgent"`
}

// pollActivity reads the key's whole activity log, page by page, until it
// holds the request rid (the log is written in the background), within a
// bounded time.
func pollActivity(t *testing.T, f *fixture, key, rid string) []activityRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var all []activityRow
		before := ""
		for {
			w := f.do("GET", "/v3/activity?limit=1000"+before, hdr("X-Master-Key", key), "")
			if w.Code != http.StatusOK {
				t.Fatalf("GET /v3/activity: %d %s", w.Code, w.Body)
			}
			var page struct {
				Activity   []activityRow
				NextCursor *string
			}
			mustJSON(t, w.Body.Bytes(), &page)
			all = append(all, page.Activity...)
			if page.NextCursor == nil || len(page.Activity) == 0 {
				break
			}
			before = "&before=" + *page.NextCursor
		}
		for _, e := range all {
			if e.RequestID == rid {
				return all
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity log lacks request %s 20s after it was served", rid)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
