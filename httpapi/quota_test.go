package httpapi_test

import (
	"context"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/sqlite"
)

func TestRequestQuota(t *testing.T) {
	f := MustFixtureConfig(t, nil)
	id := f.MustBin(`{"a":1}`, hdr("X-Bin-Private", "false"))
	five := int64(5)
	if _, _, err := f.vault.SetLimits(context.Background(), binvault.AdminName, binvault.Limits{RequestsPerMonth: &five}, nil); err != nil {
		t.Fatal(err)
	}
	used := f.usage(t)["requests"].(map[string]any)["used"].(float64) // this call counts too
	for i := int(used); i < 5; i++ {
		if w := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), ""); w.Code != 200 {
			t.Fatalf("request %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	for name, h := range map[string]map[string]string{"WithKey": hdr("X-Master-Key", f.key), "PublicRead": nil} {
		w := f.do("GET", "/v3/b/"+id, h, "")
		if w.Code != 403 || !strings.HasPrefix(w.Body.String(), `{"message":"Requests exhausted.`) {
			t.Errorf("%s after the quota: %d %s", name, w.Code, w.Body)
		}
	}
	if w := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.other), ""); w.Code != 200 {
		t.Errorf("another account is not limited by this one's quota: %d %s", w.Code, w.Body)
	}
}

// usage reads GET /v3/usage with the admin key.
func (f *fixture) usage(t *testing.T) map[string]any {
	t.Helper()
	w := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.key), "")
	if w.Code != 200 {
		t.Fatalf("usage: %d %s", w.Code, w.Body)
	}
	var u map[string]any
	mustJSON(t, w.Body.Bytes(), &u)
	return u
}

func TestBinQuota(t *testing.T) {
	f := MustFixtureConfig(t, func(c *binvault.Config) { c.MaxBins = 2 })
	first := f.MustBin(`{"n":1}`, nil)
	f.MustBin(`{"n":2}`, nil)
	w := f.do("POST", "/v3/b", jsonHdr(f.key), `{"n":3}`)
	if w.Code != 403 || w.Body.String() != msg("You cannot create more than 2 bins.") {
		t.Fatalf("third bin: %d %s", w.Code, w.Body)
	}
	if w := f.do("DELETE", "/v3/b/"+first, hdr("X-Master-Key", f.key), ""); w.Code != 200 {
		t.Fatal(w.Body)
	}
	if w := f.do("POST", "/v3/b", jsonHdr(f.key), `{"n":3}`); w.Code != 200 {
		t.Fatalf("after a delete: %d %s", w.Code, w.Body)
	}
	u := f.usage(t)
	if bins := u["bins"].(map[string]any); bins["used"].(float64) != 2 || bins["limit"].(float64) != 2 {
		t.Errorf("usage bins %v", bins)
	}
}

func jsonHdr(key string) map[string]string {
	return hdr("Content-Type", "application/json", "X-Master-Key", key)
}

func TestVersioningQuota(t *testing.T) {
	f := MustFixtureConfig(t, func(c *binvault.Config) { c.NoVersioning = true })
	id := f.MustBin(`{"v":0}`, nil)
	versioned := jsonHdr(f.key)
	versioned["X-Bin-Versioning"] = "true"
	w := f.do("PUT", "/v3/b/"+id, versioned, `{"v":1}`)
	if w.Code != 403 || w.Body.String() != msg("Versioning is not available for the Free users. Upgrade to Pro plan http://api.jsonbin.io/pricing to avail this feature") {
		t.Fatalf("versioned update: %d %s", w.Code, w.Body)
	}
	if got := f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "").Body.String(); got != `{"v":0}` {
		t.Fatalf("refused update changed the bin: %s", got)
	}
	yes := true
	if _, _, err := f.vault.SetLimits(context.Background(), binvault.AdminName, binvault.Limits{Versioning: &yes}, nil); err != nil {
		t.Fatal(err)
	}
	if w := f.do("PUT", "/v3/b/"+id, versioned, `{"v":1}`); w.Code != 200 {
		t.Fatalf("allowed account: %d %s", w.Code, w.Body)
	}
	if u := f.usage(t); u["versioning"].(map[string]any)["allowed"] != true {
		t.Errorf("usage %v", u)
	}
}

func TestAccountBinSizeLimit(t *testing.T) {
	f := MustFixtureConfig(t, nil)
	small := 20
	if _, _, err := f.vault.SetLimits(context.Background(), binvault.AdminName, binvault.Limits{MaxBinSize: &small}, nil); err != nil {
		t.Fatal(err)
	}
	w := f.do("POST", "/v3/b", jsonHdr(f.key), `{"a":"`+strings.Repeat("x", 30)+`"}`)
	if w.Code != 413 || w.Body.String() != msg("Bin size cannot exceed 20 bytes") {
		t.Fatalf("oversize for the account: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/v3/b", jsonHdr(f.other), `{"a":"`+strings.Repeat("x", 30)+`"}`); w.Code != 200 {
		t.Fatalf("other account keeps the instance limit: %d %s", w.Code, w.Body)
	}
	_, _, err := f.vault.SetLimits(context.Background(), binvault.AdminName, binvault.Limits{}, []string{"max-bin-size"})
	if err != nil {
		t.Fatal(err)
	}
	if w := f.do("POST", "/v3/b", jsonHdr(f.key), `{"a":"`+strings.Repeat("x", 30)+`"}`); w.Code != 200 {
		t.Fatalf("after reset to default: %d %s", w.Code, w.Body)
	}
}

func TestUsageShape(t *testing.T) {
	f := MustFixture(t)
	f.MustBin(`{"a":1}`, nil)
	w := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.key), "")
	if got := strings.Join(topKeys(t, w.Body.Bytes()), ","); got != "period,requests,bins,accessKeys,binSize,versioning" {
		t.Fatalf("keys %s: %s", got, w.Body)
	}
	u := f.usage(t)
	if u["requests"].(map[string]any)["limit"] != nil || u["bins"].(map[string]any)["used"].(float64) != 1 ||
		u["accessKeys"].(map[string]any)["used"].(float64) != 3 || u["binSize"].(map[string]any)["limit"].(float64) != 64<<10 {
		t.Errorf("usage %s", w.Body)
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("PerKey", func(t *testing.T) {
		f := MustFixtureHTTP(t, nil, httpapi.Config{Limits: httpapi.Limits{KeyRate: 0.001, KeyBurst: 3}})
		for i := range 3 {
			if w := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.key), ""); w.Code != 200 || w.Header().Get("Ratelimit-Remaining") != strconv.Itoa(2-i) {
				t.Fatalf("request %d: %d remaining %q", i+1, w.Code, w.Header().Get("Ratelimit-Remaining"))
			}
		}
		w := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.key), "")
		if w.Code != 429 || w.Header().Get("Retry-After") == "" || w.Header().Get("Ratelimit-Limit") != "3" || w.Header().Get("Ratelimit-Reset") == "" {
			t.Fatalf("fourth: %d %v %s", w.Code, w.Header(), w.Body)
		}
		if !strings.HasPrefix(w.Body.String(), `{"message":"Too many requests.`) {
			t.Errorf("body %s", w.Body)
		}
		if w := f.do("GET", "/v3/usage", hdr("Authorization", "Bearer "+f.key), ""); w.Code != 429 {
			t.Errorf("same key as Bearer: %d", w.Code)
		}
		if w := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.other), ""); w.Code != 200 {
			t.Errorf("another key: %d", w.Code)
		}
	})
	t.Run("PerIP", func(t *testing.T) {
		f := MustFixtureHTTP(t, nil, httpapi.Config{Limits: httpapi.Limits{IPRate: 0.001, IPBurst: 2}})
		for i := range 3 {
			w := f.do("GET", "/v3/b/"+missingID, nil, "")
			if want := map[bool]int{true: 429, false: 404}[i == 2]; w.Code != want {
				t.Fatalf("request %d: %d, want %d", i+1, w.Code, want)
			}
		}
	})
	t.Run("FailedAuthSlowsDownIP", func(t *testing.T) {
		f := MustFixtureHTTP(t, nil, httpapi.Config{Limits: httpapi.Limits{AuthFailRate: 0.001, AuthFailBurst: 3}})
		bad := f.key[:len(f.key)-3] + "aaa"
		for range 3 {
			if w := f.do("GET", "/v3/usage", hdr("X-Master-Key", bad), ""); w.Code != 401 {
				t.Fatalf("bad key: %d", w.Code)
			}
		}
		if w := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.key), ""); w.Code != 429 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("valid key after failures from the IP: %d", w.Code)
		}
		if w := f.do("GET", "/v3/b/"+missingID, nil, ""); w.Code != 404 {
			t.Fatalf("keyless request from the IP: %d", w.Code)
		}
	})
	t.Run("OffByDefault", func(t *testing.T) {
		f := MustFixture(t)
		for range 50 {
			if w := f.do("GET", "/v3/usage", hdr("X-Master-Key", f.key), ""); w.Code != 200 || w.Header().Get("Ratelimit-Limit") != "" {
				t.Fatalf("%d %v", w.Code, w.Header())
			}
		}
	})
}

// TestRateLimitsSharedByNodes: two servers on one store each take half of
// the configured burst, so a client spread over both gets the configured
// limit in total.
func TestRateLimitsSharedByNodes(t *testing.T) {
	dir := t.TempDir()
	limits := httpapi.Config{Limits: httpapi.Limits{KeyRate: 0.001, KeyBurst: 4}}
	var servers []*fixture
	var key string
	for i := range 2 {
		store, err := sqlite.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		v := binvault.NewVault(store, keys.Format{}, binvault.Config{Serving: true, FlushEvery: 10 * time.Millisecond})
		t.Cleanup(func() { v.Close() })
		if i == 0 {
			if key, err = v.Bootstrap(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		servers = append(servers, &fixture{t: t, vault: v, h: httpapi.New(v, slog.New(slog.DiscardHandler), limits)})
	}
	deadline := time.Now().Add(5 * time.Second)
	for servers[0].vault.LiveNodes() != 2 || servers[1].vault.LiveNodes() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("live nodes %d and %d, want 2", servers[0].vault.LiveNodes(), servers[1].vault.LiveNodes())
		}
		runtime.Gosched()
	}
	allowed := 0
	for i := range 10 {
		if w := servers[i%2].do("GET", "/v3/usage", hdr("X-Master-Key", key), ""); w.Code == 200 {
			allowed++
		} else if w.Code != 429 {
			t.Fatalf("status %d", w.Code)
		}
	}
	if allowed != 4 {
		t.Fatalf("%d requests allowed over two nodes, want the configured burst of 4", allowed)
	}
}
