package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/binvault/binvault"
)

// messageBody is JSONBin's error body: exactly one key.
type messageBody struct {
	Message string `json:"message"`
}

// writeError is the single exit for every failure. Internal errors are
// logged with their cause; the client gets only a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := binvault.HTTPStatus(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if status >= 500 {
		s.log.Error("request failed", slog.Any("error", err),
			slog.Group("request", "method", r.Method, "path", r.URL.Path))
	}
	var e *binvault.Error // wrapped ones too: a store may join errors
	errors.As(err, &e)
	if e != nil && e.Header[0] != "" {
		w.Header().Set(e.Header[0], e.Header[1])
	}
	if e == nil || len(e.Fields) == 0 {
		s.writeJSON(w, status, messageBody{binvault.ErrorMessage(err)})
		return
	}
	// Extra fields keep their order after "message".
	body := appendString([]byte(`{"message":`), e.Message)
	for _, f := range e.Fields {
		body = append(append(appendString(append(body, ','), f[0]), ':'), appendString(nil, f[1])...)
	}
	writeRaw(w, status, append(body, '}'))
}

func errorf(code, format string, args ...any) error {
	return binvault.Errorf(code, format, args...)
}
