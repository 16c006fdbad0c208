package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/binvault/binvault/client"
)

// TestBinImport: a directory of .json files or a JSON array file becomes
// one bin per file or element; ids go to stdout in order, progress to
// stderr.
func TestBinImport(t *testing.T) {
	srv := MustServe(t, t.TempDir())
	env := map[string]string{"BINVAULT_URL": srv.URL, "BINVAULT_KEY": srv.AdminKey}
	api := srv.NewClient(srv.AdminKey)
	ctx := t.Context()

	t.Run("DirectoryOneBinPerJSONFileNamedAfterIt", func(t *testing.T) {
		dir := t.TempDir()
		files := map[string]string{"b-bob.json": `{"user":"bob"}`, "a-ada.json": `{"user":"ada"}`, "c-cy.json": `[1,2,3]`}
		for name, content := range files {
			mustWrite(t, dir, name, content)
		}
		mustWrite(t, dir, "notes.txt", "not json")
		if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o700); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, err := runCLI(ctx, env, "bin", "import", dir)
		if err != nil {
			t.Fatalf("bin import %s: %v\n%s", dir, err, stderr)
		}
		ids := mustIDLines(t, stdout, 3)
		for i, name := range []string{"a-ada", "b-bob", "c-cy"} {
			b, err := api.ReadBin(ctx, ids[i], client.ReadBinOptions{})
			if err != nil || string(b.Record) != files[name+".json"] || b.Metadata.Name != name {
				t.Errorf("bin %d (%s) = %v, %v; want record %s named %s", i, ids[i], b, err, files[name+".json"], name)
			}
		}
		if !strings.HasSuffix(stderr, "\n") || !strings.HasPrefix(lastLine(stderr), "imported 3 bins from "+dir+" in ") {
			t.Errorf("stderr %q; want a final summary", stderr)
		}
	})
	t.Run("ArrayFileIntoACollectionWithThrottledProgress", func(t *testing.T) {
		coll, err := api.CreateCollection(ctx, "imported")
		if err != nil {
			t.Fatal(err)
		}
		var elems []string
		for i := range 25 {
			elems = append(elems, fmt.Sprintf(`{"i":%d}`, i))
		}
		f := mustWrite(t, t.TempDir(), "all.json", "[\n"+strings.Join(elems, ",\n")+"\n]")
		stdout, stderr, err := runCLI(ctx, env, "bin", "import", "--collection", coll.Record, "--private=false", f)
		if err != nil {
			t.Fatalf("bin import: %v\n%s", err, stderr)
		}
		ids := mustIDLines(t, stdout, 25)
		for i, id := range ids {
			if got := mustRecord(t, srv.NewClient(""), id); string(got) != elems[i] {
				t.Errorf("bin %d holds %s; want %s (public, in order)", i, got, elems[i])
			}
		}
		var listed int
		for after := ""; ; {
			page, err := api.CollectionBins(ctx, coll.Record, client.CollectionBinsOptions{After: after})
			if err != nil {
				t.Fatal(err)
			}
			if listed += len(page); len(page) < 10 {
				break
			}
			after = page[len(page)-1].Record
		}
		if listed != 25 {
			t.Errorf("the collection holds %d bins; want 25", listed)
		}
		progress := regexp.MustCompile(`(?m)^imported (\d+)/25$`).FindAllStringSubmatch(stderr, -1)
		if len(progress) < 3 || len(progress) > 10 || progress[len(progress)-1][1] == "25" {
			t.Errorf("stderr %q: %d progress lines; want between 3 and 10, before the summary", stderr, len(progress))
		}
		if !strings.HasPrefix(lastLine(stderr), "imported 25 bins from ") {
			t.Errorf("stderr %q; want a final summary", stderr)
		}
	})
	t.Run("FirstFailureStopsAndSaysWhatWasImported", func(t *testing.T) {
		f := mustWrite(t, t.TempDir(), "bad.json", `[{"a":1},{"b":2},{},{"d":4}]`)
		stdout, _, err := runCLI(ctx, env, "bin", "import", f)
		mustIDLines(t, stdout, 2)
		if err == nil || !strings.Contains(err.Error(), f+"[2]: create: Bin cannot be blank (400)") || !strings.Contains(err.Error(), "2 of 4 bins were imported") {
			t.Errorf("import with a blank third element: %v; want it named, with the server's message and the count", err)
		}
	})
	t.Run("NotAnArrayIsRefusedBeforeAnyCreate", func(t *testing.T) {
		f := mustWrite(t, t.TempDir(), "obj.json", `{"a":1}`)
		stdout, _, err := runCLI(ctx, env, "bin", "import", f)
		if err == nil || !strings.Contains(err.Error(), "want a JSON array") || stdout != "" {
			t.Errorf("import of an object: %v, stdout %q; want a refusal and no ids", err, stdout)
		}
	})
}

// TestBinImportWaitsOutRefusals: a create answered 429 (or 503) is sent
// again after its Retry-After, a bounded number of times.
func TestBinImportWaitsOutRefusals(t *testing.T) {
	srv := MustServe(t, t.TempDir())
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	f := mustWrite(t, t.TempDir(), "two.json", `[{"n":1},{"n":2}]`)
	for _, tc := range []struct {
		name    string
		refuse  int32 // how many creates to refuse first
		status  int
		wantIDs int
		wantErr string
	}{
		{"OneRateLimitIsWaitedOut", 1, http.StatusTooManyRequests, 2, ""},
		{"UnavailableIsWaitedOut", 2, http.StatusServiceUnavailable, 2, ""},
		{"GivesUpAfterFiveTries", 100, http.StatusTooManyRequests, 0, "create: Too many requests. Retry after 0 seconds (429)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var posts atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && posts.Add(1) <= tc.refuse {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(tc.status)
					fmt.Fprint(w, `{"message":"Too many requests. Retry after 0 seconds"}`)
					return
				}
				proxy.ServeHTTP(w, r)
			}))
			defer ts.Close()
			env := map[string]string{"BINVAULT_URL": ts.URL, "BINVAULT_KEY": srv.AdminKey}
			stdout, stderr, err := runCLI(t.Context(), env, "bin", "import", f)
			mustIDLines(t, stdout, tc.wantIDs)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("import: %v\n%s", err, stderr)
			} else if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("import: %v; want an error with %q", err, tc.wantErr)
			}
			wantPosts := int32(2) + tc.refuse
			if tc.wantErr != "" {
				wantPosts = importTries
			}
			if n := posts.Load(); n != wantPosts {
				t.Errorf("%d creates sent; want %d", n, wantPosts)
			}
			if !strings.Contains(stderr, fmt.Sprintf("server answered %d; trying again in 0s", tc.status)) {
				t.Errorf("stderr %q; want each wait reported", stderr)
			}
		})
	}
}

// mustIDLines checks that out is exactly n lines, each a bin id.
func mustIDLines(tb testing.TB, out string, n int) []string {
	tb.Helper()
	ids := strings.Fields(out)
	if len(ids) != n || strings.Count(out, "\n") != n {
		tb.Fatalf("stdout %q; want %d lines of bin ids", out, n)
	}
	for _, id := range ids {
		if !idPattern.MatchString(id) {
			tb.Fatalf("stdout line %q is not a bin id", id)
		}
	}
	return ids
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
