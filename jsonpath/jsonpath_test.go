package jsonpath

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// bookstore is Goessner's example document plus a users array, indented so
// the tests also check that results come back compacted.
const bookstore = `{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "users": [
    {"name": "ann", "age": 25},
    {"name": "bob", "age": 35},
    {"name": "cy", "age": 41},
    {"name": "dee", "age": 30},
    {"name": "eve", "age": 52}
  ]
}`

// social mirrors the shapes used in JSONBin's own JSONPath examples.
const social = `{
  "tweets": [
    {"id": 1, "meta": {"category": "news"}},
    {"id": 2, "meta": {"category": "sport"}}
  ],
  "categories": {"news": 10, "sport": 20},
  "posts": [
    {"title": "p1", "category": "x"},
    {"title": "p2", "category": "y"},
    {"title": "p3", "category": "x"}
  ],
  "a b": "spaced",
  "a": "plain"
}`

const (
	book0 = `{"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95}`
	book1 = `{"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99}`
	book2 = `{"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99}`
	book3 = `{"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":22.99}`
	ann   = `{"name":"ann","age":25}`
	bob   = `{"name":"bob","age":35}`
	cy    = `{"name":"cy","age":41}`
	dee   = `{"name":"dee","age":30}`
	eve   = `{"name":"eve","age":52}`
)

// queryCase is one Query call. Exactly one of want (exact output, for
// queries whose order is defined) and wantSet (elements in any order, for
// queries that iterate object members) is checked.
type queryCase struct {
	name    string
	doc     string
	expr    string
	want    string
	wantSet []string
}

func TestQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range queryCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Query([]byte(tc.doc), tc.expr)
			if err != nil {
				t.Fatalf("Query(%q) error: %v", tc.expr, err)
			}
			if tc.wantSet != nil {
				assertSameSet(t, got, tc.wantSet)
				return
			}
			if string(got) != tc.want {
				t.Errorf("Query(%q)\n got %s\nwant %s", tc.expr, got, tc.want)
			}
		})
	}
}

func queryCases() []queryCase {
	return slices.Concat(dialectCases(), selectorCases(), fidelityCases())
}

// dialectCases cover the Goessner/JSONBin spellings we translate.
func dialectCases() []queryCase {
	return []queryCase{
		{name: "NoLeadingDollarDescendant", doc: social, expr: "tweets..category", want: `["news","sport"]`},
		{name: "NoLeadingDollarWildcard", doc: social, expr: "categories.*", wantSet: []string{`10`, `20`}},
		{name: "NoLeadingDollarIndex", doc: bookstore, expr: "store.book[0]", want: "[" + book0 + "]"},
		{name: "NoLeadingDollarRecursive", doc: bookstore, expr: "..price", wantSet: []string{`8.95`, `12.99`, `8.99`, `22.99`, `19.95`}},
		{name: "NoLeadingDollarBracket", doc: `[10,20]`, expr: "[0]", want: `[10]`},
		{name: "SurroundingBlanksIgnored", doc: `[10,20]`, expr: "  $[1]\n", want: `[20]`},
		{name: "ParenFilterSingleQuotes", doc: social, expr: "$.posts[?(@.category == 'x')]", want: `[{"title":"p1","category":"x"},{"title":"p3","category":"x"}]`},
		{name: "DescendantFilterNumeric", doc: bookstore, expr: "$..users[?(@.age > 30)]", want: "[" + bob + "," + cy + "," + eve + "]"},
		{name: "FilterJSONNumberLessThan", doc: bookstore, expr: "$.store.book[?(@.price < 10)].title", want: `["Sayings of the Century","Moby Dick"]`},
		{name: "LengthScriptIsLastElement", doc: bookstore, expr: "$..users[(@.length-1)]", want: "[" + eve + "]"},
		{name: "LengthScriptWithBlanks", doc: bookstore, expr: "$.users[ ( @.length - 2 ) ]", want: "[" + dee + "]"},
		{name: "LengthScriptPastStartIsEmpty", doc: bookstore, expr: "$.users[(@.length-9)]", want: `[]`},
		{name: "LengthScriptMinusZeroIsEmpty", doc: bookstore, expr: "$.users[(@.length-0)]", want: `[]`},
		{name: "LengthScriptInsideNameUntouched", doc: `{"[(@.length-1)]":1}`, expr: "$['[(@.length-1)]']", want: `[1]`},
	}
}

// selectorCases cover RFC 9535 selectors JSONBin documents.
func selectorCases() []queryCase {
	return []queryCase{
		{name: "NegativeSliceFromEnd", doc: bookstore, expr: "$..users[-1:]", want: "[" + eve + "]"},
		{name: "IndexUnion", doc: bookstore, expr: "$..users[0,1]", want: "[" + ann + "," + bob + "]"},
		{name: "IndexUnionKeepsQueryOrder", doc: bookstore, expr: "$.users[1,0,1]", want: "[" + bob + "," + ann + "," + bob + "]"},
		{name: "SliceToEnd", doc: bookstore, expr: "$..users[:2]", want: "[" + ann + "," + bob + "]"},
		{name: "SliceWithStep", doc: bookstore, expr: "$..users[1:5:2]", want: "[" + bob + "," + dee + "]"},
		{name: "ArrayWildcardInOrder", doc: bookstore, expr: "$.store.book[*].author", want: `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{name: "RootWildcard", doc: `{"a":1,"b":[2],"c":{"d":3}}`, expr: "$.*", wantSet: []string{`1`, `[2]`, `{"d":3}`}},
		{name: "RootDescendantWildcard", doc: `{"a":1,"b":[2],"c":{"d":3}}`, expr: "$..*", wantSet: []string{`1`, `[2]`, `2`, `{"d":3}`, `3`}},
		{name: "BracketNameWithSpace", doc: social, expr: "$['a b']", want: `["spaced"]`},
		{name: "BracketNameDoubleQuoted", doc: social, expr: `$["a"]`, want: `["plain"]`},
		{name: "RootItself", doc: ` [1, 2] `, expr: "$", want: `[[1,2]]`},
		{name: "ExistenceFilter", doc: bookstore, expr: "$..book[?(@.isbn)]", want: "[" + book2 + "," + book3 + "]"},
		{name: "NoMatchIsEmptyArray", doc: bookstore, expr: "$.nope", want: `[]`},
		{name: "IndexOutOfRangeIsEmptyArray", doc: bookstore, expr: "$.users[99]", want: `[]`},
		{name: "NameOnArrayIsEmptyArray", doc: `[1]`, expr: "$.a", want: `[]`},
		{name: "AllBooks", doc: bookstore, expr: "$.store.book", want: "[[" + book0 + "," + book1 + "," + book2 + "," + book3 + "]]"},
	}
}

// fidelityCases check that output bytes are cut from the document, not
// re-encoded.
func fidelityCases() []queryCase {
	return []queryCase{
		{name: "KeyOrderPreserved", doc: `{"z":1,"a":{ "y" : 2 , "b" : [3, {"q":4,"c":5}] }}`, expr: "$.a", want: `[{"y":2,"b":[3,{"q":4,"c":5}]}]`},
		{name: "BigNumberUnchanged", doc: `{"n":12345678901234567890,"f":1.0e2}`, expr: "$['n','f']", want: `[12345678901234567890,1.0e2]`},
		{name: "FilterOnExponentNumber", doc: `[{"v":1.0e2},{"v":99}]`, expr: "$[?(@.v == 100)]", want: `[{"v":1.0e2}]`},
		{name: "StringEscapesUnchanged", doc: `{"s":"caf\u00e9 \"q\" \/ <&>"}`, expr: "$.s", want: `["caf\u00e9 \"q\" \/ <&>"]`},
		{name: "EscapedKeyMatchesDecodedName", doc: `{"a\u0062":1,"x":"}]"}`, expr: "$.ab", want: `[1]`},
		{name: "BracketsInStringsSkipped", doc: `{"x":"}]{[\"","y":[1,"]"]}`, expr: "$.y[1]", want: `["]"]`},
		{name: "DuplicateKeyLastWins", doc: `{"a":1,"a":2}`, expr: "$.a", want: `[2]`},
		{name: "NestedArraysByIndex", doc: `[[0,[1,[2,3]]]]`, expr: "$[0][1][1][0]", want: `[2]`},
		{name: "LiteralsAndNull", doc: `{"t":true,"f":false,"n":null}`, expr: "$['t','f','n']", want: `[true,false,null]`},
	}
}

// assertSameSet checks that got is a JSON array holding exactly want's
// elements in some order.
func assertSameSet(t *testing.T, got []byte, want []string) {
	t.Helper()
	var elems []json.RawMessage
	if err := json.Unmarshal(got, &elems); err != nil {
		t.Fatalf("output %s is not a JSON array: %v", got, err)
	}
	gotSet := make([]string, len(elems))
	for i, e := range elems {
		gotSet[i] = string(e)
	}
	wantSet := slices.Clone(want)
	slices.Sort(gotSet)
	slices.Sort(wantSet)
	if !slices.Equal(gotSet, wantSet) {
		t.Errorf("got elements %q, want %q (any order)", gotSet, wantSet)
	}
}

func TestQueryInvalidPath(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, expr string }{
		{"Empty", ""},
		{"BlanksOnly", " \t\n "},
		{"UnclosedBracket", "$["},
		{"BrokenFilter", "$.a[?(@.b ==]"},
		{"DoubleDollar", "$$"},
		{"BareLengthScript", "$.users[(@.length)]"},
		{"OtherScript", "$.users[(@.length+1)]"},
		{"ScriptInUnion", "$.users[0,(@.length-1)]"},
		{"HugeLengthScript", "$.users[(@.length-99999999999999999999)]"},
		{"TrailingDot", "$.store."},
		{"UnterminatedString", "$['a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Query([]byte(bookstore), tc.expr)
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("Query(%q) = %s, %v; want ErrInvalidPath", tc.expr, got, err)
			}
		})
	}
}

func TestQueryInvalidDocument(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, doc string }{
		{"Empty", ""},
		{"Truncated", `{"a":`},
		{"TrailingData", `{"a":1} x`},
		{"TwoValues", `1 2`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Query([]byte(tc.doc), "$.a")
			if err == nil || errors.Is(err, ErrInvalidPath) {
				t.Fatalf("Query(%q) error = %v; want a document error", tc.doc, err)
			}
		})
	}
}

func FuzzQuery(f *testing.F) {
	for _, tc := range queryCases() {
		f.Add([]byte(tc.doc), tc.expr)
	}
	f.Add([]byte(`{"a":[1,{"b":"c"}]}`), "$..*")
	f.Add([]byte(`[]`), "$[(@.length-1)]")
	f.Fuzz(func(t *testing.T, doc []byte, expr string) {
		got, err := Query(doc, expr)
		if err != nil {
			return
		}
		// Any successful result must be a JSON array.
		if !json.Valid(got) || !bytes.HasPrefix(got, []byte("[")) {
			t.Fatalf("Query(%q, %q) = %q: not a JSON array", doc, expr, got)
		}
	})
}

func BenchmarkQuery(b *testing.B) {
	doc := []byte(bookstore)
	for b.Loop() {
		if _, err := Query(doc, "$..book[?(@.price < 10)].title"); err != nil {
			b.Fatal(err)
		}
	}
}
