package client_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault/client"
)

// TestKeys: access keys and API keys are created, listed without their
// secret, work, and are refused once deleted or revoked.
func TestKeys(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	id := MustCreate(t, s.Admin, `{"k":1}`, client.CreateBinOptions{}).Metadata.ID

	t.Run("AccessKey", func(t *testing.T) {
		perms := client.Permissions{Read: true, Create: true}
		k, err := s.Admin.CreateAccessKey(ctx, "ro", perms)
		if err != nil || !strings.HasPrefix(k.AccessKey, "bv_ak_") || k.KeyPermissions.Bins != perms || k.Metadata.Name != "ro" || !idPattern.MatchString(k.AccessKeyID) {
			t.Fatalf("CreateAccessKey = %+v, %v", k, err)
		}
		ak := client.New(s.URL, client.WithAccessKey(k.AccessKey))
		if _, err := ak.ReadBin(ctx, id, client.ReadBinOptions{}); err != nil {
			t.Errorf("read with the access key: %v", err)
		}
		_, err = ak.UpdateBin(ctx, id, []byte(`{"k":2}`), client.UpdateBinOptions{})
		MustAPIError(t, err, http.StatusForbidden, "Access Key does not have permission to update bins")

		ks, err := s.Admin.ListAccessKeys(ctx)
		if err != nil || len(ks) != 1 || ks[0].AccessKeyID != k.AccessKeyID || ks[0].KeyPermissions.Bins != perms || !strings.HasPrefix(k.AccessKey, ks[0].AccessKeyPrefix) {
			t.Errorf("ListAccessKeys = %+v, %v; want the key by id, permissions and prefix", ks, err)
		}
		d, err := s.Admin.DeleteAccessKey(ctx, k.AccessKeyID)
		if err != nil || d.Metadata.ID != k.AccessKeyID || d.Metadata.Name != "ro" || d.Message != "Access Key deleted successfully" {
			t.Errorf("DeleteAccessKey = %+v, %v", d, err)
		}
		_, err = ak.ReadBin(ctx, id, client.ReadBinOptions{})
		MustAPIError(t, err, http.StatusUnauthorized, "X-Access-Key is invalid or the bin doesn't belong to your account")
	})

	t.Run("APIKey", func(t *testing.T) {
		k, err := s.Admin.CreateAPIKey(ctx, "deploy")
		if err != nil || !strings.HasPrefix(k.Key, "bv_mk_") || k.Name != "deploy" || !strings.HasPrefix(k.Key, k.Prefix) || k.CreatedAt.IsZero() {
			t.Fatalf("CreateAPIKey = %+v, %v", k, err)
		}
		mk := client.New(s.URL, client.WithMasterKey(k.Key))
		ks, err := mk.ListAPIKeys(ctx)
		if err != nil || len(ks) != 2 {
			t.Fatalf("ListAPIKeys with the new key = %+v, %v; want the admin's two keys", ks, err)
		}
		for _, l := range ks {
			if strings.Contains(fmt.Sprintf("%+v", l), k.Key[6:]) {
				t.Errorf("ListAPIKeys shows a secret: %+v", l)
			}
		}
		if d, err := s.Admin.RevokeAPIKey(ctx, k.ID); err != nil || d.Metadata.ID != k.ID || d.Message != "API key revoked successfully" {
			t.Errorf("RevokeAPIKey = %+v, %v", d, err)
		}
		_, err = mk.ListAPIKeys(ctx)
		MustAPIError(t, err, http.StatusUnauthorized, "Invalid X-Master-Key provided")
	})
}

// TestActivityUsageAndLogs: the account's usage, its activity log (paged),
// and the JSONBin usage-log routes over the same entries.
func TestActivityUsageAndLogs(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	if err := s.Admin.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	for i := range 3 {
		MustCreate(t, s.Admin, fmt.Sprintf(`{"i":%d}`, i), client.CreateBinOptions{})
	}
	u, err := s.Admin.Usage(ctx)
	if err != nil || u.Bins.Used != 3 || u.Bins.Limit != nil || u.BinSize.Limit != 64<<10 || !u.Versioning.Allowed || u.Period == "" {
		t.Fatalf("Usage = %+v, %v; want 3 bins of no limit, 64 KiB bins, versioning", u, err)
	}

	// Requests with an access key are the only access_key entries, so the
	// reads of the log, made with the API key, do not get between them.
	k, err := s.Admin.CreateAccessKey(ctx, "activity", client.Permissions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	tagged := client.New(s.URL, client.WithAccessKey(k.AccessKey), client.WithUserAgent("activity-test/1"))
	first := MustCreate(t, tagged, `{"tagged":1}`, client.CreateBinOptions{}).Metadata.ID
	second := MustCreate(t, tagged, `{"tagged":2}`, client.CreateBinOptions{}).Metadata.ID
	query := client.ActivityQuery{AuthMethod: "access_key", Limit: 1}
	pollUntil(t, 10*time.Second, "both access-key creates in the activity log", func() bool {
		all, err := s.Admin.ListActivity(ctx, client.ActivityQuery{AuthMethod: "access_key"})
		if err != nil {
			t.Fatal(err)
		}
		return len(all.Activity) == 2
	})
	page, err := s.Admin.ListActivity(ctx, query)
	if err != nil || len(page.Activity) != 1 || page.NextCursor == "" {
		t.Fatalf("first page of 1 = %+v, %v; want one entry and a cursor", page, err)
	}
	a := page.Activity[0]
	if a.Method != "POST" || a.Route != "POST /v3/b" || a.Status != 200 || a.ResourceID != second || a.KeyID != k.AccessKeyID ||
		a.UserAgent != "activity-test/1" || a.At.IsZero() {
		t.Errorf("newest access-key activity %+v; want the POST /v3/b of %s with key %s and the User-Agent", a, second, k.AccessKeyID)
	}
	query.Before = page.NextCursor
	if older, err := s.Admin.ListActivity(ctx, query); err != nil || len(older.Activity) != 1 || older.Activity[0].ResourceID != first {
		t.Errorf("next page = %+v, %v; want the create of %s", older, err, first)
	}

	days, err := s.Admin.LogDays(ctx)
	if err != nil || len(days) != 1 {
		t.Fatalf("LogDays = %v, %v; want today", days, err)
	}
	zipped, err := s.Admin.LogOfDay(ctx, days[0])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != days[0]+".json" {
		t.Fatalf("LogOfDay is not a zip of %s.json: %v", days[0], err)
	}
	_, err = s.Admin.LogOfDay(ctx, "2026-01-01")
	MustAPIError(t, err, http.StatusBadRequest, "Invalid date provided. Use DD-MM-YYYY")
}
