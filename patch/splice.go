package patch

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/binvault/binvault"
)

// spliceOp is a JSON Patch operation applied by splicing bytes: add,
// remove, replace and test below the root. These are what clients send to
// change a field or append to a list; on a large record, splicing costs a
// copy where decoding the document costs a parse.
type spliceOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
	path  []string
}

// spliceOps returns body's operations when every one can be spliced, or
// nil. body has already been checked by jsonpatch.DecodePatch.
func spliceOps(body []byte) []spliceOp {
	var ops []spliceOp
	if json.Unmarshal(body, &ops) != nil {
		return nil
	}
	for i, op := range ops {
		switch op.Op {
		case "add", "remove", "replace", "test":
		default:
			return nil // move and copy: the library
		}
		if !strings.HasPrefix(op.Path, "/") {
			return nil // the root, or not a pointer: the library decides
		}
		ops[i].path = strings.Split(op.Path[1:], "/")
		for j, t := range ops[i].path {
			ops[i].path[j] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		}
	}
	return ops
}

// applySplices applies ops in order to a copy of doc; doc is not changed.
func applySplices(doc []byte, ops []spliceOp) ([]byte, error) {
	for _, op := range ops {
		var err error
		if doc, err = op.apply(doc); err != nil {
			return nil, binvault.Errorf(binvault.ECONFLICT, binvault.MsgPatchFailed,
				fmt.Sprintf("%s %s: %v", op.Op, op.Path, err))
		}
	}
	return doc, nil
}

func (op spliceOp) apply(doc []byte) ([]byte, error) {
	parent, err := locate(doc, op.path[:len(op.path)-1])
	if err != nil {
		return nil, err
	}
	last := op.path[len(op.path)-1]
	es, err := entries(doc, parent.start)
	if err != nil {
		return nil, err
	}
	if doc[parent.start] == '[' {
		return op.applyInArray(doc, parent, es, last)
	}
	i := findKey(es, last)
	switch {
	case op.Op == "add" && i < 0:
		return insertMember(doc, parent, es, last, op.Value), nil
	case i < 0:
		return nil, fmt.Errorf("no member %q", last)
	}
	return op.applyTo(doc, es, i)
}

func (op spliceOp) applyInArray(doc []byte, parent span, es []entry, last string) ([]byte, error) {
	if op.Op == "add" {
		i := len(es)
		if last != "-" {
			var err error
			if i, err = arrayIndex(last, len(es)+1); err != nil {
				return nil, err
			}
		}
		return insertElement(doc, parent, es, i, op.Value), nil
	}
	i, err := arrayIndex(last, len(es))
	if err != nil {
		return nil, err
	}
	return op.applyTo(doc, es, i)
}

// applyTo does remove, replace, test or add (which replaces an existing
// member) on entry i.
func (op spliceOp) applyTo(doc []byte, es []entry, i int) ([]byte, error) {
	e := es[i]
	switch op.Op {
	case "remove":
		return removeEntry(doc, es, i), nil
	case "test":
		if !equalJSON(doc[e.valStart:e.valEnd], op.Value) {
			return nil, fmt.Errorf("the value is %.100s", doc[e.valStart:e.valEnd])
		}
		return doc, nil
	}
	return splice(doc, e.valStart, e.valEnd, op.Value), nil
}

// span is where a value lies in a document.
type span struct{ start, end int }

// entry is one member of an object (key decoded) or element of an array,
// as offsets into the document: start is its key's or its value's start,
// keyEnd the end of its key (start, for an element).
type entry struct {
	start, keyEnd, valStart, valEnd int
	key                             string
}

// locate returns the span of the value the reference tokens name.
func locate(doc []byte, tokens []string) (span, error) {
	cur := span{skipSpace(doc, 0), len(doc)}
	for _, t := range tokens {
		es, err := entries(doc, cur.start)
		if err != nil {
			return span{}, err
		}
		i := -1
		if doc[cur.start] == '{' {
			if i = findKey(es, t); i < 0 {
				return span{}, fmt.Errorf("no member %q", t)
			}
		} else if i, err = arrayIndex(t, len(es)); err != nil {
			return span{}, err
		}
		cur = span{es[i].valStart, es[i].valEnd}
	}
	return cur, nil
}

// entries lists the members or elements of the object or array at
// doc[start]; anything else cannot hold a path.
func entries(doc []byte, start int) ([]entry, error) {
	if start >= len(doc) || (doc[start] != '{' && doc[start] != '[') {
		return nil, fmt.Errorf("the path goes through a value that is not an object or array")
	}
	object := doc[start] == '{'
	var out []entry
	i := skipSpace(doc, start+1)
	for i < len(doc) && doc[i] != '}' && doc[i] != ']' {
		e := entry{start: i, keyEnd: i, valStart: i}
		if object {
			keyEnd := skipString(doc, i)
			colon := skipSpace(doc, keyEnd)
			if keyEnd < 0 || colon >= len(doc) || doc[colon] != ':' {
				return nil, errMalformed
			}
			key, err := decodeKey(doc[i:keyEnd])
			if err != nil {
				return nil, err
			}
			e.key, e.keyEnd, e.valStart = key, keyEnd, skipSpace(doc, colon+1)
		}
		if e.valEnd = skipValue(doc, e.valStart); e.valEnd < 0 {
			return nil, errMalformed
		}
		out = append(out, e)
		if i = skipSpace(doc, e.valEnd); i < len(doc) && doc[i] == ',' {
			i = skipSpace(doc, i+1)
		}
	}
	return out, nil
}

// findKey returns the last member named key (as parsers keep the last of
// duplicates), or -1.
func findKey(es []entry, key string) int {
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].key == key {
			return i
		}
	}
	return -1
}

// arrayIndex reads an RFC 6901 array index below n: digits, no leading
// zero, no "-" (which only add may use, past the end).
func arrayIndex(t string, n int) (int, error) {
	i, err := strconv.Atoi(t)
	if err != nil || i < 0 || t[0] == '+' || (len(t) > 1 && t[0] == '0') {
		return 0, fmt.Errorf("%q is not an array index", t)
	} else if i >= n {
		return 0, fmt.Errorf("index %d is out of range", i)
	}
	return i, nil
}

func insertMember(doc []byte, obj span, es []entry, key string, value []byte) []byte {
	k, _ := json.Marshal(key) // a string always encodes
	k = unescapeHTML(k)
	member := append(append(k, ':'), value...)
	if len(es) == 0 {
		return splice(doc, obj.start+1, obj.start+1, member)
	}
	end := es[len(es)-1].valEnd
	return splice(doc, end, end, append([]byte{','}, member...))
}

func insertElement(doc []byte, arr span, es []entry, i int, value []byte) []byte {
	switch {
	case len(es) == 0:
		return splice(doc, arr.start+1, arr.start+1, value)
	case i == len(es):
		end := es[i-1].valEnd
		return splice(doc, end, end, append([]byte{','}, value...))
	}
	return splice(doc, es[i].start, es[i].start, append(append([]byte{}, value...), ','))
}

// removeEntry cuts entry i and one comma next to it.
func removeEntry(doc []byte, es []entry, i int) []byte {
	switch {
	case i < len(es)-1:
		return splice(doc, es[i].start, es[i+1].start, nil)
	case i > 0:
		return splice(doc, es[i-1].valEnd, es[i].valEnd, nil)
	}
	return splice(doc, es[i].start, es[i].valEnd, nil)
}

// splice returns a new document: doc with doc[start:end] replaced by b.
func splice(doc []byte, start, end int, b []byte) []byte {
	out := make([]byte, 0, len(doc)-(end-start)+len(b))
	out = append(out, doc[:start]...)
	out = append(out, b...)
	return append(out, doc[end:]...)
}

// equalJSON compares two JSON values as RFC 6902's test does: numbers by
// value, objects without regard to member order.
func equalJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// unescapeHTML undoes encoding/json's escaping of <, > and &, which a key
// a client sent must not gain.
func unescapeHTML(b []byte) []byte {
	s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
	return []byte(s)
}
