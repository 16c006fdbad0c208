// Package schema validates bin bodies against JSONBin "schema docs": JSON
// Schema documents attached to collections.
//
// Schemas without "$schema" are read as draft-07, the dialect of JSONBin's
// examples; "$schema" naming draft-04, -06, -07, 2019-09 or 2020-12 is
// honoured and any other dialect is refused. A schema may only refer to
// itself ("#/definitions/...", "#/$defs/..."): every remote "$ref" or
// "$schema" is refused without touching the network or the disk, because a
// user-supplied schema must not make the server fetch anything. "format" is
// an annotation only, never an assertion, in every dialect. Patterns use Go's
// RE2 syntax, so lookarounds and backreferences are refused by Check.
package schema

import (
	"bytes"
	"container/list"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// DefaultCacheSize is how many compiled schemas New keeps: a compiled
// schema costs a few KiB to tens of KiB, so a thousand fit comfortably.
const DefaultCacheSize = 1000

// Validator compiles schema documents once and validates JSON documents
// against them. It is safe for concurrent use.
type Validator struct {
	mu      sync.Mutex
	entries map[string]*entry // by schema doc id; one rev per id
	lru     *list.List        // of *entry, most recently used first
	max     int

	// compiles counts compilations so tests can prove the cache works.
	compiles atomic.Int64
}

// entry is one cached compilation. done is closed once sch or err is set,
// so callers that find an entry still compiling wait for it instead of
// compiling the same schema again.
type entry struct {
	id   string
	rev  int64
	elem *list.Element
	done chan struct{}
	sch  *jsonschema.Schema
	err  error
}

// Mismatch is the error Validate returns when a document does not match its
// schema. Reason is one line of at most 200 characters, prefixed with the
// failing location as a JSON pointer unless that is the root: "must have
// required property 'name'", "/address/zip: must be string, but got number".
// It never quotes more than a short token of the document, which may be
// secret.
type Mismatch struct {
	Reason string
}

// Error implements the error interface.
func (m *Mismatch) Error() string {
	return "schema mismatch: " + m.Reason
}

// SchemaMismatch returns Reason; binvault.Vault recognises a mismatch by
// this method, so it need not import this package.
func (m *Mismatch) SchemaMismatch() string {
	return m.Reason
}

// errAbandoned is what waiters see if the compilation they waited for
// panicked; the entry is dropped, so the next call compiles afresh.
var errAbandoned = errors.New("compilation abandoned")

// New returns a Validator that caches up to DefaultCacheSize compiled
// schemas, evicting the least recently used.
func New() *Validator {
	return newValidator(DefaultCacheSize)
}

// newValidator returns a Validator caching at most max compiled schemas;
// tests use a small max to exercise eviction.
func newValidator(max int) *Validator {
	return &Validator{entries: make(map[string]*entry), lru: list.New(), max: max}
}

// Check reports whether schema (raw JSON bytes) is a usable JSON Schema by
// compiling it. Its error is a short readable reason, meant to follow
// "Invalid Schema Doc: ", e.g. `/type: must be equal to one of the allowed
// values` or `$ref "http://example.com/a.json" is not allowed: only
// references inside the schema are followed`.
func (v *Validator) Check(schema []byte) error {
	sch, err := compile(schema)
	if err != nil {
		return err
	}
	return probeCycles(sch)
}

// Validate validates doc (raw JSON, already known to be valid) against the
// schema doc identified by (id, rev) whose bytes are schema. The compiled
// schema is cached by id: the same (id, rev) is compiled once, and a new rev
// replaces the old one. It returns nil, a *Mismatch when doc does not
// match, or another error when schema does not compile or doc is not JSON,
// which Check should have prevented and so deserve a 500, not a 400.
func (v *Validator) Validate(id string, rev int64, schema, doc []byte) error {
	sch, err := v.compiled(id, rev, schema)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("schema: decode document: %w", err)
	}
	var verr *jsonschema.ValidationError
	if err := sch.Validate(inst); errors.As(err, &verr) {
		return &Mismatch{Reason: reason(verr)}
	} else if err != nil {
		return fmt.Errorf("schema: validate: %w", err)
	}
	return nil
}

// compiled returns the compiled schema for (id, rev), compiling raw only
// when no other call has done or is doing so.
func (v *Validator) compiled(id string, rev int64, raw []byte) (*jsonschema.Schema, error) {
	e, owner := v.lookup(id, rev)
	if owner {
		v.fill(e, raw)
	} else {
		<-e.done
	}
	if e.err != nil {
		return nil, fmt.Errorf("schema: compile schema doc %s rev %d: %w", id, rev, e.err)
	}
	return e.sch, nil
}

// lookup finds the entry for (id, rev) and marks it recently used, or
// inserts an empty one, replacing any other rev of id and evicting the least
// recently used entry past max; owner says the caller must fill it.
func (v *Validator) lookup(id string, rev int64) (e *entry, owner bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e := v.entries[id]; e != nil {
		if e.rev == rev {
			v.lru.MoveToFront(e.elem)
			return e, false
		}
		v.removeLocked(e)
	}
	e = &entry{id: id, rev: rev, done: make(chan struct{})}
	e.elem = v.lru.PushFront(e)
	v.entries[id] = e
	for v.lru.Len() > v.max {
		v.removeLocked(v.lru.Back().Value.(*entry))
	}
	return e, true
}

// fill compiles raw into e and releases its waiters. A failed compilation is
// not cached: the caller's bytes for this rev may have been wrong, and a
// panic must not leave waiters blocked forever.
func (v *Validator) fill(e *entry, raw []byte) {
	e.err = errAbandoned
	defer func() {
		if e.err != nil {
			v.forget(e)
		}
		close(e.done)
	}()
	v.compiles.Add(1)
	e.sch, e.err = compile(raw)
}

// forget drops e from the cache unless it was already replaced or evicted.
func (v *Validator) forget(e *entry) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.entries[e.id] == e {
		v.removeLocked(e)
	}
}

// removeLocked drops e from the map and the LRU list; v.mu must be held.
func (v *Validator) removeLocked(e *entry) {
	delete(v.entries, e.id)
	v.lru.Remove(e.elem)
}
