package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the IP address whose bucket r belongs to.
//
// It is the direct peer's address (r.RemoteAddr) unless that peer is in
// trustedProxies; only then is X-Forwarded-For read, and the client is its
// right-most address that is not itself a trusted proxy. Each proxy appends
// the peer it saw, so the right end of the header was written by proxies we
// trust and everything left of it was written by the client, who can put
// anything there. Reading the header from an untrusted peer, or reading its
// left-most entry, would let a client pick its own bucket, a fresh one per
// request, and never be limited.
//
// If every forwarded address is a trusted proxy, the left-most one is used;
// a malformed entry stops the walk at the last trusted hop. IPv4-mapped IPv6
// addresses are unmapped so ::ffff:192.0.2.1 and 192.0.2.1 share a bucket.
// A RemoteAddr that is not an IP (a Unix socket) is returned unchanged.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !isTrusted(peer, trustedProxies) {
		return peer.String()
	}
	return forwardedFor(r.Header.Values("X-Forwarded-For"), peer, trustedProxies).String()
}

// forwardedFor walks the X-Forwarded-For lines and entries from the right,
// starting from hop, the trusted peer, and returns the first untrusted address.
func forwardedFor(lines []string, hop netip.Addr, trustedProxies []netip.Prefix) netip.Addr {
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for rest != "" {
			var item string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				item, rest = rest[j+1:], rest[:j]
			} else {
				item, rest = rest, ""
			}
			addr, ok := parseAddr(strings.TrimSpace(item))
			if !ok {
				return hop
			}
			if !isTrusted(addr, trustedProxies) {
				return addr
			}
			hop = addr
		}
	}
	return hop
}

// parseAddr accepts "ip", "ip:port", "[ipv6]:port" and "[ipv6]", the shapes
// RemoteAddr and X-Forwarded-For entries come in.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr()), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	addr, err := netip.ParseAddr(s)
	return normalize(addr), err == nil
}

// normalize drops what would split one client over several buckets: the
// IPv4-in-IPv6 mapping and the zone.
func normalize(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

func isTrusted(a netip.Addr, trustedProxies []netip.Prefix) bool {
	for _, p := range trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
