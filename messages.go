package binvault

// JSONBin's client-facing strings, in one place. Many differ by a word from
// route to route ("doesn't" on read, "does not" on update); they are copied
// from ../shared/spec/jsonbin-v3.md exactly, because clients compare them.
const (
	MsgInternal    = "Something went wrong. Please try again later"
	MsgUnavailable = "The database is unavailable. Please retry shortly"

	MsgInvalidBinID      = "Invalid Bin Id provided"
	MsgInvalidVersion    = "Bin version is invalid"
	MsgInvalidJSONPath   = "Invalid X-JSON-Path expression passed"
	MsgContentType       = "You need to pass Content-Type set to application/json"
	MsgBinBlank          = "Bin cannot be blank"
	MsgInvalidJSON       = "Invalid JSON. Please try again"
	MsgBinNameInvalid    = "X-Bin-Name cannot be blank or over 128 characters"
	MsgBinNameMissing    = "You need to pass X-Bin-Name header to Update the Bin Name"
	MsgBinPrivateMissing = "You need to provide X-Bin-Private header to change the Bin privacy"
	MsgBinTooLarge       = "Bin size cannot exceed %s"

	MsgInvalidCollectionID = "Invalid X-Collection-Id provided"
	MsgCollectionNotFound  = "Collection not found or the Collection does not belong to the X-Master-Key provided"

	MsgNoKeyCreate       = "You need to pass X-Master-Key or X-Access-Key in the header to create a bin"
	MsgNoKeyRead         = "You need to pass X-Master-Key or X-Access-Key in the header to read a private bin"
	MsgNoKeyUpdate       = "You need to pass X-Master-Key or X-Access-Key in the header to update a private bin"
	MsgNoKeyDelete       = "You need to pass X-Master-Key or X-Access-Key in the header to delete a bin"
	MsgNoKeyVersionCount = "You need to pass X-Master-Key in the header to get version count for the private bin"
	MsgNoKey             = "You need to pass X-Master-Key in the header"

	MsgBadMasterKey        = "Invalid X-Master-Key provided"
	MsgBadMasterKeyForBin  = "X-Master-Key is invalid or the bin doesn't belong to your account"
	MsgBadMasterKeyUpdate  = "Invalid X-Master-Key provided or the bin does not belong to your account"
	MsgBadAccessKey        = "Invalid X-Access-Key provided"
	MsgBadAccessKeyForBin  = "X-Access-Key is invalid or the bin doesn't belong to your account"
	MsgBadAccessKeyUpdate  = "Invalid X-Access-Key provided or the bin does not belong to your account"
	MsgAccessKeyPermission = "Access Key does not have permission to %s bins"

	MsgBinNotFound        = "Bin not found or it doesn't belong to your account"
	MsgBinNotFoundUpdate  = "Bin not found"
	MsgBinVersionNotFound = "Bin version not found"

	MsgBinDeleted              = "Bin deleted successfully"
	MsgVersionsDeleted         = "Versions for the Bin are deleted successfully"
	MsgVersionsDeletedPreserve = "Versions for the Bin are deleted successfully and latest version preserved on the base record."
	MsgNoVersions              = "No versions found"

	MsgRequestsExhausted = "Requests exhausted. This account has used its %d requests for %s; ask the operator of this binvault instance to raise the limit"
	MsgVersioningOff     = "Versioning is not available for the Free users. Upgrade to Pro plan http://api.jsonbin.io/pricing to avail this feature"
	MsgBinLimit          = "You cannot create more than %d bins."

	MsgNoKeyAccessCreate  = "You need to pass X-Master-Key in the header to generate Access Key"
	MsgNoKeyAccessList    = "You need to pass X-Master-Key in the header to fetch a list of Access Keys."
	MsgNoKeyAccessDelete  = "You need to pass X-Master-Key in the header to delete the access key."
	MsgKeyNameBlank       = "X-Key-Name cannot be blank"
	MsgKeyNameTooLong     = "Name of the Key name cannot be above 32 characters"
	MsgPermissionsInvalid = "Validation failed, please try again"
	MsgAccessKeyLimit     = "You cannot create more than %d access keys."
	MsgInvalidAccessKeyID = "Invalid Access Key Id provided"
	MsgAccessKeyNotFound  = "Access Key not found or it doesn't belong to your account"
	MsgAccessKeyDeleted   = "Access Key deleted successfully"

	MsgAPIKeyName    = "Key name must be 1 to 64 characters"
	MsgInvalidKeyID  = "Invalid Key Id provided"
	MsgKeyNotFound   = "Key not found or it doesn't belong to your account"
	MsgAPIKeyRevoked = "API key revoked successfully"

	MsgNoLogs         = "No logs found"
	MsgNoBackup       = "Backup not found for %s."
	MsgInvalidLogDate = "Invalid date provided. Use DD-MM-YYYY"

	MsgRateLimited = "Too many requests. Retry after %d seconds"

	MsgInvalidCollectionIDPath = "Invalid Collection Id provided"
	MsgCollectionNotFoundShort = "Collection not found"
	MsgCollectionNameMissing   = "You need to pass X-Collection-Name header to set a name for the Schema Doc" // sic, as documented
	MsgCollectionNameEmpty     = "You need to pass X-Collection-Name header to set a name for the Collection"
	MsgCollectionNameBlank     = "X-Collection-Name cannot be blank"
	MsgCollectionNameTooLong   = "Name of the Collection cannot be above 32 characters"
	MsgCollectionLimit         = "You cannot create more than %d collections."
	MsgSortOrder               = "X-Sort-Order must be ascending or descending"
	MsgSchemaDocIDMissing      = "You need to pass X-Schema-Doc-Id in the header"
	MsgInvalidSchemaID         = "Invalid Schema Id provided"
	MsgSchemaDocNotFound       = "Schema Doc not found"
	MsgSchemaNameMissing       = "You need to pass X-Schema-Doc-Name header to set a name for the Schema Doc"
	MsgSchemaNameBlank         = "X-Schema-Doc-Name cannot be blank"
	MsgSchemaNameTooLong       = "Name of the Schema Doc cannot be above 32 characters"
	MsgSchemaMismatch          = "Schema Doc Validation Mismatch:  %s"
	MsgSchemaInvalid           = "Invalid Schema Doc: %s"

	MsgPreconditionFailed = "The bin has changed since you read it: read it again and retry"
	MsgPatchContentType   = "PATCH needs Content-Type application/merge-patch+json or application/json-patch+json"
	MsgPatchInvalid       = "Invalid patch document: %s"
	MsgPatchFailed        = "The patch cannot be applied to this bin: %s"
	MsgPatchContended     = "The bin moved to another collection while it was patched: retry"

	MsgRouteNotFound    = "Route not found"
	MsgMethodNotAllowed = "Method not allowed"
	MsgBadBoolHeader    = "%s must be true or false"
	MsgFeedEnded        = "The change feed ended; reconnect with Last-Event-ID to resume"
	MsgMetricsToken     = "You need to pass the metrics token as Authorization: Bearer <token>"
)
