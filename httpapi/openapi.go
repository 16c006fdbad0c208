package httpapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strings"
)

// openAPIDoc is the OpenAPI 3.1 document of every route, served at
// /openapi.yaml. The httpapi tests validate every response they get against
// it, so it cannot drift from the handlers. Never modified.
//
//go:embed openapi.yaml
var openAPIDoc []byte

// openAPIETag is the document's strong entity tag: a digest of the bytes
// built into the binary, so it changes exactly when the document does.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDoc)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}()

// yamlContentType is application/yaml (RFC 9512): the registered media type
// that every YAML-reading OpenAPI tool accepts. application/openapi+yaml is
// still an Internet-Draft, and YAML has no charset parameter: it is UTF-8.
var yamlContentType = []string{"application/yaml"}

// openAPI serves the document, without a key: it describes the API, it
// grants nothing. If-None-Match with the current ETag answers 304.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Etag"] = []string{openAPIETag}
	h.Set("Cache-Control", "no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), openAPIETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = yamlContentType
	_, _ = w.Write(openAPIDoc)
}

// etagMatches is If-None-Match's weak comparison (RFC 9110 §13.1.2): "*",
// or any listed tag whose opaque part equals etag's.
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
