package ckan

import (
	"slices"
	"testing"
)

// TestParseAnswer covers every answer shape of CKAN.md.
func TestParseAnswer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		ok        bool
		typ       string
		retryable bool
		message   string
		fields    []FieldError
	}{
		{"success", 200, `{"help": "h", "success": true, "result": {"id": "x"}}`, true, "", false, "", nil},
		{"success null result", 200, `{"help": "h", "success": true, "result": null}`, true, "", false, "", nil},
		{"validation", 409, `{"help": "h", "success": false, "error": {"__type": "Validation Error",
			"title_translated": ["Required language \"fr\" missing"], "notes_translated-en": ["Missing value"],
			"keywords": ["Tag \"x\" length is less than minimum 2"], "owner_org": ["Organization does not exist"],
			"date_published": ["Date format incorrect. Expecting YYYY-MM-DD"],
			"resources": [{}, {"format": ["Value must be one of [...]"], "url": ["Missing value"], "name_translated": ["Required language \"en\" missing"]}]}}`,
			false, TypeValidation, false, "", []FieldError{
				{"date_published", "Date format incorrect. Expecting YYYY-MM-DD"},
				{"keywords_en", `Tag "x" length is less than minimum 2`},
				{"keywords_fr", `Tag "x" length is less than minimum 2`},
				{"notes_translated_en", "Missing value"},
				{"owner_org", "Organization does not exist"},
				{"file", "resource 2: Value must be one of [...]"},
				{"file_name", `resource 2: Required language "en" missing`},
				{"file_url", "resource 2: Missing value"},
				{"title_translated_fr", `Required language "fr" missing`},
			}},
		{"one resource", 409, `{"success": false, "error": {"__type": "Validation Error", "resources": [{"size": ["Invalid integer"]}]}}`,
			false, TypeValidation, false, "", []FieldError{{"file", "Invalid integer"}}},
		{"authorization", 403, `{"help": "h", "success": false, "error": {"__type": "Authorization Error", "message": "Access denied: not authorized"}}`,
			false, TypeAuthorization, false, "Access denied: not authorized", nil},
		{"not found", 404, `{"help": "h", "success": false, "error": {"__type": "Not Found Error", "message": "Not found"}}`,
			false, TypeNotFound, false, "Not found", nil},
		{"integrity", 400, `{"help": "h", "success": false, "error": {"__type": "Integrity Error", "message": "duplicate key"}}`,
			false, TypeIntegrity, false, "duplicate key", nil},
		{"bare string 400", 400, `"Bad request - Action name not known: nope"`, false, TypeBadRequest, false,
			"Bad request - Action name not known: nope", nil},
		{"server error", 500, `{"success": false, "error": {"__type": "Internal Server Error", "message": "Internal Server Error"}}`,
			false, TypeInternal, true, "Internal Server Error", nil},
		{"proxy page 502", 502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
			false, TypeUnreadable, true, "HTTP 502: 502 Bad Gateway", nil},
		{"proxy page 504 no title", 504, "<html>gateway timeout</html>", false, TypeUnreadable, true, "", nil},
		{"cut success", 200, `{"help": "h", "success": true, "result": {"id": "`, false, TypeUnreadable, true, "", nil},
		{"empty 200", 200, ``, false, TypeUnreadable, true, "HTTP 200 with an empty body", nil},
		{"200 without success", 200, `{"result": {}}`, false, TypeUnreadable, true, "", nil},
		{"bare string 200", 200, `"odd"`, false, TypeBadRequest, true, "odd", nil},
		{"redirect", 302, ``, false, TypeRedirect, false, "", nil},
		{"rate limited", 429, `<html>slow down</html>`, false, TypeUnreadable, true, "", nil},
		{"error as string", 409, `{"success": false, "error": "weird"}`, false, TypeUnreadable, false, "weird", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, e := parseAnswer("package_create", tc.status, []byte(tc.body))
			if tc.ok {
				if e != nil || res == nil {
					t.Fatalf("got error %v, want success", e)
				}
				return
			}
			if e == nil {
				t.Fatalf("got success %s, want an error", res)
			}
			if e.Type != tc.typ || e.Retryable() != tc.retryable || e.Status != tc.status {
				t.Errorf("type %q retryable %v status %d, want %q %v %d", e.Type, e.Retryable(), e.Status, tc.typ, tc.retryable, tc.status)
			}
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message %q, want %q", e.Message, tc.message)
			}
			if !slices.Equal(e.Fields, tc.fields) {
				t.Errorf("fields %v\nwant   %v", e.Fields, tc.fields)
			}
		})
	}
}

func TestOurFields(t *testing.T) {
	for _, tc := range []struct {
		key, msg string
		want     []string
	}{
		{"title_translated", `Required language "en" missing`, []string{"title_translated_en"}},
		{"title_translated", "expecting JSON object", []string{"title_translated_en", "title_translated_fr"}},
		{"title_translated-fr", "Missing value", []string{"title_translated_fr"}},
		{"notes_translated", `invalid type for "fr" value`, []string{"notes_translated_fr"}},
		{"keywords-en", "Missing value", []string{"keywords_en"}},
		{"keywords", "fr: oops", []string{"keywords_fr"}},
		{"keywords", `Tag "en" length is less than minimum 2`, []string{"keywords_en", "keywords_fr"}},
		{"keywords", `invalid type for "en" value item 0`, []string{"keywords_en"}},
		{"maintainer_email", "x", []string{"email_contact"}},
		{"collection", "x", []string{"collection"}},
		{"time_period_coverage_start", "x", []string{"time_period_coverage_start"}},
		{"digital_object_identifier", "x", []string{"digital_object_identifier"}},
		{"owner_org", "x", []string{"owner_org"}},
		{"license_id", "x", []string{"license_id"}},
	} {
		if got := ourFields(tc.key, tc.msg); !slices.Equal(got, tc.want) {
			t.Errorf("ourFields(%q, %q) = %v, want %v", tc.key, tc.msg, got, tc.want)
		}
	}
}

func TestRegistryURL(t *testing.T) {
	for _, tc := range []struct{ base, id, want string }{
		{"https://registry.example", "abc", "https://registry.example/dataset/abc"},
		{"https://registry.example/", "abc", "https://registry.example/dataset/abc"},
		{"https://registry.example/{id}/view", "abc", "https://registry.example/abc/view"},
		{"https://registry.example/en/dataset/{id}", "a b", "https://registry.example/en/dataset/a%20b"},
	} {
		if got := RegistryURL(tc.base, tc.id); got != tc.want {
			t.Errorf("RegistryURL(%q, %q) = %q, want %q", tc.base, tc.id, got, tc.want)
		}
	}
}
