package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// row is one line of a success-shape or error table of jsonbin-v3.md §1.5
// and §2. Paths and header values may hold placeholders that each row gets
// fresh: {private} {public} {versioned} (a private bin with two versions)
// {missing}, and keys {key} {other} {revoked} {bad} {ak:all} {ak:read}
// {ak:none}.
type row struct {
	name   string
	method string
	path   string
	hdr    map[string]string
	body   string
	status int
	want   string   // exact body, when set
	keys   []string // exact top-level keys in order, when set
	meta   []string // exact metadata keys in order, when set
}

const (
	missingID = "111111111111111111111111"
	record    = `{"sample":"Hello World","n":1.0e2,"z":[1,{"b":2,"a":1}]}`
)

func msg(m string) string {
	b, _ := json.Marshal(map[string]string{"message": m})
	return strings.ReplaceAll(string(b), `\u0026`, "&")
}

// jsonKey sends the admin key with a JSON content type.
func jsonKey(extra ...string) map[string]string {
	h := map[string]string{"Content-Type": "application/json", "X-Master-Key": "{key}"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func hdr(kv ...string) map[string]string {
	h := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

var commonRows = []row{
	// §1.5 common error strings, across routes.
	{name: "MalformedIDRead", method: "GET", path: "/v3/b/123", status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDReadLatest", method: "GET", path: "/v3/b/TestID/latest", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDUppercaseHex", method: "GET", path: "/v3/b/6A039589250B1311C33F0D79", status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDUpdate", method: "PUT", path: "/v3/b/invalid-bin-id", hdr: jsonKey(), body: record, status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDBeforeContentType", method: "PUT", path: "/v3/b/nfchsncflSLVclnh", hdr: hdr("X-Master-Key", "{key}"), body: record, status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDDelete", method: "DELETE", path: "/v3/b/Test123", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDVersionCount", method: "GET", path: "/v3/b/123/versions/count", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDVersionsDelete", method: "DELETE", path: "/v3/b/123/versions", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDRename", method: "PUT", path: "/v3/b/123/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Name", "x"), status: 400, want: msg("Invalid Bin Id provided")},
	{name: "MalformedIDPrivacy", method: "PUT", path: "/v3/b/123/meta/privacy", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Private", "false"), status: 400, want: msg("Invalid Bin Id provided")},
	{name: "NotFoundRead", method: "GET", path: "/v3/b/{missing}", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Bin not found or it doesn't belong to your account")},
	{name: "NotFoundDelete", method: "DELETE", path: "/v3/b/{missing}", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Bin not found or it doesn't belong to your account")},
	{name: "NotFoundVersionCount", method: "GET", path: "/v3/b/{missing}/versions/count", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Bin not found or it doesn't belong to your account")},
	{name: "NoKeyReadPrivate", method: "GET", path: "/v3/b/{private}", status: 401, want: msg("You need to pass X-Master-Key or X-Access-Key in the header to read a private bin")},
	{name: "NoKeyCreate", method: "POST", path: "/v3/b", hdr: hdr("Content-Type", "application/json"), body: record, status: 401, want: msg("You need to pass X-Master-Key or X-Access-Key in the header to create a bin")},
	{name: "EmptyAccessKeyCountsAsAbsent", method: "POST", path: "/v3/b", hdr: hdr("Content-Type", "application/json", "X-Access-Key", ""), body: record, status: 401, want: msg("You need to pass X-Master-Key or X-Access-Key in the header to create a bin")},
	{name: "NoKeyUpdatePrivate", method: "PUT", path: "/v3/b/{private}", hdr: hdr("Content-Type", "application/json"), body: record, status: 401, want: msg("You need to pass X-Master-Key or X-Access-Key in the header to update a private bin")},
	{name: "NoKeyDelete", method: "DELETE", path: "/v3/b/{private}", status: 401, want: msg("You need to pass X-Master-Key or X-Access-Key in the header to delete a bin")},
	{name: "BadMasterKeyRead", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("X-Master-Key is invalid or the bin doesn't belong to your account")},
	{name: "BadMasterKeyDelete", method: "DELETE", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("X-Master-Key is invalid or the bin doesn't belong to your account")},
	{name: "BadMasterKeyVersionCount", method: "GET", path: "/v3/b/{private}/versions/count", hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("X-Master-Key is invalid or the bin doesn't belong to your account")},
	{name: "BadAccessKeyRead", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Access-Key", "{bad}"), status: 401, want: msg("X-Access-Key is invalid or the bin doesn't belong to your account")},
	{name: "BadMasterKeyCreate", method: "POST", path: "/v3/b", hdr: jsonKey("X-Master-Key", "{bad}"), body: record, status: 401, want: msg("Invalid X-Master-Key provided")},
	{name: "BadMasterKeyUpdate", method: "PUT", path: "/v3/b/{private}", hdr: jsonKey("X-Master-Key", "{bad}"), body: record, status: 401, want: msg("Invalid X-Master-Key provided or the bin does not belong to your account")},
	{name: "RevokedKeyRefused", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{revoked}"), status: 401, want: msg("X-Master-Key is invalid or the bin doesn't belong to your account")},
	{name: "AccessKeyInMasterHeaderRefused", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{ak:all}"), status: 401, want: msg("X-Master-Key is invalid or the bin doesn't belong to your account")},
	{name: "OtherAccountsKeyReadPrivate", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{other}"), status: 401, want: msg("X-Master-Key is invalid or the bin doesn't belong to your account")},
	{name: "OtherAccountsKeyUpdatePrivate", method: "PUT", path: "/v3/b/{private}", hdr: jsonKey("X-Master-Key", "{other}"), body: record, status: 401, want: msg("Invalid X-Master-Key provided or the bin does not belong to your account")},
	{name: "OtherAccountsKeyDeletePublic", method: "DELETE", path: "/v3/b/{public}", hdr: hdr("X-Master-Key", "{other}"), status: 401, want: msg("X-Master-Key is invalid or the bin doesn't belong to your account")},
}

var createRows = []row{
	// §2.1 create.
	{name: "CreateShape", method: "POST", path: "/v3/b", hdr: jsonKey(), body: record, status: 200, keys: []string{"record", "metadata"}, meta: []string{"id", "createdAt", "private"}},
	{name: "CreateEchoesRecordExactly", method: "POST", path: "/v3/b", hdr: jsonKey("X-Bin-Private", "false"), body: record, status: 200, want: `{"record":` + record + `,"metadata":{"id":"{created}","createdAt":"{createdAt}","private":false}}`},
	{name: "CreateWithName", method: "POST", path: "/v3/b", hdr: jsonKey("X-Bin-Name", "test name"), body: record, status: 200, meta: []string{"id", "createdAt", "private", "name"}},
	{name: "CreateNameOf128Chars", method: "POST", path: "/v3/b", hdr: jsonKey("X-Bin-Name", strings.Repeat("é", 128)), body: record, status: 200, meta: []string{"id", "createdAt", "private", "name"}},
	{name: "CreateEmptyArray", method: "POST", path: "/v3/b", hdr: jsonKey(), body: `[]`, status: 200, keys: []string{"record", "metadata"}},
	{name: "CreateContentTypeWithCharset", method: "POST", path: "/v3/b", hdr: jsonKey("Content-Type", "application/json; charset=utf-8"), body: record, status: 200},
	{name: "CreateWithBearer", method: "POST", path: "/v3/b", hdr: hdr("Content-Type", "application/json", "Authorization", "Bearer {key}"), body: record, status: 200},
	{name: "CreateLowercaseHeaderNames", method: "POST", path: "/v3/b", hdr: hdr("content-type", "application/json", "x-master-key", "{key}"), body: record, status: 200},
	{name: "CreateBothKeysMasterDecides", method: "POST", path: "/v3/b", hdr: jsonKey("X-Access-Key", "junk"), body: record, status: 200},
	{name: "CreateWithAccessKey", method: "POST", path: "/v3/b", hdr: hdr("Content-Type", "application/json", "X-Access-Key", "{ak:all}"), body: record, status: 200},
	{name: "CreateAccessKeyWithoutPermission", method: "POST", path: "/v3/b", hdr: hdr("Content-Type", "application/json", "X-Access-Key", "{ak:read}"), body: record, status: 403, want: msg("Access Key does not have permission to create bins")},
	{name: "CreateNoContentType", method: "POST", path: "/v3/b", hdr: hdr("X-Master-Key", "{key}"), body: record, status: 400, want: msg("You need to pass Content-Type set to application/json")},
	{name: "CreateTextContentType", method: "POST", path: "/v3/b", hdr: jsonKey("Content-Type", "text/plain"), body: record, status: 400, want: msg("You need to pass Content-Type set to application/json")},
	{name: "CreateBlankObject", method: "POST", path: "/v3/b", hdr: jsonKey(), body: `{}`, status: 400, want: msg("Bin cannot be blank")},
	{name: "CreateBlankObjectWithSpaces", method: "POST", path: "/v3/b", hdr: jsonKey(), body: " { } ", status: 400, want: msg("Bin cannot be blank")},
	{name: "CreateEmptyBody", method: "POST", path: "/v3/b", hdr: jsonKey(), body: "", status: 400, want: msg("Bin cannot be blank")},
	{name: "CreateNotJSON", method: "POST", path: "/v3/b", hdr: jsonKey(), body: `Test`, status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "CreateTopLevelString", method: "POST", path: "/v3/b", hdr: jsonKey(), body: `"test"`, status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "CreateTopLevelNumber", method: "POST", path: "/v3/b", hdr: jsonKey(), body: `123`, status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "CreateTrailingGarbage", method: "POST", path: "/v3/b", hdr: jsonKey(), body: `{"a":1}x`, status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "CreateInvalidUTF8", method: "POST", path: "/v3/b", hdr: jsonKey(), body: "{\"a\":\"\xff\"}", status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "CreateTooDeep", method: "POST", path: "/v3/b", hdr: jsonKey(), body: strings.Repeat("[", 101) + strings.Repeat("]", 101), status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "CreateDepth100", method: "POST", path: "/v3/b", hdr: jsonKey(), body: strings.Repeat("[", 100) + strings.Repeat("]", 100), status: 200},
	{name: "CreateTooLarge", method: "POST", path: "/v3/b", hdr: jsonKey(), body: `{"a":"` + strings.Repeat("x", 64<<10) + `"}`, status: 413, want: msg("Bin size cannot exceed 64KB")},
	{name: "CreateNameTooLong", method: "POST", path: "/v3/b", hdr: jsonKey("X-Bin-Name", strings.Repeat("a", 129)), body: record, status: 400, want: msg("X-Bin-Name cannot be blank or over 128 characters")},
	{name: "CreateNameBlank", method: "POST", path: "/v3/b", hdr: jsonKey("X-Bin-Name", ""), body: record, status: 400, want: msg("X-Bin-Name cannot be blank or over 128 characters")},
	{name: "CreateMalformedCollection", method: "POST", path: "/v3/b", hdr: jsonKey("X-Collection-Id", "abc"), body: record, status: 400, want: msg("Invalid X-Collection-Id provided")},
	{name: "CreateUnknownCollection", method: "POST", path: "/v3/b", hdr: jsonKey("X-Collection-Id", missingID), body: record, status: 400, want: msg("Collection not found or the Collection does not belong to the X-Master-Key provided")},
	{name: "CreateBadPrivateHeader", method: "POST", path: "/v3/b", hdr: jsonKey("X-Bin-Private", "maybe"), body: record, status: 400, want: msg("X-Bin-Private must be true or false")},
}

var readRows = []row{
	// §2.2 read.
	{name: "ReadShape", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{key}"), status: 200, keys: []string{"record", "metadata"}, meta: []string{"id", "private", "createdAt"}},
	{name: "ReadLatestIsNewest", method: "GET", path: "/v3/b/{versioned}/latest", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Meta", "false"), status: 200, want: `{"v":2}`},
	{name: "ReadNoVersionIsNewest", method: "GET", path: "/v3/b/{versioned}", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Meta", "false"), status: 200, want: `{"v":2}`},
	{name: "ReadBaseVersion", method: "GET", path: "/v3/b/{versioned}/0?meta=false", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: `{"v":0}`},
	{name: "ReadVersionOne", method: "GET", path: "/v3/b/{versioned}/1?meta=false", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: `{"v":1}`},
	{name: "ReadMetaFalseHeader", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Meta", "false"), status: 200, want: record},
	{name: "ReadMetaFalseQuery", method: "GET", path: "/v3/b/{private}/latest?meta=false", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: record},
	{name: "ReadJSONPath", method: "GET", path: "/v3/b/{private}?meta=false", hdr: hdr("X-Master-Key", "{key}", "X-JSON-Path", "$.z[1]"), status: 200, want: `[{"b":2,"a":1}]`},
	{name: "ReadJSONPathNoDollar", method: "GET", path: "/v3/b/{private}?meta=false", hdr: hdr("X-Master-Key", "{key}", "x-json-path", "sample"), status: 200, want: `["Hello World"]`},
	{name: "ReadJSONPathWithMeta", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{key}", "X-JSON-Path", "$.n"), status: 200, keys: []string{"record", "metadata"}},
	{name: "ReadJSONPathInvalid", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{key}", "X-JSON-Path", "$["), status: 400, want: msg("Invalid X-JSON-Path expression passed")},
	{name: "ReadVersionInvalid", method: "GET", path: "/v3/b/{private}/---", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Bin version is invalid")},
	{name: "ReadVersionNegative", method: "GET", path: "/v3/b/{private}/-1", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("Bin version is invalid")},
	{name: "ReadVersionNotFound", method: "GET", path: "/v3/b/{private}/666", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Bin version not found")},
	{name: "ReadPublicWithoutKey", method: "GET", path: "/v3/b/{public}", status: 200, meta: []string{"id", "private", "createdAt"}},
	{name: "ReadPublicWithOtherAccountsKey", method: "GET", path: "/v3/b/{public}", hdr: hdr("X-Master-Key", "{other}"), status: 200},
	{name: "ReadWithAccessKey", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Access-Key", "{ak:read}"), status: 200},
	{name: "ReadAccessKeyWithoutPermission", method: "GET", path: "/v3/b/{private}", hdr: hdr("X-Access-Key", "{ak:none}"), status: 403, want: msg("Access Key does not have permission to read bins")},
	{name: "ReadAccessKeyAsBearer", method: "GET", path: "/v3/b/{private}", hdr: hdr("Authorization", "Bearer {ak:read}"), status: 200},
	{name: "ReadWithTrailingSlash", method: "GET", path: "/v3/b/{private}/latest/", hdr: hdr("X-Master-Key", "{key}"), status: 200},
}

var updateRows = []row{
	// §2.3 update.
	{name: "UpdateShape", method: "PUT", path: "/v3/b/{private}", hdr: jsonKey(), body: `{"sample":"Hello World : Updated"}`, status: 200, want: `{"record":{"sample":"Hello World : Updated"},"metadata":{"parentId":"{private}","private":true}}`},
	{name: "UpdateVersionedShape", method: "PUT", path: "/v3/b/{private}", hdr: jsonKey("X-Bin-Versioning", "true"), body: `{"a":2}`, status: 200, want: `{"record":{"a":2},"metadata":{"parentId":"{private}","private":true,"version":1}}`},
	{name: "UpdateNoContentType", method: "PUT", path: "/v3/b/{private}", hdr: hdr("X-Master-Key", "{key}"), body: record, status: 400, want: msg("You need to pass Content-Type set to application/json")},
	{name: "UpdateBlank", method: "PUT", path: "/v3/b/{private}", hdr: jsonKey(), body: `{}`, status: 400, want: msg("Bin cannot be blank")},
	{name: "UpdateInvalidJSON", method: "PUT", path: "/v3/b/{private}", hdr: jsonKey(), body: `"test"`, status: 400, want: msg("Invalid JSON. Please try again")},
	{name: "UpdateNotFound", method: "PUT", path: "/v3/b/{missing}", hdr: jsonKey(), body: record, status: 404, want: msg("Bin not found")},
	{name: "UpdatePublicWithoutKey", method: "PUT", path: "/v3/b/{public}", hdr: hdr("Content-Type", "application/json"), body: `{"a":3}`, status: 200, want: `{"record":{"a":3},"metadata":{"parentId":"{public}","private":false}}`},
	{name: "UpdateAccessKeyWithoutPermission", method: "PUT", path: "/v3/b/{private}", hdr: hdr("Content-Type", "application/json", "X-Access-Key", "{ak:read}"), body: record, status: 403, want: msg("Access Key does not have permission to update bins")},
	{name: "UpdateTooLarge", method: "PUT", path: "/v3/b/{private}", hdr: jsonKey(), body: `[` + strings.Repeat(`1,`, 40<<10) + `1]`, status: 413, want: msg("Bin size cannot exceed 64KB")},
}

var deleteRows = []row{
	// §2.4 delete, §2.5 version count, §2.6 versions delete, §2.7–2.8 meta.
	{name: "DeleteShape", method: "DELETE", path: "/v3/b/{versioned}", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: `{"metadata":{"id":"{versioned}","versionsDeleted":2},"message":"Bin deleted successfully"}`},
	{name: "DeletePublicNeedsKey", method: "DELETE", path: "/v3/b/{public}", status: 401, want: msg("You need to pass X-Master-Key or X-Access-Key in the header to delete a bin")},
	{name: "DeleteAccessKeyWithoutPermission", method: "DELETE", path: "/v3/b/{private}", hdr: hdr("X-Access-Key", "{ak:read}"), status: 403, want: msg("Access Key does not have permission to delete bins")},
	{name: "VersionCountShape", method: "GET", path: "/v3/b/{versioned}/versions/count", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: `{"metadata":{"id":"{versioned}","versionCount":2,"private":true}}`},
	{name: "VersionCountPublicWithoutKey", method: "GET", path: "/v3/b/{public}/versions/count", status: 200, want: `{"metadata":{"id":"{public}","versionCount":0,"private":false}}`},
	{name: "VersionCountPrivateWithoutKey", method: "GET", path: "/v3/b/{private}/versions/count", status: 401, want: msg("You need to pass X-Master-Key in the header to get version count for the private bin")},
	{name: "VersionsDeleteShape", method: "DELETE", path: "/v3/b/{versioned}/versions", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: `{"metadata":{"id":"{versioned}","versionsDeleted":2},"message":"Versions for the Bin are deleted successfully"}`},
	{name: "VersionsDeletePreserveLatest", method: "DELETE", path: "/v3/b/{versioned}/versions", hdr: hdr("X-Master-Key", "{key}", "X-Preserve-Latest", "true"), status: 200, want: `{"metadata":{"id":"{versioned}","versionsDeleted":2},"message":"Versions for the Bin are deleted successfully and latest version preserved on the base record."}`},
	{name: "VersionsDeleteNone", method: "DELETE", path: "/v3/b/{private}/versions", hdr: hdr("X-Master-Key", "{key}"), status: 200, want: msg("No versions found")},
	{name: "VersionsDeleteNoKey", method: "DELETE", path: "/v3/b/{private}/versions", status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "VersionsDeleteBadKey", method: "DELETE", path: "/v3/b/{private}/versions", hdr: hdr("X-Master-Key", "{bad}"), status: 401, want: msg("Invalid X-Master-Key provided")},
	{name: "VersionsDeleteNotFound", method: "DELETE", path: "/v3/b/{missing}/versions", hdr: hdr("X-Master-Key", "{key}"), status: 404, want: msg("Bin not found or it doesn't belong to your account")},
	{name: "RenameShape", method: "PUT", path: "/v3/b/{private}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Name", "Jordan"), body: "{}", status: 200, want: `{"record":"{private}","metadata":{"name":"Jordan"}}`},
	{name: "RenameMissingHeader", method: "PUT", path: "/v3/b/{private}/meta/name", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("You need to pass X-Bin-Name header to Update the Bin Name")},
	{name: "RenameTooLong", method: "PUT", path: "/v3/b/{private}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Name", strings.Repeat("a", 129)), status: 400, want: msg("X-Bin-Name cannot be blank or over 128 characters")},
	{name: "RenameNoKey", method: "PUT", path: "/v3/b/{private}/meta/name", hdr: hdr("X-Bin-Name", "x"), status: 401, want: msg("You need to pass X-Master-Key in the header")},
	{name: "RenameNotFound", method: "PUT", path: "/v3/b/{missing}/meta/name", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Name", "x"), status: 404, want: msg("Bin not found or it doesn't belong to your account")},
	{name: "PrivacyShape", method: "PUT", path: "/v3/b/{private}/meta/privacy", hdr: hdr("X-Master-Key", "{key}", "X-Bin-Private", "false"), status: 200, want: `{"record":"{private}","metadata":{"private":false}}`},
	{name: "PrivacyMissingHeader", method: "PUT", path: "/v3/b/{private}/meta/privacy", hdr: hdr("X-Master-Key", "{key}"), status: 400, want: msg("You need to provide X-Bin-Private header to change the Bin privacy")},
	{name: "PrivacyBadKey", method: "PUT", path: "/v3/b/{private}/meta/privacy", hdr: hdr("X-Master-Key", "{bad}", "X-Bin-Private", "false"), status: 401, want: msg("Invalid X-Master-Key provided")},
	// Routing.
	{name: "UnknownRouteIsJSON404", method: "GET", path: "/v3/nope", status: 404, want: msg("Route not found")},
	{name: "WrongMethodIsJSON405", method: "POST", path: "/v3/b/{private}", status: 405, want: msg("Method not allowed")},
}

func TestConformance(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		for _, table := range [][]row{commonRows, createRows, readRows, updateRows, deleteRows, accessRows, collectionRows} {
			for _, c := range table {
				t.Run(c.name, func(t *testing.T) { f.check(t, c) })
			}
		}
	})
}

// check runs one row against fresh bins.
func (f *fixture) check(t *testing.T, c row) {
	private := f.MustBin(record, nil)
	public := f.MustBin(record, hdr("X-Bin-Private", "false"))
	versioned := f.MustBin(`{"v":0}`, nil)
	f.MustUpdate(versioned, `{"v":1}`, true)
	f.MustUpdate(versioned, `{"v":2}`, true)
	bad := f.key[:len(f.key)-1] + string("ab"[(strings.IndexByte("ab", f.key[len(f.key)-1])+1)%2])
	pairs := []string{"{private}", private, "{public}", public, "{versioned}", versioned, "{missing}", missingID,
		"{key}", f.key, "{other}", f.other, "{revoked}", f.revoked, "{bad}", bad,
		"{ak:all}", f.access["all"], "{ak:read}", f.access["read"], "{ak:none}", f.access["none"]}
	rep := strings.NewReplacer(append(pairs, f.collectionPlaceholders(c)...)...)
	h := map[string]string{}
	for k, v := range c.hdr {
		h[k] = rep.Replace(v)
	}
	w := f.do(c.method, rep.Replace(c.path), h, c.body)
	if w.Code != c.status {
		t.Fatalf("status %d, want %d; body %s", w.Code, c.status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin %q, want *", got)
	}
	f.checkBody(t, c, w, rep)
}

func (f *fixture) checkBody(t *testing.T, c row, w *httptest.ResponseRecorder, rep *strings.Replacer) {
	body := w.Body.Bytes()
	if c.want != "" {
		want := rep.Replace(c.want)
		if strings.Contains(want, "{created") {
			var out struct {
				Metadata struct{ ID, CreatedAt string }
			}
			json.Unmarshal(body, &out)
			want = strings.NewReplacer("{created}", out.Metadata.ID, "{createdAt}", out.Metadata.CreatedAt).Replace(want)
		}
		if string(body) != want {
			t.Errorf("body\n%s\nwant\n%s", body, want)
		}
	}
	if c.keys != nil {
		if got := topKeys(t, body); !slices.Equal(got, c.keys) {
			t.Errorf("top-level keys %v, want %v", got, c.keys)
		}
	}
	if c.meta != nil {
		var out struct{ Metadata json.RawMessage }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		if got := topKeys(t, out.Metadata); !slices.Equal(got, c.meta) {
			t.Errorf("metadata keys %v, want %v", got, c.meta)
		}
	}
	if c.status == 403 {
		if got, want := w.Header().Get("X-Required-Permission"), "bins."+strings.Fields(fmt.Sprint(c.want))[7]; got != want {
			t.Errorf("X-Required-Permission %q, want %q", got, want)
		}
	}
}

// collectionPlaceholders makes, for rows that mention them, a collection
// {coll}, a schema doc {schema} (attached to {schemed}, a collection with a
// bin {inSchemed}), and another account's collection {otherColl} and schema
// doc {otherSchema}.
func (f *fixture) collectionPlaceholders(c row) []string {
	text := c.path + c.body + c.want + fmt.Sprint(c.hdr)
	var pairs []string
	if strings.Contains(text, "{coll}") {
		pairs = append(pairs, "{coll}", f.MustCollection(f.key, "People"))
	}
	if strings.Contains(text, "{otherColl}") {
		pairs = append(pairs, "{otherColl}", f.MustCollection(f.other, "Theirs"))
	}
	if strings.Contains(text, "{schema}") || strings.Contains(text, "{schemed}") || strings.Contains(text, "{inSchemed}") {
		schema := f.MustSchemaDoc(f.key, "User", userSchema)
		coll := f.MustCollection(f.key, "Users")
		if w := f.do("PUT", "/v3/c/"+coll+"/schemadoc/add", hdr("X-Master-Key", f.key, "X-Schema-Doc-Id", schema), ""); w.Code != 200 {
			f.t.Fatalf("attach: %d %s", w.Code, w.Body)
		}
		bin := f.MustBin(`{"username":"ada","age":36}`, hdr("X-Collection-Id", coll))
		pairs = append(pairs, "{schema}", schema, "{schemed}", coll, "{inSchemed}", bin)
	}
	if strings.Contains(text, "{otherSchema}") {
		pairs = append(pairs, "{otherSchema}", f.MustSchemaDoc(f.other, "Theirs", userSchema))
	}
	return pairs
}
