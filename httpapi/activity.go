package httpapi

import (
	"archive/zip"
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/binvault/binvault"
)

// activityEntry is one activity-log entry on the wire.
type activityEntry struct {
	ID         string `json:"id"`
	At         string `json:"at"`
	AccountID  string `json:"accountId"`
	AuthMethod string `json:"authMethod"`
	KeyID      string `json:"keyId,omitempty"`
	KeyPrefix  string `json:"keyPrefix,omitempty"`
	Method     string `json:"method"`
	Route      string `json:"route"`
	ResourceID string `json:"resourceId,omitempty"`
	Status     int    `json:"status"`
	IP         string `json:"ip"`
	UserAgent  string `json:"userAgent"`
	RequestID  string `json:"requestId"`
}

func entryOf(a binvault.Activity) activityEntry {
	return activityEntry{
		ID: strconv.FormatInt(a.ID, 10), At: binvault.FormatTime(a.At), AccountID: a.AccountID,
		AuthMethod: string(a.AuthMethod), KeyID: a.KeyID, KeyPrefix: a.KeyPrefix, Method: a.Method,
		Route: a.Route, ResourceID: a.ResourceID, Status: a.Status, IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID,
	}
}

func entriesOf(as []binvault.Activity) []activityEntry {
	out := make([]activityEntry, 0, len(as))
	for _, a := range as {
		out = append(out, entryOf(a))
	}
	return out
}

// listActivity answers GET /v3/activity?authMethod=&keyId=&since=&until=
// &before=&limit=, newest first; nextCursor is the `before` of the next page.
func (s *Server) listActivity(w http.ResponseWriter, r *http.Request) {
	f, err := activityFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.vault.ListActivity(r.Context(), credentials(r), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var next *string
	if len(as) > 0 && (f.Limit == 0 || len(as) == f.Limit) {
		c := strconv.FormatInt(as[len(as)-1].ID, 10)
		next = &c
	}
	s.writeJSON(w, http.StatusOK, struct {
		Activity   []activityEntry `json:"activity"`
		NextCursor *string         `json:"nextCursor"`
	}{entriesOf(as), next})
}

func activityFilter(r *http.Request) (binvault.ActivityFilter, error) {
	q := r.URL.Query()
	f := binvault.ActivityFilter{AuthMethod: binvault.AuthMethod(q.Get("authMethod")), KeyID: q.Get("keyId")}
	switch f.AuthMethod {
	case "", binvault.AuthAPIKey, binvault.AuthAccessKey, binvault.AuthSession, binvault.AuthPublic:
	default:
		return f, errorf(binvault.EINVALID, "authMethod must be api_key, access_key, session or public")
	}
	var err error
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return f, errorf(binvault.EINVALID, "%s must be an RFC 3339 time", name)
			}
		}
	}
	for name, dst := range map[string]*int64{"before": &f.Before, "limit": new(int64)} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 1 {
				return f, errorf(binvault.EINVALID, "%s must be a positive integer", name)
			}
			if name == "limit" {
				f.Limit = int(min(*dst, binvault.MaxActivityPage))
			}
		}
	}
	return f, nil
}

// logDays answers GET /v3/l as JSONBin does: {"logs":["DD-MM-YYYY",…]}.
func (s *Server) logDays(w http.ResponseWriter, r *http.Request) {
	days, err := s.vault.ActivityDays(r.Context(), credentials(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]string, 0, len(days))
	for _, d := range days {
		out = append(out, d.Format("02-01-2006"))
	}
	s.writeJSON(w, http.StatusOK, struct {
		Logs []string `json:"logs"`
	}{out})
}

// logOfDay answers GET /v3/l/{DD-MM-YYYY} with a zip holding that day's
// entries as one JSON array, oldest first.
func (s *Server) logOfDay(w http.ResponseWriter, r *http.Request) {
	date := r.PathValue("date")
	day, err := time.Parse("02-01-2006", date)
	if err != nil {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgInvalidLogDate))
		return
	}
	as, err := s.vault.ActivityOfDay(r.Context(), credentials(r), day)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := marshal(entriesOf(as))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create(date + ".json")
	if err == nil {
		_, err = f.Write(body)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+date+`.zip"`)
	_, _ = w.Write(buf.Bytes())
}

type (
	used struct {
		Used  int64  `json:"used"`
		Limit *int64 `json:"limit"`
	}
	usageBody struct {
		Period     string `json:"period"`
		Requests   used   `json:"requests"`
		Bins       used   `json:"bins"`
		AccessKeys used   `json:"accessKeys"`
		BinSize    struct {
			Limit int `json:"limit"`
		} `json:"binSize"`
		Versioning struct {
			Allowed bool `json:"allowed"`
		} `json:"versioning"`
	}
)

// limit renders 0 (no limit) as null.
func limit(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return &n
}

func (s *Server) usage(w http.ResponseWriter, r *http.Request) {
	u, err := s.vault.Usage(r.Context(), credentials(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var out usageBody
	out.Period = u.Period
	out.Requests = used{u.Requests, limit(u.Quota.RequestsPerMonth)}
	out.Bins = used{int64(u.Bins), limit(int64(u.Quota.MaxBins))}
	out.AccessKeys = used{int64(u.AccessKeys), limit(int64(u.Quota.MaxAccessKeys))}
	out.BinSize.Limit = u.Quota.MaxBinSize
	out.Versioning.Allowed = u.Quota.Versioning
	s.writeJSON(w, http.StatusOK, out)
}
