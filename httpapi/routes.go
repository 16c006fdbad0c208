package httpapi

import "net/http"

// routes lists every route on one screen. JSONBin's are under /v3 with its
// own prefixes (b: bins, c: collections, s: schema docs, a: access keys,
// l: usage logs); binvault's own
// live beside them.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)

	mux.HandleFunc("POST /v3/b", s.createBin)
	mux.HandleFunc("GET /v3/b/{id}", s.readBin)
	mux.HandleFunc("GET /v3/b/{id}/{version}", s.readBin)
	mux.HandleFunc("PUT /v3/b/{id}", s.updateBin)
	mux.HandleFunc("PATCH /v3/b/{id}", s.patchBin)
	mux.HandleFunc("DELETE /v3/b/{id}", s.deleteBin)
	mux.HandleFunc("GET /v3/b/{id}/versions/count", s.countVersions)
	mux.HandleFunc("DELETE /v3/b/{id}/versions", s.deleteVersions)
	mux.HandleFunc("PUT /v3/b/{id}/meta/name", s.renameBin)
	mux.HandleFunc("PUT /v3/b/{id}/meta/privacy", s.setBinPrivacy)

	mux.HandleFunc("POST /v3/c", s.createCollection)
	mux.HandleFunc("GET /v3/c", s.listCollections)
	mux.HandleFunc("PUT /v3/c/{id}/meta/name", s.renameCollection)
	mux.HandleFunc("GET /v3/c/{id}/bins", s.collectionBins)
	mux.HandleFunc("GET /v3/c/{id}/bins/{after}", s.collectionBins)
	mux.HandleFunc("PUT /v3/c/{id}/schemadoc/add", s.attachSchema)
	mux.HandleFunc("PUT /v3/c/{id}/schemadoc/remove", s.detachSchema)

	mux.HandleFunc("POST /v3/s", s.createSchemaDoc)
	mux.HandleFunc("GET /v3/s/{id}", s.readSchemaDoc)
	mux.HandleFunc("PUT /v3/s/{id}", s.updateSchemaDoc)
	mux.HandleFunc("PUT /v3/s/{id}/meta/name", s.renameSchemaDoc)

	mux.HandleFunc("POST /v3/a", s.createAccessKey)
	mux.HandleFunc("GET /v3/a", s.listAccessKeys)
	mux.HandleFunc("DELETE /v3/a/{id}", s.deleteAccessKey)

	mux.HandleFunc("GET /v3/l", s.logDays)
	mux.HandleFunc("GET /v3/l/{date}", s.logOfDay)

	// binvault's own.
	mux.HandleFunc("POST /v3/keys", s.createAPIKey)
	mux.HandleFunc("GET /v3/keys", s.listAPIKeys)
	mux.HandleFunc("DELETE /v3/keys/{id}", s.revokeAPIKey)
	mux.HandleFunc("GET /v3/activity", s.listActivity)
	mux.HandleFunc("GET /v3/usage", s.usage)
	mux.HandleFunc("GET /v3/b/{id}/events", s.binEvents)
	mux.HandleFunc("GET /openapi.yaml", s.openAPI)
	if s.telemetry.metrics != nil {
		mux.HandleFunc("GET /metrics", s.serveMetrics) // metricsRoute
	}

	mux.HandleFunc("/", s.notFound)
	return mux
}
