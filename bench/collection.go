package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// userSchema is the schema doc of the *-schema scenarios: a typical draft-07
// document for a user record, with required fields, a nested object, an
// array of strings, bounded integers, an enum, patterns and closed objects,
// so validation does the kind of work real schema docs ask for.
const userSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "User",
  "type": "object",
  "required": ["id", "username", "email", "age", "status", "address"],
  "properties": {
    "id": {"type": "integer", "minimum": 1},
    "username": {"type": "string", "minLength": 3, "maxLength": 32, "pattern": "^[a-z0-9_]+$"},
    "email": {"type": "string", "format": "email"},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "status": {"type": "string", "enum": ["active", "suspended", "deleted"]},
    "address": {
      "type": "object",
      "required": ["street", "city", "zip"],
      "properties": {
        "street": {"type": "string"},
        "city": {"type": "string"},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"}
      },
      "additionalProperties": false
    },
    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
    "bio": {"type": "string", "maxLength": 2000}
  },
  "additionalProperties": false
}`

// schemaMismatchPrefix starts the message of binvault's (and JSONBin's) 400
// for a body that does not match the collection's schema doc.
const schemaMismatchPrefix = "Schema Doc Validation Mismatch:"

// schemaPair names two scenarios that send the same requests and bodies,
// one into the collection with the schema doc and one into the plain one.
type schemaPair struct{ op, schema, plain string }

// schemaPairs are the pairs whose binvault req/s the report divides.
func schemaPairs() []schemaPair {
	return []schemaPair{{"create", "create-schema", "create-coll"}, {"update", "update-schema", "update-coll"}}
}

// isCollectionScenario reports whether name is one of the scenarios
// prepareCollectionScenarios sets up.
func isCollectionScenario(name string) bool {
	for _, p := range schemaPairs() {
		if name == p.schema || name == p.plain {
			return true
		}
	}
	return false
}

// userPayload returns a compact JSON user record of exactly size bytes
// that matches userSchema; bio, which the schema allows up to 2000
// characters, pads it. seq makes each record distinct.
func userPayload(size, seq int) []byte {
	head := fmt.Sprintf(`{"id":%d,"username":"bench_user_%d","email":"user%d@example.com","age":%d,"status":"active",`+
		`"address":{"street":"%d Bench Street","city":"Loopback","zip":"%05d"},"tags":["alpha","beta","gamma"],"bio":"`,
		seq+1, seq, seq, 18+seq%80, 1+seq%999, seq%100000)
	tail := `"}`
	n := max(size-len(head)-len(tail), 0)
	const words = "lorem ipsum dolor sit amet "
	bio := strings.Repeat(words, n/len(words)+1)[:n]
	return []byte(head + bio + tail)
}

// invalidUserPayload is userPayload with a status outside the schema's
// enum: well-formed JSON of the same size that the schema must refuse.
func invalidUserPayload(size, seq int) []byte {
	return []byte(strings.Replace(string(userPayload(size, seq)), `"status":"active"`, `"status":"banned"`, 1))
}

// prepareCollectionScenarios creates the User schema doc, the bench-plain
// and bench-schema collections (the schema doc attached to the latter),
// updateBins bins in each, and records one create and one update per
// collection. Before anything is measured it proves that bench-schema
// validates and bench-plain does not, so a fast *-schema run cannot be a
// run that skipped validation.
func prepareCollectionScenarios(ctx context.Context, c apiClient, res *setupResult) ([]scenario, error) {
	schemaID, err := createSchemaDoc(ctx, c)
	if err != nil {
		return nil, err
	}
	plainID, err := createCollection(ctx, c, "bench-plain")
	if err != nil {
		return nil, err
	}
	schemaCollID, err := createCollection(ctx, c, "bench-schema")
	if err != nil {
		return nil, err
	}
	if _, err := c.call(ctx, http.MethodPut, "/v3/c/"+schemaCollID+"/schemadoc/add", nil, map[string]string{"X-Schema-Doc-Id": schemaID}); err != nil {
		return nil, err
	}
	createBody, updateBody := userPayload(recordSize, 2000), userPayload(recordSize, 1000)
	var out []scenario
	for _, coll := range []struct{ id, suffix, desc string }{
		{plainID, "coll", "`bench-plain` (a collection with no schema doc)"},
		{schemaCollID, "schema", "`bench-schema` (a collection with the User schema doc attached)"},
	} {
		upd, crt, err := prepareCollection(ctx, c, coll.id, createBody, updateBody, res)
		if err != nil {
			return nil, err
		}
		upd.name, crt.name = "update-"+coll.suffix, "create-"+coll.suffix
		upd.detail = fmt.Sprintf("`PUT /v3/b/<id>` with `X-Bin-Versioning: false` and a %d-byte JSON user record; each request picks one of %d private bins of %s uniformly at random (as in `update`)",
			len(updateBody), updateBins, coll.desc)
		crt.detail = fmt.Sprintf("`POST /v3/b` with `X-Collection-Id` of %s and a %d-byte JSON user record; every request creates a new private bin there", coll.desc, len(createBody))
		out = append(out, upd, crt)
	}
	check, err := verifyValidation(ctx, c, plainID, schemaCollID, schemaID)
	if err != nil {
		return nil, err
	}
	res.checks = append(res.checks, check)
	return out, nil
}

// prepareCollection creates updateBins bins in collection collID and
// records one unversioned update and one create there. The returned
// scenarios lack name and detail.
func prepareCollection(ctx context.Context, c apiClient, collID string, createBody, updateBody []byte, res *setupResult) (scenario, scenario, error) {
	var paths []string
	for i := 1; i <= updateBins; i++ {
		id, err := createBinIn(ctx, c, collID, userPayload(recordSize, i), &res.findings)
		if err != nil {
			return scenario{}, scenario{}, err
		}
		paths = append(paths, "/v3/b/"+id)
	}
	noVersioning := map[string]string{"X-Bin-Versioning": "false"}
	updateResp, err := c.call(ctx, http.MethodPut, paths[0], updateBody, noVersioning)
	if err != nil {
		return scenario{}, scenario{}, err
	}
	checkUpdate(updateResp, strings.TrimPrefix(paths[0], "/v3/b/"), &res.findings)
	inColl := collectionHeader(collID)
	createResp, err := c.call(ctx, http.MethodPost, "/v3/b", createBody, inColl)
	if err != nil {
		return scenario{}, scenario{}, err
	}
	upd := scenario{method: http.MethodPut, paths: paths, headers: requestHeaders(c.key, true, noVersioning), body: updateBody, recorded: canned(updateResp)}
	crt := scenario{method: http.MethodPost, paths: []string{"/v3/b"}, headers: requestHeaders(c.key, true, inColl), body: createBody, recorded: canned(createResp)}
	return upd, crt, nil
}

// verifyValidation sends a body that breaks the schema to both
// collections: bench-schema must refuse it with binvault's mismatch 400 and
// bench-plain must accept it. It returns a sentence for the report.
func verifyValidation(ctx context.Context, c apiClient, plainID, schemaCollID, schemaID string) (string, error) {
	bad := invalidUserPayload(recordSize, 3000)
	r, err := c.do(ctx, http.MethodPost, "/v3/b", bad, collectionHeader(schemaCollID))
	if err != nil {
		return "", err
	}
	var msg struct {
		Message     string `json:"message"`
		SchemaDocID string `json:"schemaDocID"`
	}
	if r.status != http.StatusBadRequest || json.Unmarshal(r.body, &msg) != nil || !strings.HasPrefix(msg.Message, schemaMismatchPrefix) {
		return "", fmt.Errorf("schema validation is not on: a body with \"status\":\"banned\" in bench-schema got status %d, body %.300q; want 400 with a message starting %q",
			r.status, r.body, schemaMismatchPrefix)
	}
	if _, err := c.call(ctx, http.MethodPost, "/v3/b", bad, collectionHeader(plainID)); err != nil {
		return "", fmt.Errorf("bench-plain, which has no schema doc, refused a record: %w", err)
	}
	idNote := ""
	if msg.SchemaDocID != schemaID {
		idNote = fmt.Sprintf(" (its schemaDocID is %q, not the attached doc %q)", msg.SchemaDocID, schemaID)
	}
	return fmt.Sprintf("Schema validation is on: before measuring, a %d-byte user record was created in `bench-schema` (200), and one with `\"status\":\"banned\"` was refused there with 400 `%s`%s and accepted (200) in `bench-plain`.",
		recordSize, msg.Message, idNote), nil
}

// createSchemaDoc stores userSchema as the "User" schema doc and returns
// its id.
func createSchemaDoc(ctx context.Context, c apiClient) (string, error) {
	r, err := c.call(ctx, http.MethodPost, "/v3/s", []byte(userSchema), map[string]string{"X-Schema-Doc-Name": "User"})
	if err != nil {
		return "", err
	}
	env, err := decodeEnvelope(r)
	if err != nil {
		return "", err
	}
	if !binIDPattern.MatchString(env.Metadata.ID) {
		return "", fmt.Errorf("POST /v3/s: metadata.id %q is not 24 hex digits", env.Metadata.ID)
	}
	return env.Metadata.ID, nil
}

// createCollection creates a collection named name and returns its id,
// which JSONBin puts in "record".
func createCollection(ctx context.Context, c apiClient, name string) (string, error) {
	r, err := c.call(ctx, http.MethodPost, "/v3/c", nil, map[string]string{"X-Collection-Name": name})
	if err != nil {
		return "", err
	}
	env, err := decodeEnvelope(r)
	if err != nil {
		return "", err
	}
	var id string
	if json.Unmarshal(env.Record, &id) != nil || !binIDPattern.MatchString(id) {
		return "", fmt.Errorf("POST /v3/c: record %.100q is not a 24-hex collection id", env.Record)
	}
	return id, nil
}
