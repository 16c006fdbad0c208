package patch

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// objectMembers splits a JSON object into its members in order.
func objectMembers(obj []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var out []member
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is %T", tok)
		}
		rawKey := bytes.TrimLeft(obj[start:dec.InputOffset()], " \t\r\n,")
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		out = append(out, member{rawKey, key, bytes.TrimSpace(value)})
	}
	return out, nil
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
