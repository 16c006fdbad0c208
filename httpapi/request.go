package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/binvault/binvault"
)

// credentials reads the key headers. An empty header counts as absent;
// "Authorization: Bearer" carries either kind, told apart by its prefix.
func credentials(r *http.Request) binvault.Credentials {
	c := binvault.Credentials{
		MasterKey: strings.TrimSpace(r.Header.Get("X-Master-Key")),
		AccessKey: strings.TrimSpace(r.Header.Get("X-Access-Key")),
	}
	switch token := bearerToken(r); {
	case token == "":
	case strings.HasPrefix(token, "bv_ak_"):
		if c.AccessKey == "" {
			c.AccessKey = token
		}
	case c.MasterKey == "":
		c.MasterKey = token
	}
	return c
}

// bearerToken returns the token of "Authorization: Bearer <token>", or "".
func bearerToken(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(auth[7:])
}

// isJSON reports whether the request declares a JSON body; parameters such
// as charset=utf-8 are allowed.
func isJSON(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// readBody reads at most limit+1 bytes: enough for the Vault to tell that a
// body is too large without holding more than that in memory.
func readBody(r *http.Request, limit int) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= int64(limit) {
		buf := make([]byte, n)
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	return io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
}

// header returns a header's value, or nil when it was not sent at all (an
// empty value is returned as "", which the Vault may call blank).
func header(r *http.Request, name string) *string {
	v := r.Header.Values(name)
	if len(v) == 0 {
		return nil
	}
	s := strings.TrimSpace(v[0])
	return &s
}

// boolHeader parses a "true"/"false" header (any case); absent or empty
// gives def. Any other value is EINVALID.
func boolHeader(r *http.Request, name string, def bool) (bool, error) {
	v := strings.TrimSpace(r.Header.Get(name))
	if v == "" {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(binvault.EINVALID, binvault.MsgBadBoolHeader, name)
}

// optionalBool is boolHeader for headers whose absence matters.
func optionalBool(r *http.Request, name string) (*bool, error) {
	if strings.TrimSpace(r.Header.Get(name)) == "" {
		return nil, nil
	}
	b, err := boolHeader(r, name, false)
	return &b, err
}

// version parses the {version} path segment: "latest" or a number ≥ 0.
func version(s string) (int, error) {
	if s == "" || s == "latest" {
		return binvault.Latest, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || s[0] == '+' {
		return 0, errorf(binvault.EINVALID, "%s", binvault.MsgInvalidVersion)
	}
	return n, nil
}
