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
	if depth(out) > v.cfg.MaxDepth {
		return nil, Errorf(EINVALID, "%s", MsgInvalidJSON)
	}
	return out, nil
}

// TooLarge is the ETOOLARGE of a body over maxSize bytes, in JSONBin's
// words.
func TooLarge(maxSize int) *Error {
	return Errorf(ETOOLARGE, MsgBinTooLarge, humanSize(maxSize))
}

// depth returns the deepest nesting of objects and arrays in valid, compact
// JSON. Brackets inside strings do not count.
func depth(b []byte) int {
	d, max, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if d++; d > max {
				max = d
			}
		case c == '}' || c == ']':
			d--
		}
	}
	return max
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
