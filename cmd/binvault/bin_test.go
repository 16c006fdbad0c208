package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/binvault/binvault/client"
)

// NewClient returns a client of the server sending key: an access key as
// X-Access-Key, anything else as X-Master-Key, nothing when key is "".
func (s *testServer) NewClient(key string) *client.Client {
	opts := []client.Option{client.WithHTTPClient(s.Client)}
	switch {
	case key == "":
	case strings.HasPrefix(key, "bv_ak_"):
		opts = append(opts, client.WithAccessKey(key))
	default:
		opts = append(opts, client.WithMasterKey(key))
	}
	return client.New(s.URL, opts...)
}

// mustCreateBin creates a bin holding record with c and returns its id.
func mustCreateBin(tb testing.TB, c *client.Client, record string) string {
	tb.Helper()
	b, err := c.CreateBin(tb.Context(), []byte(record), client.CreateBinOptions{})
	if err != nil {
		tb.Fatalf("create bin %s: %v", record, err)
	}
	if !idPattern.MatchString(b.Metadata.ID) {
		tb.Fatalf("create bin: metadata.id %q is not a bin id; body %s", b.Metadata.ID, b.Raw)
	}
	return b.Metadata.ID
}

// mustRecord reads a bin's newest record, as stored, with c.
func mustRecord(tb testing.TB, c *client.Client, id string) []byte {
	tb.Helper()
	b, err := c.ReadBin(tb.Context(), id, client.ReadBinOptions{NoMeta: true})
	if err != nil {
		tb.Fatalf("read bin %s: %v", id, err)
	}
	return b.Record
}

// mustRefusal fails the test unless err is the server's answer with the
// status and, unless body is "", exactly that body.
func mustRefusal(tb testing.TB, what string, err error, status int, body string) {
	tb.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		tb.Errorf("%s: %v; want the server's %d %s", what, err, status, body)
		return
	}
	if e.StatusCode != status || (body != "" && string(e.Body) != body) {
		tb.Errorf("%s = %d %s; want %d %s", what, e.StatusCode, e.Body, status, body)
	}
}

// withStdin makes standard input read content until the test ends.
func withStdin(tb testing.TB, content string) {
	tb.Helper()
	f, err := os.CreateTemp(tb.TempDir(), "stdin")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		tb.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = f
	tb.Cleanup(func() { os.Stdin = old; f.Close() })
}

// mustWrite writes a file under dir and returns its path.
func mustWrite(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// binOut is what a `bin` command prints for a record with metadata.
type binOut struct {
	Record   json.RawMessage
	Metadata struct {
		ID, ParentID, Name, CollectionID string
		Private                          bool
		Version                          *int
	}
}

// mustBinOut decodes a command's stdout, which must be one line of JSON.
func mustBinOut(tb testing.TB, stdout string) binOut {
	tb.Helper()
	var out binOut
	if !strings.HasSuffix(stdout, "}\n") || strings.Count(stdout, "\n") != 1 {
		tb.Fatalf("stdout = %q; want one line of JSON", stdout)
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		tb.Fatalf("stdout %q: %v", stdout, err)
	}
	return out
}

var etagLine = regexp.MustCompile(`(?m)^ETag: ("\d+")$`)

// TestBinCommands runs `bin create|get|put|patch|delete` against a real
// server over HTTP and checks each through the client.
func TestBinCommands(t *testing.T) {
	srv := MustServe(t, t.TempDir())
	env := map[string]string{"BINVAULT_URL": srv.URL, "BINVAULT_KEY": srv.AdminKey}
	api, anon := srv.NewClient(srv.AdminKey), srv.NewClient("")
	ctx := t.Context()
	dir := t.TempDir()
	coll, err := api.CreateCollection(ctx, "cli")
	if err != nil {
		t.Fatal(err)
	}

	var id, firstETag string // the bin the later subtests work on, and its ETag as created
	t.Run("CreateFromFilePrintsTheServersAnswer", func(t *testing.T) {
		f := mustWrite(t, dir, "rec.json", `{"a":[1,2],"b":"x"}`)
		out := mustBinOut(t, MustRunCLI(t, env, "bin", "create", "--file", f, "--name", "from file", "--collection", coll.Record))
		m := out.Metadata
		if string(out.Record) != `{"a":[1,2],"b":"x"}` || !m.Private || m.Name != "from file" || m.CollectionID != coll.Record || !idPattern.MatchString(m.ID) {
			t.Fatalf("bin create printed %+v; want the record, private, named, in the collection", out)
		}
		id = m.ID
		b, err := api.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
		if err != nil || string(b.Record) != `{"a":[1,2],"b":"x"}` {
			t.Fatalf("the server holds %v (%v)", b, err)
		}
		firstETag = b.ETag
	})
	t.Run("CreatePublicFromStdinDash", func(t *testing.T) {
		withStdin(t, `[{"n":1}]`)
		out := mustBinOut(t, MustRunCLI(t, env, "bin", "create", "--private=false", "-"))
		if out.Metadata.Private {
			t.Fatalf("--private=false made %+v", out)
		}
		if got := mustRecord(t, anon, out.Metadata.ID); string(got) != `[{"n":1}]` {
			t.Errorf("a public bin read without a key holds %s", got)
		}
	})
	t.Run("GetPrintsTheRecordAsStoredAndTheETag", func(t *testing.T) {
		stdout, stderr, err := runCLI(ctx, env, "bin", "get", id)
		if err != nil {
			t.Fatal(err)
		}
		b, err := api.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
		if err != nil {
			t.Fatal(err)
		}
		if stdout != string(b.Record)+"\n" {
			t.Errorf("bin get printed %q; want the record %s alone", stdout, b.Record)
		}
		if m := etagLine.FindStringSubmatch(stderr); m == nil || m[1] != b.ETag {
			t.Errorf("bin get stderr %q; want the line ETag: %s", stderr, b.ETag)
		}
	})
	t.Run("PutVersioningThenGetVersionMetaAndPath", func(t *testing.T) {
		f := mustWrite(t, dir, "v1.json", `{"a":[3],"b":"y"}`)
		out := mustBinOut(t, MustRunCLI(t, env, "bin", "put", "--versioning", "--file", f, id))
		if out.Metadata.ParentID != id || out.Metadata.Version == nil || *out.Metadata.Version != 1 {
			t.Fatalf("bin put --versioning printed %+v; want parentId and version 1", out)
		}
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"Latest", []string{"--version", "latest"}, `{"a":[3],"b":"y"}`},
			{"VersionZero", []string{"--version", "0"}, `{"a":[1,2],"b":"x"}`},
			{"Path", []string{"--path", "$.a[*]"}, `[3]`},
			{"PathOfAVersion", []string{"--version", "0", "--path", "$.b"}, `["x"]`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := MustRunCLI(t, env, append([]string{"bin", "get", id}, tc.args...)...); got != tc.want+"\n" {
					t.Errorf("bin get %v = %q; want %s", tc.args, got, tc.want)
				}
			})
		}
		meta := mustBinOut(t, MustRunCLI(t, env, "bin", "get", "--meta", id))
		if string(meta.Record) != `{"a":[3],"b":"y"}` || meta.Metadata.ID != id || meta.Metadata.Name != "from file" {
			t.Errorf("bin get --meta printed %+v; want record and metadata", meta)
		}
	})
	t.Run("PutWithStaleIfMatchIsRefusedWithTheCurrentETag", func(t *testing.T) {
		cur, err := api.ReadBin(ctx, id, client.ReadBinOptions{NoMeta: true})
		if err != nil {
			t.Fatal(err)
		}
		withStdin(t, `{"lost":"update"}`)
		stdout, _, err := runCLI(ctx, env, "bin", "put", "--if-match", firstETag, id)
		if client.StatusCode(err) != http.StatusPreconditionFailed || err == nil || !strings.Contains(err.Error(), "The bin has changed since you read it: read it again and retry") ||
			!strings.Contains(err.Error(), "ETag is now "+cur.ETag) || stdout != "" {
			t.Fatalf("stale --if-match: %v, stdout %q; want a 412 naming the current ETag %s, nothing on stdout", err, stdout, cur.ETag)
		}
		if got := mustRecord(t, api, id); string(got) != string(cur.Record) {
			t.Errorf("after the refused put the bin holds %s; want %s", got, cur.Record)
		}
		withStdin(t, `{"a":[4],"b":"z"}`)
		_, stderr, err := runCLI(ctx, env, "bin", "put", "--if-match", cur.ETag, id, "-")
		if err != nil {
			t.Fatalf("put with the current ETag: %v", err)
		}
		if m := etagLine.FindStringSubmatch(stderr); m == nil || m[1] == cur.ETag {
			t.Errorf("put stderr %q; want the new ETag", stderr)
		}
	})
	t.Run("PatchMergeByDefaultAndJSONPatch", func(t *testing.T) {
		withStdin(t, `{"b":null,"c":true}`)
		out := mustBinOut(t, MustRunCLI(t, env, "bin", "patch", id))
		if !jsonSame(out.Record, `{"a":[4],"c":true}`) || out.Metadata.ParentID != id {
			t.Errorf("bin patch (merge) printed %+v; want record {\"a\":[4],\"c\":true}", out)
		}
		f := mustWrite(t, dir, "ops.json", `[{"op":"add","path":"/a/-","value":5},{"op":"remove","path":"/c"}]`)
		out = mustBinOut(t, MustRunCLI(t, env, "bin", "patch", "--json-patch", "--file", f, id))
		if !jsonSame(out.Record, `{"a":[4,5]}`) {
			t.Errorf("bin patch --json-patch printed %+v; want record {\"a\":[4,5]}", out)
		}
		_, _, err := runCLI(ctx, env, "bin", "patch", "--if-match", firstETag, "--file", f, id)
		if client.StatusCode(err) != http.StatusPreconditionFailed {
			t.Errorf("patch with a stale --if-match: %v; want 412", err)
		}
		if got := mustRecord(t, api, id); !jsonSame(got, `{"a":[4,5]}`) {
			t.Errorf("after the refused patch the bin holds %s", got)
		}
	})
	t.Run("DeleteHonoursIfMatchAndPrintsTheServersAnswer", func(t *testing.T) {
		_, _, err := runCLI(ctx, env, "bin", "delete", "--if-match", firstETag, id)
		if client.StatusCode(err) != http.StatusPreconditionFailed {
			t.Fatalf("delete with a stale --if-match: %v; want 412", err)
		}
		mustRecord(t, api, id) // still there
		out := MustRunCLI(t, env, "bin", "delete", id)
		if want := `{"metadata":{"id":"` + id + `","versionsDeleted":1},"message":"Bin deleted successfully"}` + "\n"; out != want {
			t.Errorf("bin delete printed %q; want %q", out, want)
		}
		stdout, _, err := runCLI(ctx, env, "bin", "get", id)
		if err == nil || !strings.Contains(err.Error(), "Bin not found or it doesn't belong to your account (404)") || stdout != "" {
			t.Errorf("bin get after delete: %v, stdout %q; want the 404 message and nothing on stdout", err, stdout)
		}
	})
}

// jsonSame reports whether got holds the JSON value want, whatever the key
// order.
func jsonSame(got []byte, want string) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	a, _ := json.Marshal(g)
	b, _ := json.Marshal(w)
	return string(a) == string(b)
}

// TestBinKeysAndURL: which header a key goes in, and where the URL and the
// key come from.
func TestBinKeysAndURL(t *testing.T) {
	srv := MustServe(t, t.TempDir())
	api := srv.NewClient(srv.AdminKey)
	id := mustCreateBin(t, api, `{"k":1}`)
	ak, err := api.CreateAccessKey(t.Context(), "reader", client.Permissions{Read: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string // "" for success
	}{
		{"EnvGivesURLAndKey", map[string]string{"BINVAULT_URL": srv.URL, "BINVAULT_KEY": srv.AdminKey}, []string{"get", id}, ""},
		{"FlagsWinOverEnv", map[string]string{"BINVAULT_URL": closed.URL, "BINVAULT_KEY": "bv_mk_wrong"}, []string{"get", "--url", srv.URL, "--key", srv.AdminKey, id}, ""},
		{"URLWithV3Works", nil, []string{"get", "--url", srv.URL + "/v3/", "--key", srv.AdminKey, id}, ""},
		{"AccessKeyIsSentAsAccessKey", map[string]string{"BINVAULT_URL": srv.URL, "BINVAULT_KEY": ak.AccessKey}, []string{"get", id}, ""},
		{"AccessKeyKeepsItsLimits", map[string]string{"BINVAULT_URL": srv.URL, "BINVAULT_KEY": ak.AccessKey}, []string{"delete", id},
			"bin delete: Access Key does not have permission to delete bins (403)"},
		{"NoKeyForAPrivateBin", map[string]string{"BINVAULT_URL": srv.URL}, []string{"get", id},
			"bin get: You need to pass X-Master-Key or X-Access-Key in the header to read a private bin (401)"},
		{"BadMasterKey", map[string]string{"BINVAULT_URL": srv.URL, "BINVAULT_KEY": "bv_mk_wrong"}, []string{"get", id},
			"bin get: X-Master-Key is invalid or the bin doesn't belong to your account (401)"},
		{"UnreachableServer", map[string]string{"BINVAULT_URL": closed.URL, "BINVAULT_KEY": srv.AdminKey}, []string{"get", id},
			"bin get: GET /v3/b/" + id + "/latest: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, err := runCLI(t.Context(), tc.env, append([]string{"bin"}, tc.args...)...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("bin %v: %v", tc.args, err)
			case tc.wantErr == "" && stdout != `{"k":1}`+"\n":
				t.Errorf("bin %v printed %q; want the record", tc.args, stdout)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || stdout != ""):
				t.Errorf("bin %v: %v, stdout %q; want an error starting %q and no stdout", tc.args, err, stdout, tc.wantErr)
			}
		})
	}
	if _, err := api.ReadBin(t.Context(), id, client.ReadBinOptions{}); err != nil {
		t.Errorf("the access key's refused delete deleted the bin: %v", err)
	}
}

// TestBinUsageErrors: command lines that cannot be understood are usage
// errors that send nothing.
func TestBinUsageErrors(t *testing.T) {
	var requests atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer ts.Close()
	env := map[string]string{"BINVAULT_URL": ts.URL}
	f := mustWrite(t, t.TempDir(), "r.json", `{"a":1}`)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"UnknownSubcommand", []string{"frob"}},
		{"NoSubcommand", nil},
		{"GetWithoutID", []string{"get"}},
		{"GetWithTwoIDs", []string{"get", "a", "b"}},
		{"GetBadVersion", []string{"get", "--version", "new", "0123456789abcdef01234567"}},
		{"GetNegativeVersion", []string{"get", "--version", "-1", "0123456789abcdef01234567"}},
		{"CreateWithAnID", []string{"create", "--file", f, "0123456789abcdef01234567"}},
		{"PutFileAndDash", []string{"put", "--file", f, "0123456789abcdef01234567", "-"}},
		{"PatchMergeAndJSONPatch", []string{"patch", "--merge", "--json-patch", "--file", f, "0123456789abcdef01234567"}},
		{"DeleteWithDash", []string{"delete", "0123456789abcdef01234567", "-"}},
		{"ImportWithoutPath", []string{"import"}},
		{"UnknownFlag", []string{"get", "--colour", "0123456789abcdef01234567"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t.Context(), env, append([]string{"bin"}, tc.args...)...)
			if !errors.Is(err, errUsage) || stdout != "" || stderr == "" {
				t.Errorf("bin %v: %v, stdout %q, stderr %q; want a usage error explained on stderr", tc.args, err, stdout, stderr)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("usage errors sent %d requests; want none", n)
	}
}
