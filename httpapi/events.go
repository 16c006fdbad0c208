package httpapi

import (
	"net/http"

	"github.com/binvault/binvault"
)

// binEvents is the change feed of one bin (being built).
func (s *Server) binEvents(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, errorf(binvault.ENOTFOUND, "%s", binvault.MsgRouteNotFound))
}
