package httpapi

import (
	"net/http"
	"net/netip"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/ratelimit"
)

// Limits are the per-node rate limits an operator sets. A rate of 0 turns
// that limit off.
type Limits struct {
	// KeyRate and KeyBurst limit each key (requests per second, burst).
	KeyRate  float64
	KeyBurst int
	// IPRate and IPBurst limit each client IP.
	IPRate  float64
	IPBurst int
	// AuthFailRate and AuthFailBurst slow down key guessing: a client IP
	// whose failed authentications drain this bucket gets 429 for requests
	// that carry a key until it refills.
	AuthFailRate  float64
	AuthFailBurst int
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
}

// limiters are the token buckets of one node, sized for the number of
// nodes sharing the store: each gets 1/nodes of every configured rate and
// burst, so a client spread over all nodes by a load balancer gets the
// configured limit in total.
type limiters struct {
	nodes             int
	key, ip, authFail *ratelimit.Limiter
	trusted           []netip.Prefix
}

func newLimiters(l Limits, nodes int) *limiters {
	share := func(r float64, burst int) (float64, int) {
		return r / float64(nodes), max(burst/nodes, 1)
	}
	kr, kb := share(l.KeyRate, l.KeyBurst)
	ir, ib := share(l.IPRate, l.IPBurst)
	ar, ab := share(l.AuthFailRate, l.AuthFailBurst)
	return &limiters{
		nodes:    nodes,
		key:      ratelimit.New(kr, kb),
		ip:       ratelimit.New(ir, ib),
		authFail: ratelimit.New(ar, ab),
		trusted:  l.TrustedProxies,
	}
}

// currentLimiters returns the limiters for today's node count, resizing
// them (and starting every bucket afresh) when servers join or leave.
func (s *Server) currentLimiters() *limiters {
	l := s.limits.Load()
	if n := s.vault.LiveNodes(); n != l.nodes {
		fresh := newLimiters(s.limitCfg, n)
		if s.limits.CompareAndSwap(l, fresh) {
			return fresh
		}
		return s.limits.Load()
	}
	return l
}

// admit writes the decision's headers and, when it refuses, the 429.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, d ratelimit.Decision) bool {
	if d.Limit == 0 {
		return true // that limit is off
	}
	d.SetHeaders(w.Header())
	if !d.Allowed {
		s.writeError(w, r, errorf(binvault.ERATELIMITED, binvault.MsgRateLimited, int(d.RetryAfter.Seconds())))
	}
	return d.Allowed
}
