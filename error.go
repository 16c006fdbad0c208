package binvault

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes: the closed set every failure maps to. httpapi turns each into
// exactly one HTTP status, so adding a code means adding a row there too.
const (
	EINVALID       = "invalid"             // 400: the request is malformed
	EUNAUTHORIZED  = "unauthorized"        // 401: no usable credentials
	EFORBIDDEN     = "forbidden"           // 403: authenticated but not allowed
	ENOTFOUND      = "not_found"           // 404
	ENOTALLOWED    = "method_not_allowed"  // 405
	EPRECONDITION  = "precondition_failed" // 412: If-Match no longer matches
	ECONFLICT      = "conflict"            // 409: duplicate or racing write
	EUNPROCESSABLE = "unprocessable"       // 422: well-formed but unusable (JSONBin's schema id errors)
	ETOOLARGE      = "too_large"           // 413: body over the bin size limit
	EUNSUPPORTED   = "unsupported_type"    // 415: a body in a format the route does not take
	ERATELIMITED   = "rate_limited"        // 429: slow down
	EINTERNAL      = "internal"            // 500: anything unexpected
	EUNAVAILABLE   = "unavailable"         // 503: the store cannot be reached; retry
)

// Error is the one application error type. Message is what the client reads
// (JSONBin's exact strings come from messages.go); anything else that goes
// wrong is wrapped as EINTERNAL so its details reach only the log.
type Error struct {
	Code    string
	Message string
	// Header, when set, is one extra response header (name, value) that tells
	// a client what it lacked, e.g. X-Required-Permission: bins.read.
	Header [2]string
	// Fields are extra string keys of the error body, after "message", in
	// order: JSONBin's schema mismatch adds schemaDocID and schemaDocName.
	Fields [][2]string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("binvault %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrUnavailable is wrapped by stores around failures to reach their
// database, so that clients get a 503 to retry instead of a 500.
var ErrUnavailable = &Error{Code: EUNAVAILABLE, Message: MsgUnavailable}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-facing message of err: the *Error's own
// message, or a generic one for internal failures, which must not leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return MsgInternal
}

// HTTPStatus is the one table from error codes to HTTP statuses, shared by
// the API and the dashboard; 500 for anything unexpected.
func HTTPStatus(err error) int {
	switch ErrorCode(err) {
	case EINVALID:
		return http.StatusBadRequest
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EFORBIDDEN:
		return http.StatusForbidden
	case ENOTFOUND:
		return http.StatusNotFound
	case ENOTALLOWED:
		return http.StatusMethodNotAllowed
	case ECONFLICT:
		return http.StatusConflict
	case EPRECONDITION:
		return http.StatusPreconditionFailed
	case EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case ERATELIMITED:
		return http.StatusTooManyRequests
	case EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
