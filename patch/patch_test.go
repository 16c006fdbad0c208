package patch_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/patch"
)

// compact normalises whitespace so expectations read like the RFCs.
func compact(tb testing.TB, s string) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		tb.Fatalf("compact %q: %v", s, err)
	}
	return buf.String()
}

// MustApply applies p to record and fails the test on error.
func MustApply(tb testing.TB, p binvault.Patch, record string) string {
	tb.Helper()
	out, err := p.Apply([]byte(record))
	if err != nil {
		tb.Fatalf("Apply(%s): %v", record, err)
	}
	return compact(tb, string(out))
}

// TestMergeRFC7396Examples runs every example of RFC 7396 Appendix A.
func TestMergeRFC7396Examples(t *testing.T) {
	for _, tc := range []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		p, err := patch.Merge([]byte(tc.patch))
		if err != nil {
			t.Fatalf("Merge(%s): %v", tc.patch, err)
		}
		if got := MustApply(t, p, tc.target); got != tc.want {
			t.Errorf("merge %s into %s = %s, want %s", tc.patch, tc.target, got, tc.want)
		}
	}
}

// TestMergeKeepsUntouchedBytes: key order, number spelling and escapes of
// members the patch does not name survive exactly, and new strings are not
// HTML-escaped.
func TestMergeKeepsUntouchedBytes(t *testing.T) {
	record := `{"z":1.50,"a":"\u00e9<b>","o":{"y":1e2,"x":2},"n":null}`
	p, err := patch.Merge([]byte(`{"a":"<i>","o":{"x":null,"w":3},"new":{"k":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply([]byte(record))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z":1.50,"a":"<i>","o":{"y":1e2,"w":3},"n":null,"new":{}}`; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestMergeRefusesInvalidJSON(t *testing.T) {
	for _, body := range []string{``, `{`, `{"a":}`, `nope`} {
		if _, err := patch.Merge([]byte(body)); binvault.ErrorCode(err) != binvault.EINVALID {
			t.Errorf("Merge(%q) = %v, want EINVALID", body, err)
		}
	}
}

// TestJSONPatchRFC6902Operations covers each operation, including test.
func TestJSONPatchRFC6902Operations(t *testing.T) {
	for _, tc := range []struct{ name, record, ops, want string }{
		{"AddMember", `{"foo":"bar"}`, `[{"op":"add","path":"/baz","value":"qux"}]`, `{"foo":"bar","baz":"qux"}`},
		{"AddArrayElement", `{"foo":["bar","baz"]}`, `[{"op":"add","path":"/foo/1","value":"qux"}]`, `{"foo":["bar","qux","baz"]}`},
		{"AppendWithDash", `{"users":[{"n":1}]}`, `[{"op":"add","path":"/users/-","value":{"n":2}}]`, `{"users":[{"n":1},{"n":2}]}`},
		{"Remove", `{"baz":"qux","foo":"bar"}`, `[{"op":"remove","path":"/baz"}]`, `{"foo":"bar"}`},
		{"Replace", `{"baz":"qux","foo":"bar"}`, `[{"op":"replace","path":"/baz","value":"boo"}]`, `{"baz":"boo","foo":"bar"}`},
		{"Move", `{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`, `[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`,
			`{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`},
		{"Copy", `{"a":[1]}`, `[{"op":"copy","from":"/a","path":"/b"}]`, `{"a":[1],"b":[1]}`},
		{"TestThenReplace", `{"v":1}`, `[{"op":"test","path":"/v","value":1},{"op":"replace","path":"/v","value":2}]`, `{"v":2}`},
		{"EscapedPointer", `{"a/b":1,"m~n":2}`, `[{"op":"replace","path":"/a~1b","value":3},{"op":"remove","path":"/m~0n"}]`, `{"a/b":3}`},
		{"KeepsHTMLAndNumbers", `{"n":1.50}`, `[{"op":"add","path":"/s","value":"<b>&"}]`, `{"n":1.50,"s":"<b>&"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := patch.JSON([]byte(tc.ops), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got := MustApply(t, p, tc.record); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestJSONPatchFailures: a patch that cannot apply changes nothing and says
// why with the right code.
func TestJSONPatchFailures(t *testing.T) {
	for _, tc := range []struct{ name, ops, code string }{
		{"FailedTestIsConflict", `[{"op":"replace","path":"/v","value":9},{"op":"test","path":"/v","value":2}]`, binvault.ECONFLICT},
		{"MissingPathIsConflict", `[{"op":"remove","path":"/nope"}]`, binvault.ECONFLICT},
		{"IndexOutOfRangeIsConflict", `[{"op":"add","path":"/a/5","value":0}]`, binvault.ECONFLICT},
		{"NegativeIndexIsConflict", `[{"op":"remove","path":"/a/-1"}]`, binvault.ECONFLICT},
		{"LibraryPanicIsConflict", `[{"op":"copy","from":"/v","path":"/w"},{"op":"add","path":"/a/0","value":null},{"op":"test","path":"/a/0","value":[]}]`, binvault.ECONFLICT},
		{"CopiesPastTheSizeLimitAreTooLarge", `[{"op":"copy","from":"/big","path":"/b1"},{"op":"copy","from":"/big","path":"/b2"}]`, binvault.ETOOLARGE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := patch.JSON([]byte(tc.ops), 64)
			if err != nil {
				t.Fatal(err)
			}
			record := []byte(`{"v":1,"a":[1,2],"big":"` + strings.Repeat("x", 40) + `"}`)
			before := string(record)
			_, err = p.Apply(record)
			if binvault.ErrorCode(err) != tc.code {
				t.Fatalf("Apply = %v, want %s", err, tc.code)
			}
			if string(record) != before {
				t.Fatalf("record changed in place: %s", record)
			}
		})
	}
}

func TestJSONPatchRefusesMalformed(t *testing.T) {
	for _, body := range []string{``, `{"op":"add","path":"/a","value":1}`, `[{"op":"bogus","path":"/a"}]`,
		`[{"op":"add","path":"/a"}]`, `[{"op":"move","path":"/a"}]`, `[1]`, `not json`} {
		if _, err := patch.JSON([]byte(body), 1<<20); binvault.ErrorCode(err) != binvault.EINVALID {
			t.Errorf("JSON(%q) = %v, want EINVALID", body, err)
		}
	}
}

// mergeModel is RFC 7396's pseudocode on decoded values: the reference the
// byte-level merge must agree with.
func mergeModel(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergeModel(t[k], v)
		}
	}
	return t
}

// TestMergeAgreesWithTheRFCModel runs tricky inputs (escaped quotes and
// backslashes, braces inside strings, escaped keys, whitespace, nesting)
// through both and compares the decoded results.
func TestMergeAgreesWithTheRFCModel(t *testing.T) {
	records := []string{
		`{"a":"x\"}","b\\":"\\","c":{"d":[1,"]",{"e":"{"}]},"n":-1.5e3,"t":true,"z":null}`,
		`{ "a" : { "b" : [ 1 , 2 ] } , "k\u00e9y" : "v" }`,
		`{"\"q\"":1,"a":{"b":{"c":{"d":"deep"}}}}`,
		`[1,2,3]`,
	}
	patches := []string{
		`{"a":null}`, `{"b\\":{"new":"\"x\""}}`, `{ "c" : { "d" : null , "f" : "]}" } }`,
		`{"kéy":null,"\"q\"":2}`, `{"a":{"b":{"c":{"d":null,"e":[null]}}}}`, `{"z":1,"t":false,"n":{"m":null}}`, `[]`, `7`,
	}
	for _, rec := range records {
		for _, pt := range patches {
			p, err := patch.Merge([]byte(pt))
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Apply([]byte(rec))
			if err != nil {
				t.Fatalf("merge %s into %s: %v", pt, rec, err)
			}
			var target, pv, got any
			mustUnmarshal(t, rec, &target)
			mustUnmarshal(t, pt, &pv)
			mustUnmarshal(t, string(out), &got)
			want, _ := json.Marshal(mergeModel(target, pv))
			gotJSON, _ := json.Marshal(got)
			if string(gotJSON) != string(want) {
				t.Errorf("merge %s into %s:\n got %s\nwant %s", pt, rec, gotJSON, want)
			}
		}
	}
}

func mustUnmarshal(tb testing.TB, s string, v any) {
	tb.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		tb.Fatalf("%s: %v", s, err)
	}
}
