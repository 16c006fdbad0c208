package httpapi

import (
	"net/http"

	"github.com/binvault/binvault"
)

// openAPI serves the OpenAPI document (being built).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, errorf(binvault.ENOTFOUND, "%s", binvault.MsgRouteNotFound))
}
