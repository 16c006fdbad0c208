package patch_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/binvault/binvault/patch"
)

// pointers lists a JSON Pointer to every value below the root of v.
func pointers(prefix string, v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) { // the same paths every run
			c := v[k]
			p := prefix + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			out = append(append(out, p), pointers(p, c)...)
		}
	case []any:
		for i, c := range v {
			p := fmt.Sprintf("%s/%d", prefix, i)
			out = append(append(out, p), pointers(p, c)...)
		}
	}
	return out
}

// TestSplicedJSONPatchAgreesWithTheLibrary applies random add, remove,
// replace and test operations (at existing paths, past them, at new keys,
// at array ends, with bad indices) both by splicing and through
// evanphx/json-patch, and wants the same result or both to refuse.
func TestSplicedJSONPatchAgreesWithTheLibrary(t *testing.T) {
	docs := []string{
		`{"a":{"b":[1,{"c":"x\"]}"}],"d":null},"e/f":1,"g~h":[],"i":{},"n":1.5,"s":"<&>"}`,
		`[{"k":[[],[1,2,3]]},"x",{"e":{"f":0}},true]`,
		`{ "sp" : [ 1 , 2 ] , "o" : { "p" : "q" } }`,
	}
	// No 1.0: the library fails a test of 1.0 against 1 (RFC 6902 passes
	// it; TestSplicedTestComparesNumbersByValue).
	values := []string{`1`, `"v"`, `null`, `{"z":[1]}`, `[]`, `2`, `"<b>"`}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices, opts.EscapeHTML = false, false
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 10000; n++ {
		doc := docs[n%len(docs)]
		var v any
		mustUnmarshal(t, doc, &v)
		paths := pointers("", v)
		var ops []string
		for range 1 + rng.IntN(3) {
			p := paths[rng.IntN(len(paths))]
			switch rng.IntN(5) {
			case 0:
				p += "/-"
			case 1:
				p += "/new~1key"
			case 2:
				p += "/" + []string{"0", "1", "2", "9", "-1", "x"}[rng.IntN(6)]
			}
			op := []string{"add", "remove", "replace", "test"}[rng.IntN(4)]
			val := values[rng.IntN(len(values))]
			if op == "test" && val == "null" {
				val = "1" // the library passes a test of null at a missing path; RFC 6902 does not
			}
			if op == "test" && rng.IntN(2) == 0 { // a test that can pass
				// Not of a value holding null: the library compares nulls
				// wrongly (TestSplicedTestOfNull).
				if raw, ok := valueAt(v, p); ok && !strings.Contains(raw, "null") {
					val = raw
				}
			}
			ops = append(ops, fmt.Sprintf(`{"op":%q,"path":%q,"value":%s}`, op, p, val))
		}
		body := "[" + strings.Join(ops, ",") + "]"
		want, wantErr := libraryApply(t, body, doc, opts)
		p, err := patch.JSON([]byte(body), 1<<20)
		if err != nil {
			t.Fatalf("JSON(%s): %v", body, err)
		}
		got, gotErr := p.Apply([]byte(doc))
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("%s on %s:\nlibrary %s, %v\nspliced %s, %v", body, doc, want, wantErr, got, gotErr)
		}
		if wantErr == nil && !sameJSON(t, want, got) {
			t.Fatalf("%s on %s:\nlibrary %s\nspliced %s", body, doc, want, got)
		}
	}
}

// TestSplicedIndexIsDigitsOnly: RFC 6901 array indices are digits without
// a leading zero (the library also reads "01" and "+1" as 1).
func TestSplicedIndexIsDigitsOnly(t *testing.T) {
	for _, index := range []string{"01", "+1", " 1", "1e0"} {
		p, err := patch.JSON([]byte(`[{"op":"replace","path":"/a/`+index+`","value":0}]`), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Apply([]byte(`{"a":[1,2]}`)); err == nil {
			t.Errorf("%q was accepted as an index", index)
		}
	}
}

// TestSplicedTestComparesNumbersByValue: RFC 6902 section 4.6.
func TestSplicedTestComparesNumbersByValue(t *testing.T) {
	p, err := patch.JSON([]byte(`[{"op":"test","path":"/n","value":1.0},{"op":"test","path":"/o","value":{"b":2,"a":1e0}}]`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := MustApply(t, p, `{"n":1,"o":{"a":1,"b":2}}`); got != `{"n":1,"o":{"a":1,"b":2}}` {
		t.Fatalf("got %s", got)
	}
}

// TestSplicedTestOfNull: a null equals null, inside objects too.
func TestSplicedTestOfNull(t *testing.T) {
	p, err := patch.JSON([]byte(`[{"op":"replace","path":"/a/d","value":null},{"op":"test","path":"/a","value":{"d":null,"b":1}}]`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := MustApply(t, p, `{"a":{"b":1,"d":null}}`); got != `{"a":{"b":1,"d":null}}` {
		t.Fatalf("got %s", got)
	}
}

// TestSplicedEmptyKeys: "" is a member name like any other (RFC 6901
// section 5 shows "/" naming it), which the library mishandles.
func TestSplicedEmptyKeys(t *testing.T) {
	p, err := patch.JSON([]byte(`[{"op":"test","path":"//","value":0},{"op":"add","path":"//-","value":1}]`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := MustApply(t, p, `{"":{"":0}}`); got != `{"":{"":0,"-":1}}` {
		t.Fatalf("got %s", got)
	}
}

// valueAt returns the JSON of the value at a pointer made by pointers.
func valueAt(v any, p string) (string, bool) {
	for _, t := range strings.Split(p, "/")[1:] {
		t = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[t]; !ok {
				return "", false
			}
		case []any:
			var i int
			if _, err := fmt.Sscanf(t, "%d", &i); err != nil || i < 0 || i >= len(c) || fmt.Sprint(i) != t {
				return "", false
			}
			v = c[i]
		default:
			return "", false
		}
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

func mustDecode(tb testing.TB, body string) jsonpatch.Patch {
	tb.Helper()
	p, err := jsonpatch.DecodePatch([]byte(body))
	if err != nil {
		tb.Fatalf("DecodePatch(%s): %v", body, err)
	}
	return p
}

func sameJSON(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var x, y any
	mustUnmarshal(tb, string(a), &x)
	mustUnmarshal(tb, string(b), &y)
	return reflect.DeepEqual(x, y)
}

// libraryApply is the library's answer; it panics on some tests of
// missing values, which counts as a refusal here (patch.JSON guards it).
func libraryApply(tb testing.TB, body, doc string, opts *jsonpatch.ApplyOptions) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			tb.Logf("library panicked on %s over %s: %v", body, doc, v)
			out, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	return mustDecode(tb, body).ApplyWithOptions([]byte(doc), opts)
}
