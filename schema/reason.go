package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Limits on what a reason quotes: it ends up in a response body and maybe a
// log line, and a bin body (its keys included) may be secret.
const (
	maxReason = 200 // runes in a whole reason
	maxToken  = 32  // runes of one quoted name, pointer token or value
	maxListed = 5   // names or allowed values listed before "…"
)

// reason renders the most useful error of a validation error tree as one
// line: "<instance pointer>: <ajv-like message>", without the pointer at
// the root. Messages follow ajv's wording, as JSONBin's do.
func reason(err *jsonschema.ValidationError) string {
	leaf := pick(err)
	return located(leaf.InstanceLocation, message(leaf.ErrorKind))
}

// located prefixes msg with the JSON pointer of loc, unless loc is the root,
// and clips the result to one reason.
func located(loc []string, msg string) string {
	if ptr := pointer(loc); ptr != "" {
		msg = ptr + ": " + msg
	}
	return clip(msg, maxReason)
}

// pick returns the leaf with the deepest instance location: the deepest
// failure is the most specific one ("/address/zip: must be string" rather
// than "/address: must match a schema in anyOf"). Among equals it prefers
// anything to a type error, because in an anyOf the branch of the wrong type
// is rarely the one the author meant; then the first.
func pick(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	if isLeaf(e) {
		return e
	}
	if u := typeUnion(e); u != nil {
		return u
	}
	var best *jsonschema.ValidationError
	for _, c := range e.Causes {
		if l := pick(c); best == nil || weight(l) > weight(best) {
			best = l
		}
	}
	return best
}

// weight ranks leaves for pick.
func weight(e *jsonschema.ValidationError) int {
	w := 2 * len(e.InstanceLocation)
	if _, ok := e.ErrorKind.(*kind.Type); !ok {
		w++
	}
	return w
}

// typeUnion merges an anyOf or oneOf whose branches all failed on "type" at
// its own location into one type error, so the common nullable idiom
// {"anyOf":[{"type":"string"},{"type":"null"}]} reads "must be string or
// null" instead of naming one branch. It returns nil for anything else.
func typeUnion(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
	default:
		return nil
	}
	u := &kind.Type{}
	for _, c := range e.Causes {
		t, ok := c.ErrorKind.(*kind.Type)
		if !ok || len(c.Causes) > 0 || len(c.InstanceLocation) != len(e.InstanceLocation) {
			return nil
		}
		u.Got = t.Got
		for _, w := range t.Want {
			if !slices.Contains(u.Want, w) {
				u.Want = append(u.Want, w)
			}
		}
	}
	return &jsonschema.ValidationError{InstanceLocation: e.InstanceLocation, ErrorKind: u}
}

// find returns the first error in e's tree, depth first, that match
// accepts, or nil.
func find(e *jsonschema.ValidationError, match func(*jsonschema.ValidationError) bool) *jsonschema.ValidationError {
	if match(e) {
		return e
	}
	for _, c := range e.Causes {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

// isLeaf says whether e is reported itself rather than through its causes.
// The causes of propertyNames and contentSchema errors validate another
// instance (the name, the decoded content), so their locations would lie.
func isLeaf(e *jsonschema.ValidationError) bool {
	switch e.ErrorKind.(type) {
	case *kind.PropertyNames, *kind.ContentSchema:
		return true
	}
	return len(e.Causes) == 0
}

// message words one error kind like ajv does, quoting only short tokens.
func message(k jsonschema.ErrorKind) string {
	for _, f := range [...]func(jsonschema.ErrorKind) (string, bool){
		valueMessage, numberMessage, objectMessage, arrayMessage, logicMessage,
	} {
		if msg, ok := f(k); ok {
			return msg
		}
	}
	return "must be valid against " + quoted(strings.Join(k.KeywordPath(), "/"), maxToken)
}

// valueMessage words the kinds that apply to any value or to strings.
func valueMessage(k jsonschema.ErrorKind) (string, bool) {
	switch k := k.(type) {
	case *kind.Type:
		return fmt.Sprintf("must be %s, but got %s", strings.Join(k.Want, " or "), k.Got), true
	case *kind.Enum:
		return "must be equal to one of the allowed values" + allowed(k.Want), true
	case *kind.Const:
		return "must be equal to constant" + allowed([]any{k.Want}), true
	case *kind.Format:
		return "must match format " + quoted(k.Want, maxToken), true
	case *kind.MinLength:
		return fmt.Sprintf("must NOT have fewer than %d characters", k.Want), true
	case *kind.MaxLength:
		return fmt.Sprintf("must NOT have more than %d characters", k.Want), true
	case *kind.Pattern:
		return "must match pattern " + quoted(k.Want, maxToken*2), true
	case *kind.ContentEncoding:
		return "must be encoded as " + quoted(k.Want, maxToken), true
	case *kind.ContentMediaType:
		return "must be of media type " + quoted(k.Want, maxToken), true
	case *kind.ContentSchema:
		return "content must be valid against contentSchema", true
	}
	return "", false
}

// numberMessage words the numeric bounds.
func numberMessage(k jsonschema.ErrorKind) (string, bool) {
	switch k := k.(type) {
	case *kind.Minimum:
		return "must be >= " + ratString(k.Want), true
	case *kind.Maximum:
		return "must be <= " + ratString(k.Want), true
	case *kind.ExclusiveMinimum:
		return "must be > " + ratString(k.Want), true
	case *kind.ExclusiveMaximum:
		return "must be < " + ratString(k.Want), true
	case *kind.MultipleOf:
		return "must be multiple of " + ratString(k.Want), true
	}
	return "", false
}

// objectMessage words the object keywords.
func objectMessage(k jsonschema.ErrorKind) (string, bool) {
	switch k := k.(type) {
	case *kind.Required:
		return "must have required " + noun(len(k.Missing), "property", "properties") + " " + names(k.Missing), true
	case *kind.Dependency:
		return dependencyMessage(k.Prop, k.Missing), true
	case *kind.DependentRequired:
		return dependencyMessage(k.Prop, k.Missing), true
	case *kind.AdditionalProperties:
		// sorted: the library lists them in map order, and a reason should
		// not change between two identical requests
		props := slices.Sorted(slices.Values(k.Properties))
		return "must NOT have additional " + noun(len(props), "property", "properties") + " " + names(props), true
	case *kind.PropertyNames:
		return "property name " + names([]string{k.Property}) + " is invalid", true
	case *kind.MinProperties:
		return fmt.Sprintf("must NOT have fewer than %d properties", k.Want), true
	case *kind.MaxProperties:
		return fmt.Sprintf("must NOT have more than %d properties", k.Want), true
	}
	return "", false
}

// dependencyMessage words "dependencies" (array form) and
// "dependentRequired".
func dependencyMessage(prop string, missing []string) string {
	return fmt.Sprintf("must have %s %s when property %s is present",
		noun(len(missing), "property", "properties"), names(missing), names([]string{prop}))
}

// arrayMessage words the array keywords.
func arrayMessage(k jsonschema.ErrorKind) (string, bool) {
	switch k := k.(type) {
	case *kind.MinItems:
		return fmt.Sprintf("must NOT have fewer than %d items", k.Want), true
	case *kind.MaxItems:
		return fmt.Sprintf("must NOT have more than %d items", k.Want), true
	case *kind.AdditionalItems:
		return fmt.Sprintf("must NOT have %d additional %s", k.Count, noun(k.Count, "item", "items")), true
	case *kind.UniqueItems:
		return fmt.Sprintf("must NOT have duplicate items (items ## %d and %d are identical)", k.Duplicates[0], k.Duplicates[1]), true
	case *kind.Contains:
		return "must contain at least 1 valid item", true
	case *kind.MinContains:
		return fmt.Sprintf("must contain at least %d valid %s", k.Want, noun(k.Want, "item", "items")), true
	case *kind.MaxContains:
		return fmt.Sprintf("must contain at most %d valid %s", k.Want, noun(k.Want, "item", "items")), true
	}
	return "", false
}

// logicMessage words the applicators, which are reported only when they
// have no more specific cause.
func logicMessage(k jsonschema.ErrorKind) (string, bool) {
	switch k := k.(type) {
	case *kind.Not:
		return "must NOT be valid", true
	case *kind.AllOf:
		return "must match all schemas in allOf", true
	case *kind.AnyOf:
		return "must match a schema in anyOf", true
	case *kind.OneOf:
		if len(k.Subschemas) >= 2 {
			return fmt.Sprintf("must match exactly one schema in oneOf, but matched #%d and #%d", k.Subschemas[0], k.Subschemas[1]), true
		}
		return "must match exactly one schema in oneOf", true
	case *kind.FalseSchema:
		return "boolean schema is false", true
	case *kind.RefCycle:
		return "has a $ref cycle", true
	}
	return "", false
}

// allowed lists schema values after ": " when they are all short scalars,
// and says nothing otherwise rather than quote a large value.
func allowed(values []any) string {
	if len(values) > maxListed {
		return ""
	}
	out := make([]string, 0, len(values))
	for _, v := range values {
		s, ok := scalar(v)
		if !ok {
			return ""
		}
		out = append(out, s)
	}
	return ": " + strings.Join(out, ", ")
}

// scalar renders a JSON scalar of at most maxToken runes: strings in single
// quotes, as ajv quotes property names.
func scalar(v any) (string, bool) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case bool:
		s = strconv.FormatBool(v)
	case nil:
		s = "null"
	default:
		return "", false
	}
	if utf8.RuneCountInString(s) > maxToken {
		return "", false
	}
	if _, ok := v.(string); ok {
		return "'" + clip(s, maxToken) + "'", true
	}
	return s, true
}

// names quotes up to maxListed names, each clipped to maxToken runes.
func names(list []string) string {
	var b strings.Builder
	for i, n := range list {
		if i == maxListed {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + clip(n, maxToken) + "'")
	}
	return b.String()
}

// quoted clips s to n runes in double quotes, as ajv quotes patterns. It
// does not escape, so a pattern reads as its author wrote it.
func quoted(s string, n int) string {
	return `"` + clip(s, n) + `"`
}

// noun picks the singular or plural form for n.
func noun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ratString renders a schema bound exactly when it is an integer, as the
// nearest float64 otherwise.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return clip(r.Num().String(), maxToken)
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// pointer renders an instance location as a JSON pointer (RFC 6901), each
// token clipped, since object keys come from the document.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(clip(strings.ReplaceAll(t, "/", "~1"), maxToken))
	}
	return b.String()
}

// clip keeps s on one line and at most n runes, marking a cut with "…".
func clip(s string, n int) string {
	var b strings.Builder
	count := 0
	for _, r := range s {
		if count == n-1 && utf8.RuneCountInString(s) > n {
			b.WriteRune('…')
			break
		}
		if unicode.IsControl(r) {
			r = '?'
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// jsonType names the JSON type of a decoded value for messages.
func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}
