package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/binvault/binvault/ratelimit"
)

// Example shows both limiters in front of a handler: a per-key limit, and a
// per-IP gate that only failed authentications drain.
func Example() {
	perKey := ratelimit.New(50, 100)
	failedAuth := ratelimit.New(1, 2) // burst 20 in production; 2 keeps the output short
	checkKey := func(key string) bool { return key == "good" }

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Master-Key")
		ip := ratelimit.ClientIP(r, nil)
		if d := failedAuth.Peek(ip); !d.Allowed {
			d.SetHeaders(w.Header()) // refused before the key is looked at
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if !checkKey(key) {
			failedAuth.Allow(ip)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		d := perKey.Allow(key)
		d.SetHeaders(w.Header())
		if !d.Allowed {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	for _, key := range []string{"bad1", "bad2", "good"} {
		r := httptest.NewRequest(http.MethodGet, "/b/1", nil)
		r.Header.Set("X-Master-Key", key)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Printf("%s %d Retry-After=%q\n", key, w.Code, w.Header().Get("Retry-After"))
	}
	// Output:
	// bad1 401 Retry-After=""
	// bad2 401 Retry-After=""
	// good 429 Retry-After="1"
}
