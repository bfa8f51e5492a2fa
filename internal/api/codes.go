package api

import "github.com/opendata-datahub/datahub/internal/auth"

// ProblemCodes lists the code of every problem the API can answer with; the
// OpenAPI document's enum is built from it, and a test holds it to the catalogue.
func ProblemCodes() []string {
	return []string{
		string(auth.MissingToken), string(auth.InvalidToken), string(auth.ExpiredToken), string(auth.RevokedToken),
		"invalid", "bad_query", "bad_body", "rate_limited", "too_large", "media_type", "not_found", "method",
		"idem_mismatch", "idem_running", "idem_bad", "internal", "unavailable", "bad_request", "storage_full", "body_timeout",
	}
}
