package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/binvault/binvault/schema"
)

func TestParseScenarios(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // nil: an error is expected
	}{
		{"DefaultIsReadUpdateCreate", strings.Join(defaultScenarios(), ","), []string{"read", "update", "create"}},
		{"CollectionScenariosRunUpdatesFirst", "create-coll,create-schema,update-coll,update-schema",
			[]string{"update-coll", "update-schema", "create-coll", "create-schema"}},
		{"AnyCombinationInCanonicalOrder", " create-schema, read ,update-coll", []string{"read", "update-coll", "create-schema"}},
		{"DuplicatesDropped", "create,create,,create", []string{"create"}},
		{"UnknownRefused", "read,delete", nil},
		{"EmptyRefused", " , ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseScenarios(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parseScenarios(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("parseScenarios(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestUserPayloadMatchesSchema checks the bodies against binvault's own
// validator, so a schema or payload edit that would turn every *-schema
// request into a 400 fails here rather than mid-run.
func TestUserPayloadMatchesSchema(t *testing.T) {
	v := schema.New()
	if err := v.Check([]byte(userSchema)); err != nil {
		t.Fatalf("userSchema is not a usable schema: %v", err)
	}
	for _, seq := range []int{0, 1, updateBins, 1000, 2000, 3000, 123456} {
		good := userPayload(recordSize, seq)
		if len(good) != recordSize || !json.Valid(good) {
			t.Errorf("seq %d: %d bytes, valid JSON %v; want %d bytes of JSON", seq, len(good), json.Valid(good), recordSize)
		}
		if err := v.Validate("bench", 1, []byte(userSchema), good); err != nil {
			t.Errorf("seq %d: payload does not match the schema: %v", seq, err)
		}
		var mismatch *schema.Mismatch
		if err := v.Validate("bench", 1, []byte(userSchema), invalidUserPayload(recordSize, seq)); !errors.As(err, &mismatch) {
			t.Errorf("seq %d: invalid payload: err = %v, want a schema mismatch", seq, err)
		}
	}
}

func TestBareHandlerPicksRouteByPathAndCollection(t *testing.T) {
	resp := func(body string) cannedResponse {
		return cannedResponse{ContentType: "application/json", Body: []byte(body)}
	}
	h := bareHandler([]bareRoute{
		{Method: "POST", Path: "/v3/b", Response: resp("create")},
		{Method: "POST", Path: "/v3/b", CollectionID: "c1", Response: resp("create-c1")},
		{Method: "PUT", Path: "/v3/b/1", Response: resp("update-1")},
		{Method: "PUT", Path: "/v3/b/2", Response: resp("update-2")},
	})
	tests := []struct {
		name, method, path, coll string
		status                   int
		body                     string
	}{
		{"CreateWithoutCollection", "POST", "/v3/b", "", 200, "create"},
		{"CreateInCollection", "POST", "/v3/b", "c1", 200, "create-c1"},
		{"UpdateByBinPath", "PUT", "/v3/b/2", "", 200, "update-2"},
		{"HealthForStartup", "GET", bareHealthPath, "", 200, "ok\n"},
		{"UnknownCollectionIsNotFound", "POST", "/v3/b", "c2", 404, ""},
		{"UnknownPathIsNotFound", "PUT", "/v3/b/3", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader("{}"))
			if tt.coll != "" {
				r.Header.Set("X-Collection-Id", tt.coll)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got, _ := io.ReadAll(w.Result().Body)
			if w.Code != tt.status || (tt.status == http.StatusOK && string(got) != tt.body) {
				t.Errorf("%s %s: status %d body %q; want %d %q", tt.method, tt.path, w.Code, got, tt.status, tt.body)
			}
		})
	}
}

func TestSchemaRatioLines(t *testing.T) {
	run := func(scenario, target string, rps float64, non2xx int64) measurement {
		return measurement{scenario: scenario, target: target, result: wrkResult{RequestsPerSec: rps, Non2xx: non2xx}}
	}
	ms := []measurement{
		run("update-coll", "binvault", 2000, 0), run("update-coll", "bare", 40000, 0),
		run("update-schema", "binvault", 1500, 3), run("update-schema", "bare", 40000, 0),
		run("create-coll", "binvault", 1000, 0), run("create-coll", "bare", 40000, 0),
	}
	got := schemaRatioLines(ms, "binvault")
	want := []string{"update: schema/no-schema req/s = 0.750 ⚠️ (update-schema 1500 ÷ update-coll 2000)"}
	if !slices.Equal(got, want) {
		t.Errorf("schemaRatioLines =\n%q\nwant (create is half measured, so no line)\n%q", got, want)
	}
}

// TestVerifyValidationRefusesUnvalidatedRun runs the pre-measurement check
// against fake servers: only one that refuses the bad record in the schema
// collection with the mismatch message, and takes it in the plain one, may
// pass, so a *-schema run can never silently measure no validation.
func TestVerifyValidationRefusesUnvalidatedRun(t *testing.T) {
	const plain, schemed, doc = "p0000000000000000000000p", "s0000000000000000000000s", "d0000000000000000000000d"
	mismatch := `{"message":"Schema Doc Validation Mismatch:  /status: must be equal to one of the allowed values","schemaDocID":"` + doc + `"}`
	tests := []struct {
		name         string
		schemedReply string
		schemedCode  int
		plainCode    int
		ok           bool
	}{
		{"ValidatingServerPasses", mismatch, 400, 200, true},
		{"SchemaCollectionAcceptingFails", `{"record":{},"metadata":{}}`, 200, 200, false},
		{"OtherBadRequestFails", `{"message":"Invalid JSON"}`, 400, 200, false},
		{"PlainCollectionRefusingFails", mismatch, 400, 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method != http.MethodPost || r.URL.Path != "/v3/b" || !strings.Contains(string(body), `"status":"banned"`) {
					t.Errorf("unexpected request %s %s %.60s", r.Method, r.URL.Path, body)
				}
				if r.Header.Get("X-Collection-Id") == schemed {
					w.WriteHeader(tt.schemedCode)
					io.WriteString(w, tt.schemedReply)
					return
				}
				w.WriteHeader(tt.plainCode)
				io.WriteString(w, `{"message":"x"}`)
			}))
			defer srv.Close()
			check, err := verifyValidation(t.Context(), newAPIClient(srv.URL, "bv_mk_test"), plain, schemed, doc)
			if (err == nil) != tt.ok {
				t.Fatalf("verifyValidation: check %q, err %v; want ok=%v", check, err, tt.ok)
			}
			if tt.ok && !strings.Contains(check, schemaMismatchPrefix) {
				t.Errorf("check %q does not quote the mismatch message", check)
			}
		})
	}
}
