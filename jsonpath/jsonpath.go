// Package jsonpath evaluates JSONPath expressions against stored bin
// documents for the X-JSON-Path read header.
//
// Evaluation follows RFC 9535 (via github.com/theory/jsonpath), with a thin
// rewriting layer that accepts the Goessner dialect JSONBin documents. The
// matched values are copied from the original document bytes rather than
// re-encoded, so key order and number spelling survive untouched.
package jsonpath

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	rfcpath "github.com/theory/jsonpath"
)

// ErrInvalidPath reports an expression that is not valid JSONPath.
var ErrInvalidPath = errors.New("invalid JSONPath expression")

// Query applies expr to the JSON document doc and returns a compact JSON array
// of the matched values, each copied byte-for-byte (compacted) from doc, in
// the order the query produces them. It returns ErrInvalidPath (wrapped) when
// expr cannot be parsed.
//
// Ordering of matches that come from iterating object members (wildcards and
// descendant segments over objects) is unspecified, as in RFC 9535.
func Query(doc []byte, expr string) ([]byte, error) {
	// Parse first so a bad expression is reported as such even when the
	// document is also broken.
	path, err := parse(expr)
	if err != nil {
		return nil, err
	}
	value, err := decode(doc)
	if err != nil {
		return nil, err
	}
	return render(doc, path.SelectLocated(value))
}

// parse converts expr from the JSONBin dialect to RFC 9535 and parses it.
func parse(expr string) (*rfcpath.Path, error) {
	normalized, err := normalizeExpr(expr)
	if err != nil {
		return nil, err
	}
	path, err := rfcpath.Parse(normalized)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPath, err)
	}
	return path, nil
}

// decode parses doc into the generic form the evaluator walks. UseNumber
// keeps numbers as json.Number; the library's filter comparisons accept
// json.Number (converting via Float64), so no further conversion is needed,
// and the output never uses these values anyway: it is cut from doc.
func decode(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, fmt.Errorf("jsonpath: invalid JSON document: %w", err)
	}
	// The raw navigator assumes doc is exactly one value, so reject trailing
	// data that Decode alone would silently ignore.
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("jsonpath: invalid JSON document: trailing data after top-level value")
	}
	return value, nil
}

// render writes the raw bytes of each located node, compacted, into a JSON
// array.
func render(doc []byte, nodes rfcpath.LocatedNodeList) ([]byte, error) {
	idx := newRawIndex(doc)
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, node := range nodes {
		sp, err := idx.locate(node.Path)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := json.Compact(&buf, doc[sp.start:sp.end]); err != nil {
			return nil, fmt.Errorf("jsonpath: compact %s: %w", node.Path, err)
		}
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}
