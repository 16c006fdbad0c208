package binvault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// checkRecord applies JSONBin's body rules to a bin record and returns it
// compacted: at most MaxBinSize bytes; not empty and not {} ("Bin cannot be
// blank"; [] is accepted, as the Flask tutorial seed needs); valid UTF-8
// JSON whose top level is an object or array and whose nesting stays within
// MaxDepth. Key order and number spelling are kept exactly.
func (v *Vault) checkRecord(body []byte, maxSize int) ([]byte, error) {
	if len(body) > maxSize {
		return nil, TooLarge(maxSize)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, Errorf(EINVALID, "%s", MsgBinBlank)
	}
	if (body[0] != '{' && body[0] != '[') || !utf8.Valid(body) {
		return nil, Errorf(EINVALID, "%s", MsgInvalidJSON)
	}
	var buf bytes.Buffer
	buf.Grow(len(body))
	if err := json.Compact(&buf, body); err != nil {
		return nil, Errorf(EINVALID, "%s", MsgInvalidJSON)
	}
	out := buf.Bytes()
	if string(out) == "{}" {
		return nil, Errorf(EINVALID, "%s", MsgBinBlank)
	}
	if d, _ := shape(out); d > v.cfg.MaxDepth {
		return nil, Errorf(EINVALID, "%s", MsgInvalidJSON)
	}
	return out, nil
}

// checkPatched applies checkRecord's rules to a record a patch made from a
// stored record and a checked patch. That is valid JSON by construction, so
// the costly parse is skipped (this runs inside a store transaction when
// patches race): only the limits are checked, and whitespace the patch
// brought in is compacted away.
func (v *Vault) checkPatched(record []byte, maxSize int) ([]byte, error) {
	record = bytes.TrimSpace(record)
	if len(record) == 0 || (record[0] != '{' && record[0] != '[') {
		return nil, Errorf(EINVALID, "%s", MsgInvalidJSON)
	}
	d, spaced := shape(record)
	if spaced {
		return v.checkRecord(record, maxSize)
	}
	switch {
	case len(record) > maxSize:
		return nil, TooLarge(maxSize)
	case string(record) == "{}":
		return nil, Errorf(EINVALID, "%s", MsgBinBlank)
	case d > v.cfg.MaxDepth:
		return nil, Errorf(EINVALID, "%s", MsgInvalidJSON)
	}
	return record, nil
}

// TooLarge is the ETOOLARGE of a body over maxSize bytes, in JSONBin's
// words.
func TooLarge(maxSize int) *Error {
	return Errorf(ETOOLARGE, MsgBinTooLarge, humanSize(maxSize))
}

// shape returns the deepest nesting of objects and arrays in valid JSON,
// and whether it has whitespace outside strings (is not compact). Strings
// are skipped with IndexByte: most of a large record is usually in them.
func shape(b []byte) (maxDepth int, spaced bool) {
	d := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = closingQuote(b, i)
		case '{', '[':
			if d++; d > maxDepth {
				maxDepth = d
			}
		case '}', ']':
			d--
		case ' ', '\t', '\r', '\n':
			spaced = true
		}
	}
	return maxDepth, spaced
}

// closingQuote returns the index of the quote that ends the string opening
// at b[open], or len(b): a quote counts unless an odd run of backslashes
// precedes it.
func closingQuote(b []byte, open int) int {
	for j := open + 1; j < len(b); j++ {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			break
		}
		j += q
		n := 0
		for k := j - 1; k > open && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j
		}
	}
	return len(b)
}

// humanSize renders a byte count the way limits are usually spoken of.
func humanSize(n int) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
