package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// userSchema is a typical schema doc: required fields, a nested object.
const userSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","title":"User","type":"object",` +
	`"required":["username","age"],"properties":{"username":{"type":"string","minLength":2},` +
	`"age":{"type":"integer","minimum":0},"address":{"type":"object","properties":{"zip":{"type":"string"}}}}}`

// collectionRows are jsonbin-v3.md §3 and §4: one case per success shape
// and error row.
var collectionRows = []row{
	// §3.1 create collection.
	{name: "CreateCollectionShape", method: "POST", path: "/v3/c", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", "People"), body: "{}", status: 200, keys: []string{"record", "metadata"}, meta: []string{"createdAt", "name"}},
	{name: "CreateCollectionNameMissing", method: "POST", path: "/v3/c", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("You need to pass X-Collection-Name header to set a name for the Schema Doc")},
	{name: "CreateCollectionNameEmpty", method: "POST", path: "/v3/c", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", ""), status: 400, want: msg("You need to pass X-Collection-Name header to set a name for the Collection")},
	{name: "CreateCollectionNameBlank", method: "POST", path: "/v3/c", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", "  "), status: 400, want: msg("X-Collection-Name cannot be blank")},
	{name: "CreateCollectionNameTooLong", method: "POST", path: "/v3/c", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", strings.Repeat("c", 33)), status: 400, want: msg("Name of the Collection cannot be above 32 characters")},
	{name: "CreateCollectionNoKey", method: "POST", path: "/v3/c", hdr: hdr("X-Collection-Name", "x"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "CreateCollectionBadKey", method: "POST", path: "/v3/c", hdr: hdr("X-Master-Key", "{bad}", "X-Collection-Name", "x"), status: 401, want: msg("Invalid X-Master-Key provided")},
	{name: "CreateCollectionAccessKey", method: "POST", path: "/v3/c", hdr: hdr("X-Access-Key", "{ak:all}", "X-Collection-Name", "x"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	// §3.2 list.
	{name: "ListCollectionsNoKey", method: "GET", path: "/v3/c", status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "ListCollectionsBadKey", method: "GET", path: "/v3/c", hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("Invalid X-Master-Key provided")},
	// §3.3 rename.
	{name: "RenameCollectionShape", method: "PUT", path: "/v3/c/{coll}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", "My Collection"), status: 200, want: `{"record":"{coll}","metadata":{"name":"My Collection"}}`},
	{name: "RenameCollectionMalformedID", method: "PUT", path: "/v3/c/123/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", "x"), status: 400, want: msg("Invalid Collection Id provided")},
	{name: "RenameCollectionNotFound", method: "PUT", path: "/v3/c/{missing}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", "x"), status: 404, want: msg("Collection not found")},
	{name: "RenameOtherAccountsCollection", method: "PUT", path: "/v3/c/{otherColl}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", "x"), status: 404, want: msg("Collection not found")},
	{name: "RenameCollectionNameTooLong", method: "PUT", path: "/v3/c/{coll}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", strings.Repeat("c", 33)), status: 400, want: msg("Name of the Collection cannot be above 32 characters")},
	{name: "RenameCollectionNameBlank", method: "PUT", path: "/v3/c/{coll}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Collection-Name", " "), status: 400, want: msg("X-Collection-Name cannot be blank")},
	{name: "RenameCollectionNoKey", method: "PUT", path: "/v3/c/{coll}/meta/name", hdr: hdr("X-Collection-Name", "x"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	// §3.4–3.5 bins of a collection.
	{name: "CollectionBinsEmpty", method: "GET", path: "/v3/c/{coll}/bins", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: `[]`},
	{name: "CollectionBinsMalformedID", method: "GET", path: "/v3/c/123/bins", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Collection Id provided")},
	{name: "CollectionBinsNotFound", method: "GET", path: "/v3/c/{missing}/bins", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Collection not found")},
	{name: "CollectionBinsOtherAccount", method: "GET", path: "/v3/c/{otherColl}/bins", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Collection not found")},
	{name: "CollectionBinsNoKey", method: "GET", path: "/v3/c/{coll}/bins", status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "CollectionBinsBadSortOrder", method: "GET", path: "/v3/c/{coll}/bins", hdr: hdr("X-Master-Key", "{key}", "X-Sort-Order", "sideways"), status: 400, want: msg("X-Sort-Order must be ascending or descending")},
	{name: "CollectionBinsMalformedCursor", method: "GET", path: "/v3/c/{coll}/bins/xyz", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Bin Id provided")},
	{name: "UncategorizedBinsNoKey", method: "GET", path: "/v3/c/uncategorized/bins", status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "UncategorizedBinsBadKey", method: "GET", path: "/v3/c/uncategorized/bins/", hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("Invalid X-Master-Key provided")},
	// §3.6–3.7 schema doc attach and detach.
	{name: "AttachSchemaShape", method: "PUT", path: "/v3/c/{coll}/schemadoc/add", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Id", "{schema}"), status: 200, keys: []string{"collectionName", "schemaDocId", "metadata"}, meta: []string{"id", "createdAt"}},
	{name: "AttachSchemaNoHeader", method: "PUT", path: "/v3/c/{coll}/schemadoc/add", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("You need to pass X-Schema-Doc-Id in the header")},
	{name: "AttachSchemaMalformedSchemaID", method: "PUT", path: "/v3/c/{coll}/schemadoc/add", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Id", "nope"), status: 422, want: msg("Invalid Schema Id provided")},
	{name: "AttachSchemaNotFound", method: "PUT", path: "/v3/c/{coll}/schemadoc/add", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Id", "{missing}"), status: 404, want: msg("Schema Doc not found")},
	{name: "AttachOtherAccountsSchema", method: "PUT", path: "/v3/c/{coll}/schemadoc/add", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Id", "{otherSchema}"), status: 404, want: msg("Schema Doc not found")},
	{name: "AttachSchemaCollectionNotFound", method: "PUT", path: "/v3/c/{missing}/schemadoc/add", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Id", "{missing}"), status: 404, want: msg("Collection not found")},
	{name: "AttachSchemaMalformedCollection", method: "PUT", path: "/v3/c/123/schemadoc/add", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Id", "{missing}"), status: 400, want: msg("Invalid Collection Id provided")},
	{name: "DetachSchemaShape", method: "PUT", path: "/v3/c/{schemed}/schemadoc/remove", hdr: hdr("X-Master-Key", "{key}"), status: 200, keys: []string{"collectionName", "schemaDocId", "metadata"}, meta: []string{"id", "createdAt"}},
	{name: "DetachSchemaNotFound", method: "PUT", path: "/v3/c/{missing}/schemadoc/remove", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Collection not found")},
	{name: "DetachSchemaNoKey", method: "PUT", path: "/v3/c/{coll}/schemadoc/remove", status: 401, want: msg("You need to pass X-Master-Key in the header")},
	// §2.1 with collections.
	{name: "CreateBinInCollection", method: "POST", path: "/v3/b", hdr: jsonKey("X-Collection-Id", "{coll}"), body: record, status: 200, meta: []string{"id", "createdAt", "private", "collectionId"}},
	{name: "CreateBinInOtherAccountsCollection", method: "POST", path: "/v3/b", hdr: jsonKey("X-Collection-Id", "{otherColl}"), body: record, status: 400, want: msg("Collection not found or the Collection does not belong to the X-Master-Key provided")},
	{name: "ReadBinInCollectionCarriesIt", method: "GET", path: "/v3/b/{inSchemed}", hdr: hdr("X-Master-Key", "{key}"), status: 200, meta: []string{"id", "private", "createdAt", "collectionId"}},
	{name: "CreateBinSchemaMismatch", method: "POST", path: "/v3/b", hdr: jsonKey("X-Collection-Id", "{schemed}"), body: `{"age":3}`, status: 400, want: `{"message":"Schema Doc Validation Mismatch:  must have required property 'username'","schemaDocID":"{schema}","schemaDocName":"User"}`},
	{name: "UpdateBinSchemaMismatch", method: "PUT", path: "/v3/b/{inSchemed}", hdr: jsonKey(), body: `{"username":"ada","age":"old"}`, status: 400, want: `{"message":"Schema Doc Validation Mismatch:  /age: must be integer, but got string","schemaDocID":"{schema}","schemaDocName":"User"}`},
	{name: "CreateBinNestedSchemaMismatch", method: "POST", path: "/v3/b", hdr: jsonKey("X-Collection-Id", "{schemed}"), body: `{"username":"bo","age":1,"address":{"zip":1000}}`, status: 400, want: `{"message":"Schema Doc Validation Mismatch:  /address/zip: must be string, but got number","schemaDocID":"{schema}","schemaDocName":"User"}`},
	{name: "CreateSchemaDocInvalidSchema", method: "POST", path: "/v3/s", hdr: jsonKey("X-Schema-Doc-Name", "Bad"), body: `{"type":"strnig"}`, status: 400, want: msg("Invalid Schema Doc: /type: must be equal to one of the allowed values")},
	{name: "CreateSchemaDocRemoteRef", method: "POST", path: "/v3/s", hdr: jsonKey("X-Schema-Doc-Name", "Bad"), body: `{"$ref":"file:///etc/passwd"}`, status: 400},
	{name: "CreateBinSchemaMatch", method: "POST", path: "/v3/b", hdr: jsonKey("X-Collection-Id", "{schemed}"), body: `{"username":"bob","age":7,"address":{"zip":"1000"}}`, status: 200},
	// §4 schema docs.
	{name: "CreateSchemaDocShape", method: "POST", path: "/v3/s", hdr: jsonKey("X-Schema-Doc-Name", "Person"), body: userSchema, status: 200, keys: []string{"record", "metadata"}, meta: []string{"id", "createdAt", "name"}},
	{name: "CreateSchemaDocNoContentType", method: "POST", path: "/v3/s", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Name", "P"), body: userSchema, status: 400, want: msg("You need to pass Content-Type set to application/json")},
	{name: "CreateSchemaDocNameMissing", method: "POST", path: "/v3/s", hdr: jsonKey(), body: userSchema, status: 400, want: msg("You need to pass X-Schema-Doc-Name header to set a name for the Schema Doc")},
	{name: "CreateSchemaDocNameBlank", method: "POST", path: "/v3/s", hdr: jsonKey("X-Schema-Doc-Name", ""), body: userSchema, status: 400, want: msg("X-Schema-Doc-Name cannot be blank")},
	{name: "CreateSchemaDocNameTooLong", method: "POST", path: "/v3/s", hdr: jsonKey("X-Schema-Doc-Name", strings.Repeat("s", 33)), body: userSchema, status: 400, want: msg("Name of the Schema Doc cannot be above 32 characters")},
	{name: "CreateSchemaDocNoKey", method: "POST", path: "/v3/s", hdr: hdr("Content-Type", "application/json", "X-Schema-Doc-Name", "P"), body: userSchema, status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "CreateSchemaDocBadKey", method: "POST", path: "/v3/s", hdr: jsonKey("X-Schema-Doc-Name", "P", "X-Master-Key", "{bad}"), body: userSchema, status: 401, want: msg("Invalid X-Master-Key provided")},
	{name: "CreateSchemaDocNotJSON", method: "POST", path: "/v3/s", hdr: jsonKey("X-Schema-Doc-Name", "P"), body: `{"type":`, status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "ReadSchemaDocShape", method: "GET", path: "/v3/s/{schema}", hdr: hdr("X-Master-Key", "{key}"), status: 200, keys: []string{"record", "metadata"}, meta: []string{"id", "createdAt", "name"}},
	{name: "ReadSchemaDocMalformedID", method: "GET", path: "/v3/s/123", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Schema Id provided")},
	{name: "ReadSchemaDocNotFound", method: "GET", path: "/v3/s/{missing}", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Schema Doc not found")},
	{name: "ReadOtherAccountsSchemaDoc", method: "GET", path: "/v3/s/{otherSchema}", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Schema Doc not found")},
	{name: "ReadSchemaDocNoKey", method: "GET", path: "/v3/s/{schema}", status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "UpdateSchemaDocShape", method: "PUT", path: "/v3/s/{schema}", hdr: jsonKey(), body: `{"type":"object"}`, status: 200, keys: []string{"record", "metadata"}},
	{name: "UpdateSchemaDocMalformedID", method: "PUT", path: "/v3/s/123", hdr: jsonKey(), body: `{"type":"object"}`, status: 422, want: msg("Invalid Schema Id provided")},
	{name: "UpdateSchemaDocNotFound", method: "PUT", path: "/v3/s/{missing}", hdr: jsonKey(), body: `{"type":"object"}`, status: 404, want: msg("Schema Doc not found")},
	{name: "UpdateSchemaDocNoContentType", method: "PUT", path: "/v3/s/{schema}", hdr: hdr("X-Master-Key", "{key}"), body: `{"type":"object"}`, status: 400, want: msg("You need to pass Content-Type set to application/json")},
	{name: "RenameSchemaDocMetaName", method: "PUT", path: "/v3/s/{schema}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Name", "User Schema"), status: 200, meta: []string{"id", "createdAt", "name"}},
	{name: "RenameSchemaDocByPut", method: "PUT", path: "/v3/s/{schema}", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Name", "User Schema"), status: 200, meta: []string{"id", "createdAt", "name"}},
	{name: "RenameSchemaDocMalformedID", method: "PUT", path: "/v3/s/123/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Name", "x"), status: 422, want: msg("Invalid Schema Id provided")},
	{name: "RenameSchemaDocNameMissing", method: "PUT", path: "/v3/s/{schema}/meta/name", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("You need to pass X-Schema-Doc-Name header to set a name for the Schema Doc")},
	{name: "RenameSchemaDocNameTooLong", method: "PUT", path: "/v3/s/{schema}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Schema-Doc-Name", strings.Repeat("s", 33)), status: 400, want: msg("Name of the Schema Doc cannot be above 32 characters")},
}

// TestSchemaLifecycle: a mismatch changes nothing; detaching stops
// validation; changing the schema does not re-validate stored bins.
func TestSchemaLifecycle(t *testing.T) {
	f := MustFixture(t)
	doc := f.MustSchemaDoc(f.key, "User", userSchema)
	coll := f.MustCollection(f.key, "Users")
	if w := f.do("PUT", "/v3/c/"+coll+"/schemadoc/add", hdr("X-Master-Key", f.key, "X-Schema-Doc-Id", doc), ""); w.Code != 200 {
		t.Fatal(w.Body)
	}
	id := f.MustBin(`{"username":"ada","age":36}`, hdr("X-Collection-Id", coll))
	if w := f.do("PUT", "/v3/b/"+id, jsonHdr(f.key), `{"username":"a"}`); w.Code != 400 {
		t.Fatalf("mismatching update: %d %s", w.Code, w.Body)
	}
	if got := f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "").Body.String(); got != `{"username":"ada","age":36}` {
		t.Fatalf("refused update changed the bin: %s", got)
	}
	// A stricter schema does not touch stored bins.
	if w := f.do("PUT", "/v3/s/"+doc, jsonHdr(f.key), `{"type":"object","required":["email"]}`); w.Code != 200 {
		t.Fatal(w.Body)
	}
	if got := f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), ""); got.Code != 200 {
		t.Fatalf("stored bin after schema change: %d", got.Code)
	}
	if w := f.do("PUT", "/v3/b/"+id, jsonHdr(f.key), `{"username":"ada","age":37}`); w.Code != 400 || !strings.Contains(w.Body.String(), "'email'") {
		t.Fatalf("the new schema applies to the next write: %d %s", w.Code, w.Body)
	}
	if w := f.do("PUT", "/v3/c/"+coll+"/schemadoc/remove", hdr("X-Master-Key", f.key), ""); w.Code != 200 {
		t.Fatal(w.Body)
	}
	if w := f.do("PUT", "/v3/b/"+id, jsonHdr(f.key), `{"anything":"goes"}`); w.Code != 200 {
		t.Fatalf("after detaching: %d %s", w.Code, w.Body)
	}
	w := f.do("GET", "/v3/c", hdr("X-Master-Key", f.key), "")
	var list []map[string]any
	mustJSON(t, w.Body.Bytes(), &list)
	if len(list) != 1 || list[0]["schemaDocId"] != nil || list[0]["record"] != coll {
		t.Fatalf("collections after detach: %s", w.Body)
	}
	if got := strings.Join(topKeys(t, mustMarshalRaw(t, w.Body.Bytes())), ","); got != "record,collectionMeta,createdAt" {
		t.Errorf("collection item keys %s", got)
	}
}

// mustMarshalRaw returns the first element of a JSON array.
func mustMarshalRaw(t *testing.T, body []byte) []byte {
	var items []json.RawMessage
	mustJSON(t, body, &items)
	if len(items) == 0 {
		t.Fatalf("empty list %s", body)
	}
	return items[0]
}
