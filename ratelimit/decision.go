package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// Canonical forms of the header names, so http.Header.Get finds them under
// any spelling; header names are case-insensitive on the wire.
const (
	headerLimit      = "Ratelimit-Limit"
	headerRemaining  = "Ratelimit-Remaining"
	headerReset      = "Ratelimit-Reset"
	headerRetryAfter = "Retry-After"
)

// Decision is the outcome of Allow or Peek and what the response headers
// need. A zero Limit means the Limiter is unlimited and there is nothing to
// report.
type Decision struct {
	// Allowed reports whether the request may proceed; when false the
	// server answers 429 Too Many Requests.
	Allowed bool
	// Limit is the bucket size (the burst).
	Limit int
	// Remaining is the whole tokens left after this request.
	Remaining int
	// Reset is how long until the bucket is full again, or until the next
	// token when Remaining is 0.
	Reset time.Duration
	// RetryAfter is how long until a token is available; zero when Allowed.
	RetryAfter time.Duration
}

// SetHeaders writes RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
// on h, plus Retry-After when the request is refused. Durations are written
// in whole seconds rounded up, so a client waiting that long finds a token;
// Retry-After is at least 1, since 0 would invite an immediate retry.
// An unlimited decision writes nothing.
func (d Decision) SetHeaders(h http.Header) {
	if d.Limit == 0 {
		return
	}
	// One backing array for all values instead of one slice per header.
	v := [4]string{
		strconv.Itoa(d.Limit),
		strconv.Itoa(d.Remaining),
		strconv.FormatInt(ceilSeconds(d.Reset), 10),
		strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10),
	}
	s := v[:]
	h[headerLimit] = s[0:1:1]
	h[headerRemaining] = s[1:2:2]
	h[headerReset] = s[2:3:3]
	if !d.Allowed {
		h[headerRetryAfter] = s[3:4:4]
	}
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
