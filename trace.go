package binvault

import (
	"context"
	"sync"
)

// Trace is what the Vault learned about one request, for the activity log:
// who it acted as, whose resource it touched. The transport puts one in the
// request's context (WithTrace) and reads it after the request is served.
type Trace struct {
	mu         sync.Mutex
	principal  *Principal
	accountID  string
	resourceID string
}

type traceKey struct{}

// WithTrace returns a context that carries a new Trace.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, traceKey{}, t), t
}

func traceOf(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

func (t *Trace) setPrincipal(p *Principal) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.principal, t.accountID = p, p.AccountID
	t.mu.Unlock()
}

// setResource records the resource and, for a request without a key, its
// owner, so that public reads show in the owner's activity.
func (t *Trace) setResource(id, ownerID string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.resourceID = id
	if t.accountID == "" {
		t.accountID = ownerID
	}
	t.mu.Unlock()
}

// Fill copies what the trace learned into a.
func (t *Trace) Fill(a *Activity) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a.AccountID, a.ResourceID, a.AuthMethod = t.accountID, t.resourceID, AuthPublic
	if p := t.principal; p != nil {
		a.AuthMethod, a.KeyID, a.KeyPrefix = p.Method, p.KeyID, p.KeyPrefix
	}
}
