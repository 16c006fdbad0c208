package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Permissions are the bin operations an access key may do.
type Permissions struct {
	Update bool `json:"update"`
	Delete bool `json:"delete"`
	Create bool `json:"create"`
	Read   bool `json:"read"`
}

// KeyPermissions is how JSONBin nests an access key's Permissions.
type KeyPermissions struct {
	Bins Permissions `json:"bins"`
}

// AccessKeyCreated is the answer of CreateAccessKey. AccessKey is the
// secret, shown this once only.
type AccessKeyCreated struct {
	AccessKey      string         `json:"accessKey"`
	KeyPermissions KeyPermissions `json:"keyPermissions"`
	AccessKeyID    string         `json:"accessKeyId"`
	Metadata       struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// AccessKey is one entry of ListAccessKeys: never the secret, but the
// display prefix it begins with. LastUsedAt is nil for a key never used.
type AccessKey struct {
	KeyPermissions KeyPermissions `json:"keyPermissions"`
	AccessKeyID    string         `json:"accessKeyId"`
	Metadata       struct {
		Name string `json:"name"`
	} `json:"metadata"`
	AccessKeyPrefix string     `json:"accessKeyPrefix"`
	CreatedAt       time.Time  `json:"createdAt"`
	LastUsedAt      *time.Time `json:"lastUsedAt"`
}

// KeyDeleted is the answer of DeleteAccessKey and RevokeAPIKey.
type KeyDeleted struct {
	Metadata struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"metadata"`
	Message string `json:"message"`
}

// CreateAccessKey creates an access key that may do perms on the
// account's bins (POST /v3/a). Errors: 400 for a blank name or one over 32
// characters; 401 without a valid API key; 403 past the account's
// access-key limit.
func (c *Client) CreateAccessKey(ctx context.Context, name string, perms Permissions) (*AccessKeyCreated, error) {
	b, err := json.Marshal(KeyPermissions{perms})
	if err != nil {
		return nil, err
	}
	var out AccessKeyCreated
	if err := c.call(ctx, http.MethodPost, "/v3/a", b, &out, "X-Key-Name", name); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAccessKeys lists the account's access keys (GET /v3/a). Errors: 401
// without a valid API key.
func (c *Client) ListAccessKeys(ctx context.Context) ([]AccessKey, error) {
	var out []AccessKey
	if err := c.call(ctx, http.MethodGet, "/v3/a", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAccessKey deletes an access key (DELETE /v3/a/{id}); the server
// refuses it from the next request on. Errors: 400 for a malformed id; 401
// without a valid API key; 404 when there is no such key.
func (c *Client) DeleteAccessKey(ctx context.Context, id string) (*KeyDeleted, error) {
	return c.deleteKey(ctx, "a", id)
}

// APIKey is one entry of ListAPIKeys: never the secret, but its display
// Prefix. LastUsedAt is nil for a key never used.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// APIKeyCreated is the answer of CreateAPIKey. Key is the secret, shown
// this once only.
type APIKeyCreated struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"createdAt"`
	Key       string    `json:"key"`
}

// CreateAPIKey creates another API key (master key) of the caller's
// account (POST /v3/keys). Errors: 400 for a name that is not 1 to 64
// characters; 401 without a valid API key.
func (c *Client) CreateAPIKey(ctx context.Context, name string) (*APIKeyCreated, error) {
	b, err := json.Marshal(struct {
		Name string `json:"name"`
	}{name})
	if err != nil {
		return nil, err
	}
	var out APIKeyCreated
	if err := c.call(ctx, http.MethodPost, "/v3/keys", b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAPIKeys lists the account's API keys (GET /v3/keys). Errors: 401
// without a valid API key.
func (c *Client) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	var out []APIKey
	if err := c.call(ctx, http.MethodGet, "/v3/keys", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeAPIKey revokes an API key (DELETE /v3/keys/{id}), possibly the
// one the Client sends; the server refuses it from the next request on.
// Errors: 400 for a malformed id; 401 without a valid API key; 404 when
// there is no such key.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) (*KeyDeleted, error) {
	return c.deleteKey(ctx, "keys", id)
}

func (c *Client) deleteKey(ctx context.Context, kind, id string) (*KeyDeleted, error) {
	path, err := idPath(kind, id, "")
	if err != nil {
		return nil, err
	}
	var out KeyDeleted
	if err := c.call(ctx, http.MethodDelete, path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
