package schema

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// docURL names the schema being compiled. It is neither a file path nor an
// http URL, so relative references resolve to nothing anyone could serve.
const docURL = "binvault:///schema-doc.json"

// builtinFormats returns the formats jsonschema v6 asserts by default in
// drafts before 2019-09. binvault registers each as a no-op so "format" is
// an annotation in every dialect, as it is by default from 2019-09 on:
// validators disagree on what each format accepts, and asserting them would
// refuse bins that other JSON Schema tools accept. "regex" is special-cased
// by the library and handled by regexpEngine instead.
func builtinFormats() []string {
	return []string{
		"json-pointer", "relative-json-pointer", "uuid", "duration", "period",
		"ipv4", "ipv6", "hostname", "email", "date", "time", "date-time",
		"uri", "iri", "uri-reference", "iri-reference", "uri-template", "semver",
	}
}

// compile decodes raw and compiles it with binvault's safety settings: a
// loader that refuses every URL, draft-07 by default, formats as
// annotations. A fresh compiler per schema keeps one user's schema from
// seeing another's resources, and compilers are not safe for concurrent use.
func compile(raw []byte) (*jsonschema.Schema, error) {
	doc, err := decode(raw)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(refusingLoader{})
	c.DefaultDraft(jsonschema.Draft7)
	for _, name := range builtinFormats() {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: func(any) error { return nil }})
	}
	re := &regexpEngine{}
	c.UseRegexpEngine(re.compile)
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, describe(err, doc)
	}
	sch, err := c.Compile(docURL)
	re.compiled.Store(true)
	if err != nil {
		return nil, describe(err, doc)
	}
	return sch, nil
}

// decode parses raw keeping numbers exact, and refuses what cannot be a
// schema before the compiler gives a less readable reason.
func decode(raw []byte) (any, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %s", clip(err.Error(), maxReason))
	}
	switch doc.(type) {
	case map[string]any, bool:
		return doc, nil
	}
	return nil, fmt.Errorf("a schema must be a JSON object or boolean, not %s", jsonType(doc))
}

// refusingLoader replaces the compiler's default FileLoader: a schema doc
// is user input, and following its "$ref" or "$schema" would let any user
// read the server's files or make it send requests.
type refusingLoader struct{}

// Load refuses url; the compiler still serves the standard metaschemas
// itself, without calling a loader.
func (refusingLoader) Load(url string) (any, error) {
	return nil, errors.New("loading is disabled")
}

// regexpEngine compiles the schema's patterns with Go's RE2 until the schema
// is compiled, then accepts every string. After compilation the library calls
// it only to check document values against `"format": "regex"`, which
// binvault treats as an annotation like every other format.
type regexpEngine struct {
	compiled atomic.Bool
}

// compile implements jsonschema.RegexpEngine.
func (e *regexpEngine) compile(s string) (jsonschema.Regexp, error) {
	if e.compiled.Load() {
		return nil, nil
	}
	return regexp.Compile(s)
}

// describe turns a compile error into one readable line: the library's own
// messages are multi-line and name docURL, which means nothing to a user.
func describe(err error, doc any) error {
	var (
		load  *jsonschema.LoadURLError
		meta  *jsonschema.SchemaValidationError
		regex *jsonschema.InvalidRegexError
		verr  *jsonschema.ValidationError
	)
	switch {
	case errors.As(err, &load):
		return describeLoad(load.URL, doc)
	case errors.As(err, &meta) && errors.As(meta.Err, &verr):
		return describeMeta(verr)
	case errors.As(err, &regex):
		_, ptr, _ := strings.Cut(regex.URL, "#")
		return fmt.Errorf("%s: invalid regular expression %s: %s", ptr, quoted(regex.Regex, maxToken*2), regexProblem(regex.Err))
	}
	msg := strings.ReplaceAll(err.Error(), docURL, "")
	msg, _, _ = strings.Cut(msg, "\n")
	return errors.New(clip(msg, maxReason))
}

// describeLoad explains a refused URL: the top-level "$schema" names an
// unknown dialect (the known ones never reach the loader); anything else is
// a reference to another document.
func describeLoad(url string, doc any) error {
	if obj, ok := doc.(map[string]any); ok {
		if s, ok := obj["$schema"].(string); ok && withoutFragment(s) == withoutFragment(url) {
			return fmt.Errorf("unsupported $schema %s: use draft-04, draft-06, draft-07, 2019-09 or 2020-12", quoted(url, maxToken*2))
		}
	}
	return fmt.Errorf("$ref %s is not allowed: only references inside the schema are followed", quoted(url, maxToken*2))
}

// describeMeta explains why a schema does not match its metaschema. A
// pattern RE2 cannot compile gets its own wording: ajv users expect
// lookarounds to work, and "must match format regex" would not tell them why.
func describeMeta(verr *jsonschema.ValidationError) error {
	leaf := pick(verr)
	bad := find(leaf, func(e *jsonschema.ValidationError) bool {
		f, ok := e.ErrorKind.(*kind.Format)
		return ok && f.Want == "regex"
	})
	if bad == nil {
		return errors.New(reason(verr))
	}
	f := bad.ErrorKind.(*kind.Format)
	re, _ := f.Got.(string)
	msg := fmt.Sprintf("invalid regular expression %s: %s", quoted(re, maxToken*2), regexProblem(f.Err))
	return errors.New(located(leaf.InstanceLocation, msg))
}

// regexProblem words why RE2 refused a pattern, without repeating it.
func regexProblem(err error) string {
	var serr *syntax.Error
	if errors.As(err, &serr) {
		return string(serr.Code)
	}
	return clip(err.Error(), maxToken*2)
}

// probeCycles refuses a schema whose "$ref"s loop without consuming any of
// the document, such as {"$ref":"#"}: it compiles, but every document would
// then fail with "has a $ref cycle". Only cycles reached by an empty object
// or null are found; deeper ones still fail at validation.
func probeCycles(sch *jsonschema.Schema) error {
	for _, inst := range []any{nil, map[string]any{}} {
		var verr *jsonschema.ValidationError
		if !errors.As(sch.Validate(inst), &verr) {
			continue
		}
		cycle := find(verr, func(e *jsonschema.ValidationError) bool {
			_, ok := e.ErrorKind.(*kind.RefCycle)
			return ok
		})
		if cycle != nil {
			return errors.New("$ref cycle: the schema refers to itself without descending into the document")
		}
	}
	return nil
}

// withoutFragment drops a URL's "#..." part.
func withoutFragment(url string) string {
	u, _, _ := strings.Cut(url, "#")
	return u
}
