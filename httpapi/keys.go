package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/binvault/binvault"
)

// The Access Keys API (seeds 000–002) and binvault's API-key routes.
type (
	binPerms struct {
		Update bool `json:"update"`
		Delete bool `json:"delete"`
		Create bool `json:"create"`
		Read   bool `json:"read"`
	}
	keyPermissions struct {
		Bins binPerms `json:"bins"`
	}
	createdAccessKey struct {
		AccessKey      string         `json:"accessKey"`
		KeyPermissions keyPermissions `json:"keyPermissions"`
		AccessKeyID    string         `json:"accessKeyId"`
		Metadata       nameMeta       `json:"metadata"`
	}
	// listedAccessKey keeps seed 001's keys, minus the secret (binvault.md),
	// plus what a key owner needs to recognise and audit a key.
	listedAccessKey struct {
		KeyPermissions  keyPermissions `json:"keyPermissions"`
		AccessKeyID     string         `json:"accessKeyId"`
		Metadata        nameMeta       `json:"metadata"`
		AccessKeyPrefix string         `json:"accessKeyPrefix"`
		CreatedAt       string         `json:"createdAt"`
		LastUsedAt      *string        `json:"lastUsedAt"`
	}
	idName struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	apiKey struct {
		ID         string  `json:"id"`
		Name       string  `json:"name"`
		Prefix     string  `json:"prefix"`
		CreatedAt  string  `json:"createdAt"`
		LastUsedAt *string `json:"lastUsedAt"`
	}
	createdAPIKey struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Prefix    string `json:"prefix"`
		CreatedAt string `json:"createdAt"`
		Key       string `json:"key"`
	}
)

func permsOf(p binvault.Permissions) keyPermissions {
	return keyPermissions{binPerms{Update: p.Update, Delete: p.Delete, Create: p.Create, Read: p.Read}}
}

func lastUsed(k *binvault.Key) *string {
	if k.LastUsedAt.IsZero() {
		return nil
	}
	s := binvault.FormatTime(k.LastUsedAt)
	return &s
}

func (s *Server) createAccessKey(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgContentType))
		return
	}
	body, err := readBody(r, 4<<10)
	if err != nil {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgPermissionsInvalid))
		return
	}
	k, secret, err := s.vault.CreateAccessKey(r.Context(), credentials(r), header(r, "X-Key-Name"), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, createdAccessKey{secret, permsOf(k.Permissions), k.ID, nameMeta{k.Name}})
}

func (s *Server) listAccessKeys(w http.ResponseWriter, r *http.Request) {
	ks, err := s.vault.ListAccessKeys(r.Context(), credentials(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]listedAccessKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, listedAccessKey{permsOf(k.Permissions), k.ID, nameMeta{k.Name}, k.Prefix, binvault.FormatTime(k.CreatedAt), lastUsed(k)})
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteAccessKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.vault.DeleteAccessKey(r.Context(), credentials(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, metaMessage[idName]{idName{k.ID, k.Name}, binvault.MsgAccessKeyDeleted})
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if body, err := readBody(r, 4<<10); err != nil || (len(body) > 0 && json.Unmarshal(body, &in) != nil) {
		s.writeError(w, r, errorf(binvault.EINVALID, "%s", binvault.MsgInvalidJSON))
		return
	}
	k, secret, err := s.vault.CreateAPIKey(r.Context(), credentials(r), in.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, createdAPIKey{k.ID, k.Name, k.Prefix, binvault.FormatTime(k.CreatedAt), secret})
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	ks, err := s.vault.ListAPIKeys(r.Context(), credentials(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]apiKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, apiKey{k.ID, k.Name, k.Prefix, binvault.FormatTime(k.CreatedAt), lastUsed(k)})
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.vault.RevokeAPIKey(r.Context(), credentials(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, metaMessage[idName]{idName{k.ID, k.Name}, binvault.MsgAPIKeyRevoked})
}
