package jsonpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/theory/jsonpath/spec"
)

// span is the half-open byte range [start, end) of one JSON value in the
// document.
type span struct{ start, end int }

// rawIndex locates values in the original document bytes by normalized path.
// Containers are scanned lazily and memoised by start offset, so a query that
// selects many nodes under one container scans it once rather than once per
// match. The document must already be known to be valid JSON.
type rawIndex struct {
	src     []byte
	objects map[int]map[string]span
	arrays  map[int][]span
}

// newRawIndex returns an empty index over src.
func newRawIndex(src []byte) *rawIndex {
	return &rawIndex{
		src:     src,
		objects: make(map[int]map[string]span),
		arrays:  make(map[int][]span),
	}
}

// locate follows path from the document root and returns the span of the
// value it names.
func (r *rawIndex) locate(path spec.NormalizedPath) (span, error) {
	start := r.skipBlanks(0)
	cur := span{start, r.skipValue(start)}
	for _, sel := range path {
		next, ok := r.child(cur, sel)
		if !ok {
			// Only reachable if the decoded tree and the raw bytes disagree.
			return span{}, fmt.Errorf("jsonpath: %s not found in raw document", path)
		}
		cur = next
	}
	return cur, nil
}

// child returns the member or element of parent selected by sel.
func (r *rawIndex) child(parent span, sel spec.NormalSelector) (span, bool) {
	if parent.start >= len(r.src) {
		return span{}, false
	}
	switch sel := sel.(type) {
	case spec.Name:
		if r.src[parent.start] != '{' {
			return span{}, false
		}
		sp, ok := r.members(parent.start)[string(sel)]
		return sp, ok
	case spec.Index:
		if r.src[parent.start] != '[' {
			return span{}, false
		}
		elems := r.elements(parent.start)
		if int(sel) < 0 || int(sel) >= len(elems) {
			return span{}, false
		}
		return elems[sel], true
	}
	return span{}, false
}

// members returns the member spans of the object starting at start. A
// repeated key keeps its last value, matching encoding/json's decoding into
// a map, so the raw value agrees with the one the filter evaluated.
func (r *rawIndex) members(start int) map[string]span {
	if m, ok := r.objects[start]; ok {
		return m
	}
	m := make(map[string]span)
	i := r.skipBlanks(start + 1)
	for i < len(r.src) && r.src[i] == '"' {
		keyEnd := r.skipString(i)
		key := r.decodeKey(r.src[i:keyEnd])
		i = r.skipBlanks(keyEnd)
		i = r.skipBlanks(i + 1) // the ':'
		end := r.skipValue(i)
		m[key] = span{i, end}
		i = r.skipBlanks(end)
		if i < len(r.src) && r.src[i] == ',' {
			i = r.skipBlanks(i + 1)
		}
	}
	r.objects[start] = m
	return m
}

// elements returns the element spans of the array starting at start.
func (r *rawIndex) elements(start int) []span {
	if e, ok := r.arrays[start]; ok {
		return e
	}
	var elems []span
	i := r.skipBlanks(start + 1)
	for i < len(r.src) && r.src[i] != ']' {
		end := r.skipValue(i)
		elems = append(elems, span{i, end})
		i = r.skipBlanks(end)
		if i < len(r.src) && r.src[i] == ',' {
			i = r.skipBlanks(i + 1)
		}
	}
	r.arrays[start] = elems
	return elems
}

// decodeKey returns the Go string for a quoted key. Keys with escapes or
// invalid UTF-8 go through encoding/json so they decode exactly as the
// Decoder decoded them (including U+FFFD replacement).
func (r *rawIndex) decodeKey(quoted []byte) string {
	inner := quoted[1 : len(quoted)-1]
	if utf8.Valid(inner) && bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var key string
	if err := json.Unmarshal(quoted, &key); err != nil {
		return string(inner)
	}
	return key
}

// skipValue returns the offset just past the value starting at i.
func (r *rawIndex) skipValue(i int) int {
	if i >= len(r.src) {
		return len(r.src)
	}
	switch r.src[i] {
	case '"':
		return r.skipString(i)
	case '{', '[':
		return r.skipContainer(i)
	default:
		return r.skipScalar(i)
	}
}

// skipContainer returns the offset just past the object or array starting
// at i. Brackets inside strings are skipped with the strings.
func (r *rawIndex) skipContainer(i int) int {
	depth := 0
	for ; i < len(r.src); i++ {
		switch r.src[i] {
		case '"':
			i = r.skipString(i) - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return len(r.src)
}

// skipString returns the offset just past the string whose opening quote is
// at i.
func (r *rawIndex) skipString(i int) int {
	for j := i + 1; j < len(r.src); j++ {
		switch r.src[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(r.src)
}

// skipScalar returns the offset just past the number or literal at i.
func (r *rawIndex) skipScalar(i int) int {
	for ; i < len(r.src); i++ {
		switch r.src[i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// skipBlanks returns the first offset at or after i that is not JSON
// whitespace.
func (r *rawIndex) skipBlanks(i int) int {
	for i < len(r.src) {
		switch r.src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
