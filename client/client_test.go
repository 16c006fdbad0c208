package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/binvault/binvault/client"
)

// TestCreateBin: the options reach the server as JSONBin's headers, and the
// answer keeps the record's bytes.
func TestCreateBin(t *testing.T) {
	s := MustServer(t)
	coll, err := s.Admin.CreateCollection(t.Context(), "people")
	if err != nil {
		t.Fatal(err)
	}
	anon := client.New(s.URL)
	for _, tc := range []struct {
		name       string
		record     string
		opts       client.CreateBinOptions
		wantPublic bool
	}{
		{"PrivateByDefault", `{"a":1}`, client.CreateBinOptions{}, false},
		{"PublicIsReadableWithoutAKey", `{"b":2}`, client.CreateBinOptions{Public: true}, true},
		{"NameIsEchoed", `[{"n":"x"}]`, client.CreateBinOptions{Name: "named bin"}, false},
		{"CollectionIDIsEchoed", `{"c":3}`, client.CreateBinOptions{CollectionID: coll.Record}, false},
		{"EmptyArrayIsABin", `[]`, client.CreateBinOptions{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := MustCreate(t, s.Admin, tc.record, tc.opts)
			m := b.Metadata
			if string(b.Record) != tc.record || m.Private == tc.wantPublic || m.Name != tc.opts.Name || m.CollectionID != tc.opts.CollectionID || m.CreatedAt.IsZero() {
				t.Errorf("CreateBin answered %s; want record %s, private %v, name %q, collection %q, a createdAt", b.Raw, tc.record, !tc.wantPublic, tc.opts.Name, tc.opts.CollectionID)
			}
			_, err := anon.ReadBin(t.Context(), m.ID, client.ReadBinOptions{})
			if tc.wantPublic && err != nil {
				t.Errorf("read of a public bin without a key: %v", err)
			} else if !tc.wantPublic {
				MustAPIError(t, err, http.StatusUnauthorized, "You need to pass X-Master-Key or X-Access-Key in the header to read a private bin")
			}
		})
	}
}

// TestReadBin covers the read options on one bin with two versions.
func TestReadBin(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	const v0, v1 = `{"users":[{"n":"ada"},{"n":"bob"}]}`, `{"users":[{"n":"cy"}]}`
	id := MustCreate(t, s.Admin, v0, client.CreateBinOptions{Name: "users"}).Metadata.ID
	if _, err := s.Admin.UpdateBin(ctx, id, []byte(v1), client.UpdateBinOptions{Versioning: true}); err != nil {
		t.Fatal(err)
	}

	t.Run("LatestWithMetadata", func(t *testing.T) {
		b, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(b.Record) != v1 || b.Metadata.ID != id || !b.Metadata.Private || b.Metadata.Name != "users" || b.ETag == "" {
			t.Errorf("ReadBin = %s (ETag %q); want record %s with id, private, name and an ETag", b.Raw, b.ETag, v1)
		}
		if want := `{"record":` + v1 + `,"metadata":`; !bytes.HasPrefix(b.Raw, []byte(want)) {
			t.Errorf("Raw = %s; want the body as sent, starting %s", b.Raw, want)
		}
	})
	t.Run("NoMetaIsTheRecordAlone", func(t *testing.T) {
		b, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
		if err != nil {
			t.Fatal(err)
		}
		if string(b.Record) != v1 || string(b.Raw) != v1 || b.Metadata != (client.BinMetadata{}) || b.ETag == "" {
			t.Errorf("ReadBin NoMeta = record %s, raw %s, metadata %+v, ETag %q; want the record alone with an ETag", b.Record, b.Raw, b.Metadata, b.ETag)
		}
	})
	t.Run("VersionZeroIsTheOriginal", func(t *testing.T) {
		b, err := s.Admin.ReadBinVersion(ctx, id, 0, client.ReadBinOptions{NoMeta: true})
		if err != nil || string(b.Record) != v0 {
			t.Errorf("ReadBinVersion 0 = %v, %v; want %s", b, err, v0)
		}
	})
	t.Run("MissingVersionIsNotFound", func(t *testing.T) {
		_, err := s.Admin.ReadBinVersion(ctx, id, 7, client.ReadBinOptions{})
		MustAPIError(t, err, http.StatusNotFound, "Bin version not found")
	})
	t.Run("JSONPathSelects", func(t *testing.T) {
		b, err := s.Admin.ReadBinVersion(ctx, id, 0, client.ReadBinOptions{JSONPath: "$.users[*].n"})
		if err != nil || string(b.Record) != `["ada","bob"]` || b.Metadata.ID != id {
			t.Errorf("ReadBin with a JSON path = %v, %v; want record [\"ada\",\"bob\"] with metadata", b, err)
		}
	})
	t.Run("BadJSONPathIs400", func(t *testing.T) {
		_, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{JSONPath: "$[?("})
		MustAPIError(t, err, http.StatusBadRequest, "Invalid X-JSON-Path expression passed")
	})
	t.Run("IfNoneMatchUnchangedIs304", func(t *testing.T) {
		b, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Admin.ReadBin(ctx, id, client.ReadBinOptions{IfNoneMatch: b.ETag})
		if e := MustAPIError(t, err, http.StatusNotModified, ""); e.Header.Get("ETag") != b.ETag {
			t.Errorf("304 carries ETag %q; want %q", e.Header.Get("ETag"), b.ETag)
		}
	})
}

// TestUpdateBin: versioning and If-Match. A stale If-Match is a 412 whose
// error carries the bin's current ETag, and the bin keeps its record.
func TestUpdateBin(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	id := MustCreate(t, s.Admin, `{"n":0}`, client.CreateBinOptions{}).Metadata.ID
	read, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("UnversionedHasNoVersion", func(t *testing.T) {
		b, err := s.Admin.UpdateBin(ctx, id, []byte(`{"n":1}`), client.UpdateBinOptions{IfMatch: read.ETag})
		if err != nil {
			t.Fatal(err)
		}
		if string(b.Record) != `{"n":1}` || b.Metadata.ParentID != id || b.Metadata.Version != nil || b.ETag == "" || b.ETag == read.ETag {
			t.Errorf("UpdateBin = %s ETag %q; want record {\"n\":1}, parentId, no version, a new ETag", b.Raw, b.ETag)
		}
	})
	t.Run("StaleIfMatchIs412WithTheCurrentETag", func(t *testing.T) {
		cur, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Admin.UpdateBin(ctx, id, []byte(`{"n":99}`), client.UpdateBinOptions{IfMatch: read.ETag})
		e := MustAPIError(t, err, http.StatusPreconditionFailed, "The bin has changed since you read it: read it again and retry")
		if got := e.Header.Get("ETag"); got != cur.ETag {
			t.Errorf("412 carries ETag %q; want the current %q", got, cur.ETag)
		}
		if after, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true}); err != nil || !bytes.Equal(after.Record, cur.Record) {
			t.Errorf("after the refused write the bin holds %v (%v); want %s", after, err, cur.Record)
		}
		// The ETag from the 412 is good for the retry.
		if _, err := s.Admin.UpdateBin(ctx, id, []byte(`{"n":2}`), client.UpdateBinOptions{IfMatch: e.Header.Get("ETag")}); err != nil {
			t.Errorf("retry with the 412's ETag: %v", err)
		}
	})
	t.Run("VersioningCountsAndDeletesVersions", func(t *testing.T) {
		for want := 1; want <= 2; want++ {
			b, err := s.Admin.UpdateBin(ctx, id, fmt.Appendf(nil, `{"v":%d}`, want), client.UpdateBinOptions{Versioning: true})
			if err != nil {
				t.Fatal(err)
			}
			if b.Metadata.Version == nil || *b.Metadata.Version != want {
				t.Fatalf("versioned UpdateBin answered %s; want metadata.version %d", b.Raw, want)
			}
		}
		n, err := s.Admin.CountVersions(ctx, id)
		if err != nil || n.Metadata.VersionCount != 2 || n.Metadata.ID != id || !n.Metadata.Private {
			t.Fatalf("CountVersions = %+v, %v; want 2 versions of private %s", n, err, id)
		}
		d, err := s.Admin.DeleteVersions(ctx, id, true)
		if err != nil || d.Metadata.VersionsDeleted != 2 || d.Message != "Versions for the Bin are deleted successfully and latest version preserved on the base record." {
			t.Fatalf("DeleteVersions = %+v, %v; want 2 deleted, latest preserved", d, err)
		}
		if b, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true}); err != nil || string(b.Record) != `{"v":2}` {
			t.Errorf("after DeleteVersions(preserveLatest) the bin holds %v (%v); want {\"v\":2}", b, err)
		}
		if d, err := s.Admin.DeleteVersions(ctx, id, false); err != nil || d.Message != "No versions found" || d.Metadata.ID != "" {
			t.Errorf("DeleteVersions without versions = %+v, %v; want only the message No versions found", d, err)
		}
	})
}

// TestPatchBin: both patch formats, If-Match, and the refusal of another
// Content-Type, against the real PATCH route.
func TestPatchBin(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	id := MustCreate(t, s.Admin, `{"a":1,"b":{"c":2}}`, client.CreateBinOptions{}).Metadata.ID
	first, err := s.Admin.PatchBin(ctx, id, []byte(`{"b":{"c":null,"d":3}}`), client.PatchBinOptions{})
	if err != nil {
		t.Fatalf("merge patch: %v", err)
	}
	if !jsonEqual(first.Record, `{"a":1,"b":{"d":3}}`) || first.Metadata.ParentID != id || first.ETag == "" {
		t.Errorf("merge patch answered %s ETag %q; want record {\"a\":1,\"b\":{\"d\":3}}, parentId, an ETag", first.Raw, first.ETag)
	}

	t.Run("JSONPatch", func(t *testing.T) {
		b, err := s.Admin.PatchBin(ctx, id, []byte(`[{"op":"add","path":"/e","value":[1]},{"op":"remove","path":"/a"}]`), client.PatchBinOptions{Type: client.JSONPatch})
		if err != nil || !jsonEqual(b.Record, `{"b":{"d":3},"e":[1]}`) {
			t.Errorf("JSON patch = %v, %v; want record {\"b\":{\"d\":3},\"e\":[1]}", b, err)
		}
	})
	t.Run("VersioningKeepsThePreviousRecord", func(t *testing.T) {
		before, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Admin.PatchBin(ctx, id, []byte(`{"v":1}`), client.PatchBinOptions{Versioning: true})
		if err != nil || b.Metadata.Version == nil || *b.Metadata.Version != 1 {
			t.Fatalf("versioned patch = %v, %v; want metadata.version 1", b, err)
		}
		if old, err := s.Admin.ReadBinVersion(ctx, id, 0, client.ReadBinOptions{NoMeta: true}); err != nil || !bytes.Equal(old.Record, before.Record) {
			t.Errorf("version 0 after a versioned patch = %v, %v; want %s", old, err, before.Record)
		}
	})
	t.Run("StaleIfMatchIs412WithTheCurrentETag", func(t *testing.T) {
		cur, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Admin.PatchBin(ctx, id, []byte(`{"x":1}`), client.PatchBinOptions{IfMatch: first.ETag})
		if e := MustAPIError(t, err, http.StatusPreconditionFailed, ""); e.Header.Get("ETag") != cur.ETag {
			t.Errorf("412 carries ETag %q; want the current %q", e.Header.Get("ETag"), cur.ETag)
		}
		if _, err := s.Admin.PatchBin(ctx, id, []byte(`{"x":1}`), client.PatchBinOptions{IfMatch: cur.ETag}); err != nil {
			t.Errorf("patch with the current ETag: %v", err)
		}
	})
	t.Run("OtherContentTypeIs415", func(t *testing.T) {
		_, err := s.Admin.PatchBin(ctx, id, []byte(`{"x":2}`), client.PatchBinOptions{Type: "application/json"})
		MustAPIError(t, err, http.StatusUnsupportedMediaType, "")
	})
}

// TestBinMetaAndDelete: rename, privacy, delete, and what follows a delete.
func TestBinMetaAndDelete(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	id := MustCreate(t, s.Admin, `{"m":1}`, client.CreateBinOptions{}).Metadata.ID

	if r, err := s.Admin.RenameBin(ctx, id, "renamed"); err != nil || r.Record != id || r.Metadata.Name != "renamed" {
		t.Errorf("RenameBin = %+v, %v; want record %s, name renamed", r, err, id)
	}
	_, err := s.Admin.RenameBin(ctx, id, "")
	MustAPIError(t, err, http.StatusBadRequest, "X-Bin-Name cannot be blank or over 128 characters")
	if r, err := s.Admin.SetBinPrivacy(ctx, id, false); err != nil || r.Record != id || r.Metadata.Private {
		t.Errorf("SetBinPrivacy false = %+v, %v; want record %s, private false", r, err, id)
	}
	if b, err := client.New(s.URL).ReadBin(ctx, id, client.ReadBinOptions{}); err != nil || b.Metadata.Name != "renamed" {
		t.Errorf("read of the now public bin without a key = %v, %v; want it, named renamed", b, err)
	}

	old, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := s.Admin.UpdateBin(ctx, id, []byte(`{"m":2}`), client.UpdateBinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Admin.DeleteBin(ctx, id, client.DeleteBinOptions{IfMatch: old.ETag})
	if e := MustAPIError(t, err, http.StatusPreconditionFailed, ""); e.Header.Get("ETag") != cur.ETag {
		t.Errorf("DELETE with a stale If-Match: 412 carries ETag %q; want the current %q", e.Header.Get("ETag"), cur.ETag)
	}
	if _, err := s.Admin.ReadBin(ctx, id, client.ReadBinOptions{}); err != nil {
		t.Fatalf("bin gone after a DELETE refused with 412: %v", err)
	}
	d, err := s.Admin.DeleteBin(ctx, id, client.DeleteBinOptions{IfMatch: cur.ETag})
	if err != nil || d.Metadata.ID != id || d.Message != "Bin deleted successfully" {
		t.Fatalf("DeleteBin = %+v, %v; want id %s, Bin deleted successfully", d, err, id)
	}
	_, err = s.Admin.ReadBin(ctx, id, client.ReadBinOptions{})
	MustAPIError(t, err, http.StatusNotFound, "Bin not found or it doesn't belong to your account")
	if !client.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false after a delete", err)
	}
	_, err = s.Admin.DeleteBin(ctx, id, client.DeleteBinOptions{})
	MustAPIError(t, err, http.StatusNotFound, "Bin not found or it doesn't belong to your account")
}

// TestErrors: every non-2xx answer is a *client.Error with JSONBin's
// message verbatim, the status and the headers.
func TestErrors(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	id := MustCreate(t, s.Admin, `{"e":1}`, client.CreateBinOptions{}).Metadata.ID
	reader := s.MustAccessKey(t, "reader", client.Permissions{Read: true})
	anon := client.New(s.URL)
	badKey := client.New(s.URL, client.WithMasterKey("bv_mk_not-a-key"))

	for _, tc := range []struct {
		name    string
		call    func() error
		status  int
		message string
		header  [2]string // a header the error must carry
	}{
		{"MalformedIDIs400", func() error { _, err := s.Admin.ReadBin(ctx, "nope", client.ReadBinOptions{}); return err },
			400, "Invalid Bin Id provided", [2]string{}},
		{"UnknownBinIs404", func() error {
			_, err := s.Admin.ReadBin(ctx, "0123456789abcdef01234567", client.ReadBinOptions{})
			return err
		}, 404, "Bin not found or it doesn't belong to your account", [2]string{}},
		{"NilRecordIsBlank", func() error { _, err := s.Admin.CreateBin(ctx, nil, client.CreateBinOptions{}); return err },
			400, "Bin cannot be blank", [2]string{}},
		{"NonContainerIsInvalidJSON", func() error {
			_, err := s.Admin.UpdateBin(ctx, id, []byte(`"x"`), client.UpdateBinOptions{})
			return err
		},
			400, "Invalid JSON. Please try again", [2]string{}},
		{"NoKeyCreateIs401", func() error { _, err := anon.CreateBin(ctx, []byte(`{"a":1}`), client.CreateBinOptions{}); return err },
			401, "You need to pass X-Master-Key or X-Access-Key in the header to create a bin", [2]string{}},
		{"BadKeyIs401", func() error { _, err := badKey.ReadBin(ctx, id, client.ReadBinOptions{}); return err },
			401, "X-Master-Key is invalid or the bin doesn't belong to your account", [2]string{}},
		{"AccessKeyWithoutPermissionIs403", func() error { _, err := reader.DeleteBin(ctx, id, client.DeleteBinOptions{}); return err },
			403, "Access Key does not have permission to delete bins", [2]string{"X-Required-Permission", "bins.delete"}},
		{"UnknownRouteIs404", func() error { _, err := client.New(s.URL + "/elsewhere").Usage(ctx); return err },
			404, "Route not found", [2]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			e := MustAPIError(t, err, tc.status, tc.message)
			if tc.header[0] != "" && e.Header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("error header %s = %q; want %q", tc.header[0], e.Header.Get(tc.header[0]), tc.header[1])
			}
			if want := fmt.Sprintf(`{"message":%q}`, tc.message); string(e.Body) != want {
				t.Errorf("Body = %s; want %s", e.Body, want)
			}
			if !strings.Contains(e.Error(), tc.message) || !strings.Contains(e.Error(), fmt.Sprint(tc.status)) {
				t.Errorf("Error() = %q; want the status and the message", e.Error())
			}
			if got := client.StatusCode(fmt.Errorf("wrapped: %w", err)); got != tc.status {
				t.Errorf("StatusCode of the wrapped error = %d; want %d", got, tc.status)
			}
		})
	}

	t.Run("EmptyIDIsRefusedBeforeAnyRequest", func(t *testing.T) {
		var sent atomic.Int32
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent.Add(1) }))
		defer ts.Close()
		_, err := client.New(ts.URL).DeleteBin(ctx, "", client.DeleteBinOptions{})
		if err == nil || client.StatusCode(err) != 0 || sent.Load() != 0 {
			t.Errorf("DeleteBin(\"\") = %v after %d requests; want an error before any request", err, sent.Load())
		}
	})
	t.Run("NonJSONErrorBodyGivesTheStatusText", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream down", http.StatusBadGateway)
		}))
		defer ts.Close()
		_, err := client.New(ts.URL).Usage(ctx)
		if e := MustAPIError(t, err, http.StatusBadGateway, "Bad Gateway"); string(e.Body) != "upstream down\n" {
			t.Errorf("Body = %q; want the proxy's text", e.Body)
		}
	})
	t.Run("NetworkFailureIsNoStatus", func(t *testing.T) {
		ts := httptest.NewServer(http.NotFoundHandler())
		ts.Close()
		_, err := client.New(ts.URL).Usage(ctx)
		var e *client.Error
		if err == nil || errors.As(err, &e) || client.StatusCode(err) != 0 || client.IsNotFound(err) {
			t.Errorf("call to a closed server = %v; want a plain error with no status", err)
		}
	})
}

// TestRequestShape: what goes on the wire, seen by a recording server:
// the keys, the User-Agent, the base URL forms, id escaping, the PATCH
// media types and If-Match on DELETE.
func TestRequestShape(t *testing.T) {
	type seen struct {
		method, uri string
		header      http.Header
		body        string
	}
	var (
		mu  sync.Mutex
		got []seen
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/v3/c/") {
			io.WriteString(w, `[]`)
			return
		}
		io.WriteString(w, `{"record":{},"metadata":{}}`)
	}))
	defer ts.Close()
	var through atomic.Int32
	hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		through.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	ctx := t.Context()

	for _, tc := range []struct {
		name   string
		base   string
		opts   []client.Option
		call   func(*client.Client) error
		method string
		uri    string
		header map[string]string // "" value: must be absent
		body   string
	}{
		{"MasterKeyAndUserAgent", ts.URL, []client.Option{client.WithMasterKey("mk"), client.WithUserAgent("ua/1")},
			func(c *client.Client) error { _, err := c.ReadBin(ctx, "b1", client.ReadBinOptions{}); return err },
			"GET", "/v3/b/b1/latest", map[string]string{"X-Master-Key": "mk", "X-Access-Key": "", "User-Agent": "ua/1", "X-Bin-Meta": "", "Content-Type": ""}, ""},
		{"AccessKeyAndDefaultUserAgent", ts.URL + "/v3/", []client.Option{client.WithAccessKey("ak")},
			func(c *client.Client) error {
				_, err := c.ReadBinVersion(ctx, "b1", 3, client.ReadBinOptions{NoMeta: true, JSONPath: "$.a"})
				return err
			},
			"GET", "/v3/b/b1/3", map[string]string{"X-Access-Key": "ak", "X-Master-Key": "", "User-Agent": client.DefaultUserAgent, "X-Bin-Meta": "false", "X-JSON-Path": "$.a"}, ""},
		{"IDIsOnePathSegment", ts.URL, nil,
			func(c *client.Client) error { _, err := c.CountVersions(ctx, "../../v3/keys"); return err },
			"GET", "/v3/b/..%2F..%2Fv3%2Fkeys/versions/count", nil, ""},
		{"CreateSendsJSONAndOptions", ts.URL, nil,
			func(c *client.Client) error {
				_, err := c.CreateBin(ctx, []byte(`{"a":1}`), client.CreateBinOptions{Name: "n", Public: true, CollectionID: "c1"})
				return err
			},
			"POST", "/v3/b", map[string]string{"Content-Type": "application/json", "X-Bin-Private": "false", "X-Bin-Name": "n", "X-Collection-Id": "c1"}, `{"a":1}`},
		{"UpdateSendsVersioningAndIfMatch", ts.URL, nil,
			func(c *client.Client) error {
				_, err := c.UpdateBin(ctx, "b1", []byte(`[1]`), client.UpdateBinOptions{Versioning: true, IfMatch: `"4"`})
				return err
			},
			"PUT", "/v3/b/b1", map[string]string{"Content-Type": "application/json", "X-Bin-Versioning": "true", "If-Match": `"4"`}, `[1]`},
		{"PatchIsMergePatchByDefault", ts.URL, nil,
			func(c *client.Client) error {
				_, err := c.PatchBin(ctx, "b1", []byte(`{"a":null}`), client.PatchBinOptions{})
				return err
			},
			"PATCH", "/v3/b/b1", map[string]string{"Content-Type": "application/merge-patch+json", "If-Match": "", "X-Bin-Versioning": ""}, `{"a":null}`},
		{"JSONPatchWithIfMatch", ts.URL, nil,
			func(c *client.Client) error {
				_, err := c.PatchBin(ctx, "b1", []byte(`[]`), client.PatchBinOptions{Type: client.JSONPatch, Versioning: true, IfMatch: `"5"`})
				return err
			},
			"PATCH", "/v3/b/b1", map[string]string{"Content-Type": "application/json-patch+json", "If-Match": `"5"`, "X-Bin-Versioning": "true"}, `[]`},
		{"DeleteSendsIfMatch", ts.URL, nil,
			func(c *client.Client) error {
				_, err := c.DeleteBin(ctx, "b1", client.DeleteBinOptions{IfMatch: `"6"`})
				return err
			},
			"DELETE", "/v3/b/b1", map[string]string{"If-Match": `"6"`, "Content-Type": ""}, ""},
		{"CollectionPageAfterAscending", ts.URL, nil,
			func(c *client.Client) error {
				_, err := c.CollectionBins(ctx, client.Uncategorized, client.CollectionBinsOptions{After: "b9", Ascending: true})
				return err
			},
			"GET", "/v3/c/uncategorized/bins/b9", map[string]string{"X-Sort-Order": "ascending"}, ""},
		{"ActivityQuery", ts.URL, nil,
			func(c *client.Client) error {
				_, err := c.ListActivity(ctx, client.ActivityQuery{AuthMethod: "api_key", Before: "12", Limit: 5, Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
				return err
			},
			"GET", "/v3/activity?authMethod=api_key&before=12&limit=5&since=2026-01-02T03%3A04%3A05Z", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			before := through.Load()
			c := client.New(tc.base, append(tc.opts, client.WithHTTPClient(hc))...)
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || through.Load() != before+1 {
				t.Fatalf("%d requests reached the server, %d went through the given http.Client; want 1 each", len(got), through.Load()-before)
			}
			r := got[0]
			if r.method != tc.method || r.uri != tc.uri || r.body != tc.body {
				t.Errorf("sent %s %s %q; want %s %s %q", r.method, r.uri, r.body, tc.method, tc.uri, tc.body)
			}
			for name, want := range tc.header {
				if v := r.header.Get(name); v != want {
					t.Errorf("header %s = %q; want %q", name, v, want)
				}
			}
		})
	}
}

// jsonEqual reports whether got holds the same JSON value as want, whatever
// the key order.
func jsonEqual(got []byte, want string) bool {
	var g, w any
	return json.Unmarshal(got, &g) == nil && json.Unmarshal([]byte(want), &w) == nil && reflect.DeepEqual(g, w)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
