package patch

import (
	"bytes"
	"encoding/json"
	"errors"
)

// member is one "key": value of a JSON object, both kept as raw bytes.
type member struct {
	rawKey []byte // the key as written, quotes and escapes included
	key    string // the key decoded, for matching
	value  []byte
}

// merge is RFC 7396's MergePatch(target, patch), working on raw bytes: a
// patch that is not an object replaces the target; an object patch sets,
// merges into, or (with null) removes the target's members, and the members
// it does not name stay exactly as they were. target nil means absent.
func merge(target, patch []byte) ([]byte, error) {
	if !isObject(patch) {
		return patch, nil
	}
	var members []member
	if isObject(target) {
		var err error
		if members, err = objectMembers(target); err != nil {
			return nil, err
		}
	}
	changes, err := objectMembers(patch)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		i := indexOf(members, c.key)
		if string(c.value) == "null" {
			members = removeKey(members, c.key)
			continue
		}
		var old []byte
		if i >= 0 {
			old = members[i].value
		}
		v, err := merge(old, c.value)
		if err != nil {
			return nil, err
		}
		if i >= 0 {
			members[i].value = v
		} else {
			members = append(members, member{c.rawKey, c.key, v})
		}
	}
	return encodeObject(members), nil
}

// objectMembers splits a JSON object into its members in order. obj must
// be valid JSON (a stored record, a checked patch): this is a scanner, not
// a parser, so a 100 KiB record costs a pass of IndexByte, not a decode.
func objectMembers(obj []byte) ([]member, error) {
	es, err := entries(obj, 0)
	if err != nil {
		return nil, err
	}
	out := make([]member, len(es))
	for i, e := range es {
		out[i] = member{obj[e.start:e.keyEnd], e.key, obj[e.valStart:e.valEnd]}
	}
	return out, nil
}

var errMalformed = errors.New("malformed JSON object")

// decodeKey returns a key's text; only keys with escapes need a decode.
func decodeKey(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var key string
	err := json.Unmarshal(raw, &key)
	return key, err
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"'),
// or -1. A quote ends it unless an odd run of backslashes precedes it.
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for j := i + 1; ; {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return -1
		}
		j += q
		n := 0
		for k := j - 1; k > i && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// skipValue returns the index after the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for ; i < len(b); i++ { // a number, true, false or null
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}

// indexOf returns the last member named key (JSON parsers keep the last of
// duplicates), or -1.
func indexOf(members []member, key string) int {
	for i := len(members) - 1; i >= 0; i-- {
		if members[i].key == key {
			return i
		}
	}
	return -1
}

// removeKey drops every member named key.
func removeKey(members []member, key string) []member {
	out := members[:0]
	for _, m := range members {
		if m.key != key {
			out = append(out, m)
		}
	}
	return out
}

func encodeObject(members []member) []byte {
	n := 2
	for _, m := range members {
		n += len(m.rawKey) + len(m.value) + 2
	}
	buf := make([]byte, 0, n)
	buf = append(buf, '{')
	for i, m := range members {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, m.rawKey...)
		buf = append(buf, ':')
		buf = append(buf, m.value...)
	}
	return append(buf, '}')
}

// isObject reports whether a JSON value (trimmed) is an object.
func isObject(v []byte) bool { return len(v) > 0 && v[0] == '{' }
