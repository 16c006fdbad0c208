package schema

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// userSchema is what a JSONBin user typically attaches to a collection.
const userSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "User",
  "type": "object",
  "required": ["username", "email", "age", "address"],
  "properties": {
    "username": {"type": "string", "pattern": "^[a-z0-9_]{3,16}$"},
    "email": {"type": "string", "format": "email"},
    "age": {"type": "integer", "minimum": 13},
    "role": {"enum": ["admin", "editor", "viewer"]},
    "active": {"type": "boolean"},
    "address": {
      "type": "object",
      "required": ["street", "zip"],
      "properties": {
        "street": {"type": "string", "minLength": 1},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"}
      }
    },
    "orders": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["id", "total"],
        "properties": {
          "id": {"type": "integer"},
          "total": {"type": "number", "minimum": 0}
        }
      }
    },
    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
  },
  "additionalProperties": false
}`

// validUser matches userSchema; tests change one thing at a time.
const validUser = `{"username": "ada_l", "email": "ada@example.com", "age": 36, "role": "admin",
 "active": true, "address": {"street": "12 Analytical Row", "zip": "10115"},
 "orders": [{"id": 1, "total": 9.5}, {"id": 2, "total": 0}], "tags": ["math", "engines"]}`

// MustValidate validates doc against schema and returns the mismatch
// reason, "" when doc matches; any other error fails the test.
func MustValidate(tb testing.TB, v *Validator, schema, doc string) string {
	tb.Helper()
	got, err := reasonOf(v.Validate(schema, 1, []byte(schema), []byte(doc)))
	if err != nil {
		tb.Fatalf("Validate: %v", err)
	}
	return got
}

// reasonOf splits Validate's result into a mismatch reason and any other
// error.
func reasonOf(err error) (string, error) {
	var m *Mismatch
	if errors.As(err, &m) {
		return m.Reason, nil
	}
	return "", err
}

// MustCheck runs Check and fails the test if it has not returned within a
// minute, which only a loader reaching the network could make it do.
func MustCheck(tb testing.TB, v *Validator, schema string) error {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- v.Check([]byte(schema)) }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		tb.Fatalf("Check(%s) hangs", schema)
		return nil
	}
}

func TestValidateTypicalSchema(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"Valid", validUser, ""},
		{"OnlyRequired", `{"username": "bob", "email": "b@example.com", "age": 13, "address": {"street": "x", "zip": "12345"}}`, ""},
		{"MissingRequiredAtRoot", `{"email": "b@example.com", "age": 20, "address": {"street": "x", "zip": "12345"}}`,
			"must have required property 'username'"},
		{"NestedWrongType", strings.Replace(validUser, `"zip": "10115"`, `"zip": 10115`, 1),
			"/address/zip: must be string, but got number"},
		{"NestedMissing", strings.Replace(validUser, `"street": "12 Analytical Row", `, ``, 1),
			"/address: must have required property 'street'"},
		{"BelowMinimum", strings.Replace(validUser, `"age": 36`, `"age": 12`, 1), "/age: must be >= 13"},
		{"NotAnInteger", strings.Replace(validUser, `"age": 36`, `"age": 36.5`, 1), "/age: must be integer, but got number"},
		{"NotInEnum", strings.Replace(validUser, `"role": "admin"`, `"role": "root"`, 1),
			"/role: must be equal to one of the allowed values: 'admin', 'editor', 'viewer'"},
		{"PatternMismatch", strings.Replace(validUser, `"ada_l"`, `"Ada Lovelace"`, 1),
			`/username: must match pattern "^[a-z0-9_]{3,16}$"`},
		{"ArrayItemBelowMinimum", strings.Replace(validUser, `"total": 0`, `"total": -1`, 1), "/orders/1/total: must be >= 0"},
		{"ArrayItemMissing", strings.Replace(validUser, `{"id": 1, `, `{`, 1), "/orders/0: must have required property 'id'"},
		{"DuplicateTags", strings.Replace(validUser, `"engines"`, `"math"`, 1),
			"/tags: must NOT have duplicate items (items ## 0 and 1 are identical)"},
		{"AdditionalProperty", strings.Replace(validUser, `"active": true`, `"active": true, "isAdmin": true`, 1),
			"must NOT have additional property 'isAdmin'"},
		{"FormatIsAnnotation", strings.Replace(validUser, `"ada@example.com"`, `"not an email"`, 1), ""},
	}
	v := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MustValidate(t, v, userSchema, tt.doc); got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReasonWording(t *testing.T) {
	tests := []struct {
		name, schema, doc, want string
	}{
		{"Nullable", `{"properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}`, `{"a": 1}`,
			"/a: must be string or null, but got number"},
		{"BranchOfRightType", `{"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 3}]}`, `1`, "must be >= 3"},
		{"OneOfMatchesTwo", `{"oneOf": [{"type": "integer"}, {"minimum": 0}]}`, `1`,
			"must match exactly one schema in oneOf, but matched #0 and #1"},
		{"Not", `{"not": {"type": "string"}}`, `"s"`, "must NOT be valid"},
		{"Const", `{"const": "on"}`, `"off"`, "must be equal to constant: 'on'"},
		{"MinLength", `{"minLength": 3}`, `"ab"`, "must NOT have fewer than 3 characters"},
		{"MaxItems", `{"maxItems": 1}`, `[1, 2]`, "must NOT have more than 1 items"},
		{"MultipleOfDecimal", `{"multipleOf": 0.01}`, `1.001`, "must be multiple of 0.01"},
		{"ExclusiveMaximum", `{"exclusiveMaximum": 10}`, `10`, "must be < 10"},
		{"Dependencies", `{"dependencies": {"a": ["b"]}}`, `{"a": 1}`, "must have property 'b' when property 'a' is present"},
		{"AdditionalPropertiesSorted", `{"additionalProperties": false}`, `{"zeta": 1, "alpha": 2}`,
			"must NOT have additional properties 'alpha', 'zeta'"},
		{"PropertyNames", `{"propertyNames": {"maxLength": 3}}`, `{"abcd": 1}`, "property name 'abcd' is invalid"},
		{"ThenBranch", `{"if": {"required": ["a"]}, "then": {"required": ["b"]}}`, `{"a": 1}`, "must have required property 'b'"},
		{"FalseSchema", `{"properties": {"a": false}}`, `{"a": 1}`, "/a: boolean schema is false"},
		{"PointerEscaped", `{"properties": {"a/b~c": {"type": "string"}}}`, `{"a/b~c": 1}`, "/a~1b~0c: must be string, but got number"},
		{"PatternUnescaped", `{"pattern": "^\\d+$"}`, `"x"`, `must match pattern "^\d+$"`},
		{"LongEnumNotListed", `{"enum": ["a-value-far-longer-than-any-short-token"]}`, `"b"`,
			"must be equal to one of the allowed values"},
	}
	v := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MustValidate(t, v, tt.schema, tt.doc); got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReasonKeepsDocumentOut(t *testing.T) {
	const secret = "hunter2-correct-horse-battery-staple"
	longKey := strings.Repeat("k", 500)
	tests := []struct {
		name, schema, doc string
	}{
		{"Pattern", `{"properties": {"pw": {"pattern": "^[0-9]+$"}}}`, `{"pw": "` + secret + `"}`},
		{"Enum", `{"properties": {"pw": {"enum": ["x"]}}}`, `{"pw": "` + secret + `"}`},
		{"Const", `{"properties": {"pw": {"const": "x"}}}`, `{"pw": "` + secret + `"}`},
		{"MaxLength", `{"properties": {"pw": {"maxLength": 3}}}`, `{"pw": "` + secret + `"}`},
		{"LongKey", `{"additionalProperties": {"type": "string"}}`, `{"` + longKey + `": 1}`},
		{"LongKeyNotAllowed", `{"additionalProperties": false}`, `{"` + longKey + `": 1}`},
		{"KeyWithNewline", `{"additionalProperties": false}`, `{"a\nb": 1}`},
	}
	v := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustValidate(t, v, tt.schema, tt.doc)
			switch {
			case got == "":
				t.Fatal("document matched")
			case strings.Contains(got, "hunter2") || strings.Contains(got, longKey[:maxToken+1]):
				t.Errorf("reason %q quotes the document", got)
			case strings.ContainsAny(got, "\n\r") || utf8.RuneCountInString(got) > maxReason:
				t.Errorf("reason %q is not one short line", got)
			}
		})
	}
}

func TestDialects(t *testing.T) {
	const (
		prefixItems       = `"prefixItems": [{"type": "string"}, {"type": "integer"}]`
		dependentRequired = `"dependentRequired": {"credit_card": ["billing_address"]}`
	)
	tests := []struct {
		name, schema, doc, want string
	}{
		{"PrefixItems2020", `{"$schema": "https://json-schema.org/draft/2020-12/schema", ` + prefixItems + `}`,
			`["a", "b"]`, "/1: must be integer, but got string"},
		{"PrefixItemsIgnoredByDefault", `{` + prefixItems + `}`, `["a", "b"]`, ""},
		{"PrefixItemsIgnoredIn2019", `{"$schema": "https://json-schema.org/draft/2019-09/schema", ` + prefixItems + `}`, `["a", "b"]`, ""},
		{"DependentRequired2019", `{"$schema": "https://json-schema.org/draft/2019-09/schema", ` + dependentRequired + `}`,
			`{"credit_card": "4111"}`, "must have property 'billing_address' when property 'credit_card' is present"},
		{"DependentRequired2020", `{"$schema": "https://json-schema.org/draft/2020-12/schema#", ` + dependentRequired + `}`,
			`{"credit_card": "4111"}`, "must have property 'billing_address' when property 'credit_card' is present"},
		{"DependentRequiredIgnoredByDefault", `{` + dependentRequired + `}`, `{"credit_card": "4111"}`, ""},
		{"DependentRequiredIgnoredIn07", `{"$schema": "http://json-schema.org/draft-07/schema#", ` + dependentRequired + `}`,
			`{"credit_card": "4111"}`, ""},
		{"BooleanExclusiveMaximum04", `{"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 10, "exclusiveMaximum": true}`,
			`10`, "must be < 10"},
		{"NumericExclusiveMaximum06", `{"$schema": "http://json-schema.org/draft-06/schema#", "exclusiveMaximum": 10}`,
			`10`, "must be < 10"},
	}
	v := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := MustCheck(t, v, tt.schema); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := MustValidate(t, v, tt.schema, tt.doc); got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatIsAnnotation(t *testing.T) {
	v := New()
	for _, draft := range []string{"draft-04/schema#", "draft-07/schema#", "draft/2019-09/schema", "draft/2020-12/schema"} {
		for _, format := range append(builtinFormats(), "regex") {
			schema := fmt.Sprintf(`{"$schema": "https://json-schema.org/%s", "format": %q}`, draft, format)
			if got := MustValidate(t, v, schema, `"(( not a %s"`); got != "" {
				t.Errorf("%s format %s: %q", draft, format, got)
			}
		}
	}
}

func TestValidateKeepsNumberPrecision(t *testing.T) {
	tests := []struct {
		name, schema, doc, want string
	}{
		// 2^53+1 is a multiple of 3; as a float64 it rounds to 2^53, which is not
		{"MultipleOfBigInteger", `{"multipleOf": 3}`, `9007199254740993`, ""},
		{"MaximumBigInteger", `{"maximum": 9007199254740992}`, `9007199254740993`, "must be <= 9007199254740992"},
		{"MinimumBigInteger", `{"minimum": 9007199254740993}`, `9007199254740992`, "must be >= 9007199254740993"},
		{"DecimalMultipleOf", `{"multipleOf": 0.1}`, `0.3`, ""},
	}
	v := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MustValidate(t, v, tt.schema, tt.doc); got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckRefusesInvalidSchemas(t *testing.T) {
	tests := []struct {
		name, schema, want string // want "" accepts any one-line error
	}{
		{"TypoInType", `{"type": "strnig"}`, "/type: must be equal to one of the allowed values"},
		{"UnbalancedPattern", `{"pattern": "("}`, `/pattern: invalid regular expression "(": missing closing )`},
		{"LookaheadPattern", `{"patternProperties": {"(?=x)": {}}}`,
			`/patternProperties: invalid regular expression "(?=x)": invalid or unsupported Perl syntax`},
		{"Array", `[]`, "a schema must be a JSON object or boolean, not array"},
		{"String", `"x"`, "a schema must be a JSON object or boolean, not string"},
		{"Null", `null`, "a schema must be a JSON object or boolean, not null"},
		{"InvalidJSON", `{"type": `, "invalid JSON: unexpected EOF"},
		{"TwoValues", `{} {}`, ""},
		{"BooleanExclusiveMaximumIn07", `{"maximum": 10, "exclusiveMaximum": true}`, "/exclusiveMaximum: must be number, but got boolean"},
		{"MissingDefinition", `{"$ref": "#/definitions/nope"}`, `json-pointer in "#/definitions/nope" not found`},
		{"RefCycle", `{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}`,
			"$ref cycle: the schema refers to itself without descending into the document"},
		{"UnknownDialect", `{"$schema": "http://example.com/my-dialect#"}`,
			`unsupported $schema "http://example.com/my-dialect": use draft-04, draft-06, draft-07, 2019-09 or 2020-12`},
		{"FutureDialect", `{"$schema": "https://json-schema.org/draft/2099-01/schema"}`, ""},
	}
	v := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MustCheck(t, v, tt.schema)
			switch {
			case err == nil:
				t.Fatal("accepted")
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("error %q, want %q", err, tt.want)
			case strings.ContainsAny(err.Error(), "\n\r") || utf8.RuneCountInString(err.Error()) > maxReason:
				t.Errorf("error %q is not one short line", err)
			}
		})
	}
}

func TestCheckAcceptsSchemas(t *testing.T) {
	for _, schema := range []string{
		`true`, `false`, `{}`, userSchema,
		`{"definitions": {"name": {"type": "string"}}, "properties": {"n": {"$ref": "#/definitions/name"}}}`,
		`{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"n": {"type": "string"}}, "properties": {"n": {"$ref": "#/$defs/n"}}}`,
		`{"$id": "https://example.com/person.json", "definitions": {"n": {"type": "string"}}, "properties": {"n": {"$ref": "#/definitions/n"}}}`,
		`{"properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}`,
	} {
		if err := MustCheck(t, New(), schema); err != nil {
			t.Errorf("Check(%s): %v", schema, err)
		}
	}
}

func TestInternalRefsValidate(t *testing.T) {
	const schema = `{"$schema": "https://json-schema.org/draft/2020-12/schema",
	  "$defs": {"node": {"type": "object", "required": ["name"], "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
	  "$ref": "#/$defs/node"}`
	v := New()
	if got := MustValidate(t, v, schema, `{"name": "a", "kids": [{"name": "b", "kids": [{}]}]}`); got != "/kids/0/kids/0: must have required property 'name'" {
		t.Errorf("reason %q", got)
	}
}

func TestCheckRefusesRemoteRefs(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/schema+json")
		fmt.Fprint(w, `{"type": "string"}`)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "string.json")
	if err := os.WriteFile(file, []byte(`{"type": "string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, schema string }{
		{"FileEtcPasswd", `{"$ref": "file:///etc/passwd"}`},
		{"FileReadableSchema", `{"$ref": "file://` + filepath.ToSlash(file) + `"}`},
		{"ClosedPort", `{"$ref": "http://127.0.0.1:1/x.json"}`},
		{"ServingHTTP", `{"properties": {"a": {"$ref": "` + srv.URL + `/a.json"}}}`},
		{"RelativeToHTTPID", `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "` + srv.URL + `/root.json", "$ref": "a.json"}`},
		{"Relative", `{"$ref": "string.json"}`},
		{"MetaschemaOverHTTP", `{"$schema": "` + srv.URL + `/meta.json"}`},
		{"EmbeddedMetaschemaOverHTTP", `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"a": {"$id": "` + srv.URL + `/a", "$schema": "` + srv.URL + `/meta.json"}}}`},
	}
	v := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := MustCheck(t, v, tt.schema); err == nil {
				t.Error("accepted")
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server received %d requests", n)
	}
}

func TestValidateCachesByRev(t *testing.T) {
	const (
		needsA = `{"required": ["a"]}`
		needsB = `{"required": ["b"]}`
	)
	v := New()
	validate := func(rev int64, schema string, wantReason string, wantCompiles int64) {
		t.Helper()
		got, err := reasonOf(v.Validate("doc1", rev, []byte(schema), []byte(`{"a": 1}`)))
		if err != nil || got != wantReason {
			t.Errorf("rev %d: reason %q, error %v; want reason %q", rev, got, err, wantReason)
		}
		if n := v.compiles.Load(); n != wantCompiles {
			t.Errorf("rev %d: %d compilations, want %d", rev, n, wantCompiles)
		}
	}
	validate(1, needsA, "", 1)
	validate(1, needsA, "", 1)
	validate(2, needsB, "must have required property 'b'", 2)
	validate(2, needsB, "must have required property 'b'", 2)
	validate(1, needsA, "", 3) // an older rev replaces the newer one too
}

func TestValidateEvictsLeastRecentlyUsed(t *testing.T) {
	v := newValidator(2)
	use := func(id string) {
		t.Helper()
		if err := v.Validate(id, 1, []byte(`{}`), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	use("a")
	use("b")
	use("a") // b is now the least recently used
	use("c")
	if n := v.compiles.Load(); n != 3 {
		t.Fatalf("%d compilations before eviction check, want 3", n)
	}
	use("a")
	if n := v.compiles.Load(); n != 3 {
		t.Errorf("a was evicted: %d compilations", n)
	}
	use("b")
	if n := v.compiles.Load(); n != 4 {
		t.Errorf("b was kept: %d compilations, want 4", n)
	}
	if len(v.entries) != 2 || v.lru.Len() != 2 {
		t.Errorf("cache holds %d entries, %d in LRU; want 2", len(v.entries), v.lru.Len())
	}
}

func TestValidateDoesNotCacheFailures(t *testing.T) {
	v := New()
	for range 2 {
		err := v.Validate("bad", 1, []byte(`{"type": "strnig"}`), []byte(`{}`))
		var m interface{ SchemaMismatch() string }
		if err == nil || errors.As(err, &m) {
			t.Fatalf("error %v, want a compile error that is not a mismatch", err)
		}
	}
	if n := v.compiles.Load(); n != 2 {
		t.Errorf("%d compilations, want 2", n)
	}
	if len(v.entries) != 0 {
		t.Errorf("%d entries cached", len(v.entries))
	}
}

func TestMismatchIsRecognisedByVault(t *testing.T) {
	err := New().Validate("s", 1, []byte(`{"type": "object"}`), []byte(`[]`))
	var m interface{ SchemaMismatch() string }
	if !errors.As(err, &m) {
		t.Fatalf("error %v has no SchemaMismatch method", err)
	}
	if got := m.SchemaMismatch(); got != "must be object, but got array" {
		t.Errorf("SchemaMismatch() = %q", got)
	}
}

func TestValidateConcurrently(t *testing.T) {
	const ids, callers = 4, 16
	v := New()
	var wg sync.WaitGroup
	for i := range ids * callers {
		id := fmt.Sprintf("doc%d", i%ids)
		doc, want := validUser, ""
		if i%2 == 1 {
			doc, want = `{"username": "ada_l", "email": "a@b.c", "age": 1, "address": {"street": "x", "zip": "12345"}}`, "/age: must be >= 13"
		}
		wg.Go(func() {
			got, err := reasonOf(v.Validate(id, 7, []byte(userSchema), []byte(doc)))
			if err != nil || got != want {
				t.Errorf("%s: reason %q, error %v; want reason %q", id, got, err, want)
			}
		})
	}
	wg.Wait()
	if n := v.compiles.Load(); n != ids {
		t.Errorf("%d compilations for %d schema docs", n, ids)
	}
}

func BenchmarkValidate(b *testing.B) {
	doc := benchDoc(b)
	v := New()
	if got := MustValidate(b, v, userSchema, string(doc)); got != "" {
		b.Fatalf("benchmark document does not match: %s", got)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(userSchema, 1, []byte(userSchema), doc); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDoc returns a document of about 1 KiB matching userSchema.
func benchDoc(tb testing.TB) []byte {
	tb.Helper()
	var orders []string
	for i := range 24 {
		orders = append(orders, fmt.Sprintf(`{"id": %d, "total": %d.75}`, i+1, 10*i))
	}
	doc := fmt.Sprintf(`{"username": "ada_l", "email": "ada@example.com", "age": 36, "role": "admin", "active": true,
 "address": {"street": "12 Analytical Row", "zip": "10115"},
 "orders": [%s],
 "tags": ["math", "engines", "poetry", "computing", "history", "notes", "bernoulli", "difference", "analytical", "punched-cards"]}`,
		strings.Join(orders, ", "))
	if n := len(doc); n < 900 || n > 1200 {
		tb.Fatalf("benchmark document is %d bytes, want about 1 KiB", n)
	}
	return []byte(doc)
}
