package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// bigRecordSize is the bin size of the put-100k and patch-100k scenarios:
// where a partial update should pay off, since PUT must resend it all.
const bigRecordSize = 100 << 10

// isPatchScenario reports whether name is one of the scenarios
// preparePatchScenarios sets up.
func isPatchScenario(name string) bool {
	return name == "put-100k" || name == "patch-100k" || name == "jsonpatch-100k"
}

// preparePatchScenarios creates updateBins bins of 100 KiB for each of
// put-100k (PUT of the whole record with one field changed), patch-100k (a
// merge patch of that one field) and jsonpatch-100k (a JSON Patch replace
// of it), and records one response of each.
// It first proves that the patch really changes the stored record.
func preparePatchScenarios(ctx context.Context, c apiClient, res *setupResult) ([]scenario, error) {
	noVersioning := map[string]string{"X-Bin-Versioning": "false"}
	mergePatch := map[string]string{"X-Bin-Versioning": "false", "Content-Type": "application/merge-patch+json"}
	jsonPatch := map[string]string{"X-Bin-Versioning": "false", "Content-Type": "application/json-patch+json"}
	putBody, patchBody := jsonPayload(bigRecordSize, 1), []byte(`{"seq":1}`)
	opsBody := []byte(`[{"op":"replace","path":"/seq","value":1}]`)
	var out []scenario
	for _, sc := range []struct {
		name, method string
		body         []byte
		extra        map[string]string
		detail       string
	}{
		{"put-100k", http.MethodPut, putBody, noVersioning,
			fmt.Sprintf("`PUT /v3/b/<id>` of a whole %d-byte record (one field differs from the stored one) with `X-Bin-Versioning: false`; each request picks one of %d private bins uniformly at random", len(putBody), updateBins)},
		{"patch-100k", http.MethodPatch, patchBody, mergePatch,
			fmt.Sprintf("`PATCH /v3/b/<id>` with `Content-Type: application/merge-patch+json` and the %d-byte body `%s` against %d-byte records, `X-Bin-Versioning: false`; each request picks one of %d private bins uniformly at random", len(patchBody), patchBody, bigRecordSize, updateBins)},
		{"jsonpatch-100k", http.MethodPatch, opsBody, jsonPatch,
			fmt.Sprintf("`PATCH /v3/b/<id>` with `Content-Type: application/json-patch+json` and the %d-byte body `%s` against %d-byte records, `X-Bin-Versioning: false`; each request picks one of %d private bins uniformly at random", len(opsBody), opsBody, bigRecordSize, updateBins)},
	} {
		var paths []string
		for range updateBins {
			id, err := createBin(ctx, c, jsonPayload(bigRecordSize, 0), &res.findings)
			if err != nil {
				return nil, err
			}
			paths = append(paths, "/v3/b/"+id)
		}
		resp, err := c.call(ctx, sc.method, paths[0], sc.body, sc.extra)
		if err != nil {
			return nil, err
		}
		checkUpdate(resp, strings.TrimPrefix(paths[0], "/v3/b/"), &res.findings)
		if env, err := decodeEnvelope(resp); err != nil || !strings.Contains(string(env.Record), `"seq":1,`) {
			return nil, fmt.Errorf("%s did not write seq 1 into the record (%v)", sc.name, err)
		}
		out = append(out, scenario{name: sc.name, method: sc.method, paths: paths, headers: requestHeaders(c.key, true, sc.extra),
			body: sc.body, recorded: canned(resp), detail: sc.detail})
	}
	res.checks = append(res.checks, "patch-100k, jsonpatch-100k: a patch of `seq` answered the patched 100 KiB record")
	return out, nil
}

// wantsPatchScenarios reports whether names selects a patch scenario.
func wantsPatchScenarios(names []string) bool { return slices.ContainsFunc(names, isPatchScenario) }
