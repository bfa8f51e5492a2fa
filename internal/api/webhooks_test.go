package api_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/store"
)

func wantSecret(t *testing.T, v any) string {
	t.Helper()
	s, _ := v.(string)
	b64, ok := strings.CutPrefix(s, "whsec_")
	if b, err := base64.StdEncoding.DecodeString(b64); !ok || err != nil || len(b) != 32 {
		t.Fatalf("secret %q is not whsec_ and the base64 of 32 bytes", s)
	}
	return s
}

// A key manages its own endpoint: created with a secret shown once, changed,
// read, its secret rotated, removed; another key sees none of it.
func TestWebhookEndpoint(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rate, o.burst = 100, 100 })
	key, other := e.key("CFS"), e.key("CFS")
	hook := func(method, body string, headers ...string) map[string]any {
		t.Helper()
		w := e.do(method, "/api/opendata/webhook", body, append([]string{"DH-Auth-Key", key}, headers...)...)
		if w.Body.Len() == 0 {
			return map[string]any{"status_code": float64(w.Code)}
		}
		m := decode(t, w)
		m["status_code"] = float64(w.Code)
		return m
	}
	if got := hook("GET", ""); got["status_code"] != 404.0 || got["code"] != "not_found" {
		t.Fatalf("no endpoint yet: %v", got)
	}
	created := hook("PUT", `{"url": "https://example.gc.ca/hooks"}`)
	if created["status_code"] != 201.0 || created["url"] != "https://example.gc.ca/hooks" || created["status"] != "active" {
		t.Fatalf("created: %v", created)
	}
	first := wantSecret(t, created["secret"])
	changed := hook("PUT", `{"url": "https://example.gc.ca/hooks/v2"}`)
	if changed["status_code"] != 200.0 || changed["secret"] != nil || changed["url"] != "https://example.gc.ca/hooks/v2" {
		t.Fatalf("changed: %v", changed)
	}
	if got := hook("GET", ""); got["status_code"] != 200.0 || got["secret"] != nil || got["url"] != "https://example.gc.ca/hooks/v2" {
		t.Fatalf("read: %v", got)
	}
	wantStatus(t, e.do("HEAD", "/api/opendata/webhook", "", "DH-Auth-Key", key), 200)
	rotated := decode(t, e.do("POST", "/api/opendata/webhook/rotate", "", "DH-Auth-Key", key))
	if second := wantSecret(t, rotated["secret"]); second == first || rotated["old_secret_until"] == nil {
		t.Fatalf("rotated: %v", rotated)
	}
	// The other key of the project has no endpoint of its own.
	wantStatus(t, e.do("GET", "/api/opendata/webhook", "", "DH-Auth-Key", other), 404)
	wantStatus(t, e.do("POST", "/api/opendata/webhook/rotate", "", "DH-Auth-Key", other), 404)
	wantStatus(t, e.do("DELETE", "/api/opendata/webhook", "", "DH-Auth-Key", other), 404)

	for _, tt := range []struct {
		name, body, ct, field, code string
		status                      int
	}{
		{"not http", `{"url": "ftp://example.gc.ca/x"}`, "", "url", "invalid_format", 400},
		{"credentials", `{"url": "https://u:p@example.gc.ca/x"}`, "", "url", "invalid_format", 400},
		{"fragment", `{"url": "https://example.gc.ca/x#y"}`, "", "url", "invalid_format", 400},
		{"relative", `{"url": "/hooks"}`, "", "url", "invalid_format", 400},
		{"too long", `{"url": "https://example.gc.ca/` + strings.Repeat("x", 500) + `"}`, "", "url", "invalid_format", 400},
		{"no url", `{}`, "", "url", "invalid_format", 400},
		{"malformed", `{"url":`, "", "", "malformed_json", 400},
		{"not a string", `{"url": 5}`, "", "", "malformed_json", 400},
		{"form", `url=https://example.gc.ca/x`, "application/x-www-form-urlencoded", "", "", 415},
	} {
		t.Run(tt.name, func(t *testing.T) {
			headers := []string{"DH-Auth-Key", key}
			if tt.ct != "" {
				headers = append(headers, "Content-Type", tt.ct)
			}
			w := e.do("PUT", "/api/opendata/webhook", tt.body, headers...)
			wantStatus(t, w, tt.status)
			if tt.status == 400 {
				if p := decode(t, w); p["code"] != "bad_request" || !slices.Equal(problemCodes(t, w), []string{tt.field + ":" + tt.code}) {
					t.Fatalf("problem %s", w.Body)
				}
			}
		})
	}
	if got := hook("GET", ""); got["url"] != "https://example.gc.ca/hooks/v2" {
		t.Fatalf("a refused change changed the endpoint: %v", got)
	}
	wantStatus(t, e.do("DELETE", "/api/opendata/webhook", "", "DH-Auth-Key", key), 204)
	wantStatus(t, e.do("DELETE", "/api/opendata/webhook", "", "DH-Auth-Key", key), 404)
	wantStatus(t, e.do("GET", "/api/opendata/webhook", "", "DH-Auth-Key", key), 404)
	// Set again, it is a new endpoint with a new secret.
	if again := hook("PUT", `{"url": "https://example.gc.ca/hooks"}`); again["status_code"] != 201.0 || wantSecret(t, again["secret"]) == first {
		t.Fatalf("set after removal: %v", again)
	}
}

// Each event of a key with an endpoint is a delivery the key can list and retry.
func TestWebhookDeliveries(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rate, o.burst = 100, 100 })
	key, other := e.key("CFS"), e.key("CFS")
	list := func(k, query string, status int) []any {
		t.Helper()
		w := e.do("GET", "/api/opendata/webhook/deliveries"+query, "", "DH-Auth-Key", k)
		wantStatus(t, w, status)
		if status != 200 {
			return nil
		}
		return decode(t, w)["deliveries"].([]any)
	}
	if got := list(key, "", 200); len(got) != 0 {
		t.Fatalf("deliveries before an endpoint: %v", got)
	}
	wantStatus(t, e.do("PUT", "/api/opendata/webhook", `{"url": "https://example.gc.ca/hooks"}`, "DH-Auth-Key", key), 201)
	wantStatus(t, e.submit(key, validBody(nil)), 200)
	wantStatus(t, e.submit(other, validBody(map[string]any{"file_id": "other"})), 200) // no endpoint: no delivery
	got := list(key, "?limit=10", 200)
	if len(got) != 1 {
		t.Fatalf("deliveries %v", got)
	}
	d := got[0].(map[string]any)
	feed, _ := e.feed(key, "")
	if d["event_id"] != feed.Events[0].ID || d["event_type"] != "submission.received" || d["outcome"] != "pending" || d["attempts"] != 0.0 {
		t.Fatalf("delivery %v, feed %+v", d, feed.Events)
	}
	id := d["id"].(string)
	wantStatus(t, e.do("POST", "/api/opendata/webhook/deliveries/"+id+"/retry", "", "DH-Auth-Key", other), 404)
	wantStatus(t, e.do("POST", "/api/opendata/webhook/deliveries/999999/retry", "", "DH-Auth-Key", key), 404)
	wantStatus(t, e.do("POST", "/api/opendata/webhook/deliveries/abc/retry", "", "DH-Auth-Key", key), 404)
	wantStatus(t, e.do("POST", "/api/opendata/webhook/deliveries/"+id+"/retry", "", "DH-Auth-Key", key), 202)
	if again := list(key, "", 200); len(again) != 2 || again[0].(map[string]any)["event_id"] != d["event_id"] || again[0].(map[string]any)["id"] == id {
		t.Fatalf("after a retry: %v", again)
	}
	if got := list(key, "?limit=1", 200); len(got) != 1 {
		t.Fatalf("limit 1: %v", got)
	}
	wantStatus(t, e.do("HEAD", "/api/opendata/webhook/deliveries", "", "DH-Auth-Key", key), 200)
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x"} {
		list(key, q, 400)
	}
}

// Validate answers exactly what submit answers, byte for byte, and stores nothing.
func TestValidateAnswersAsSubmit(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rate, o.burst = 1000, 1000 })
	key := e.key("CFS")
	bad := []struct {
		name, body string
		headers    []string
	}{
		{"required", validBody(map[string]any{"title_translated_fr": nil, "subject": nil}), nil},
		{"too long", validBody(map[string]any{"file_name": strings.Repeat("x", 201)}), nil},
		{"too short keyword", validBody(map[string]any{"keywords_en": "a, trees"}), nil},
		{"too many keywords", validBody(map[string]any{"keywords_en": strings.Repeat("kw, ", 101)}), nil},
		{"formats", validBody(map[string]any{"file_url": "ftp://x", "email_contact": "nobody", "digital_object_identifier": "doi"}), nil},
		{"choices", validBody(map[string]any{"subject": "Nature", "collection": "x", "audience": "scientists, scientists"}), nil},
		{"dates", validBody(map[string]any{"date_published": "2999-01-01", "time_period_coverage_start": "2024-02-30"}), nil},
		{"date order", validBody(map[string]any{"time_period_coverage_start": "2024-01-01", "time_period_coverage_end": "2023-01-01"}), nil},
		{"unknown field", validBody(map[string]any{"nom_fichier": "x", "sujet": "y"}), nil},
		{"not a string", validBody(map[string]any{"frequency": 5}), nil},
		{"in French", validBody(map[string]any{"subject": "Nature", "title_translated_en": nil}), []string{"Accept-Language", "fr-CA"}},
		{"malformed", "{", nil},
		{"not an object", "[1]", nil},
		{"media type", validBody(nil), []string{"Content-Type", "text/plain"}},
		{"too large", validBody(map[string]any{"notes_translated_en": strings.Repeat("n", 1<<20)}), nil},
	}
	compare := func(name, body string, headers []string) {
		t.Helper()
		h := append([]string{"DH-Auth-Key", key, "X-Request-Id", "same-request"}, headers...)
		sub := e.do("POST", "/api/opendata/submit", body, h...)
		val := e.do("POST", "/api/opendata/validate", body, h...)
		if sub.Code != val.Code || sub.Body.String() != val.Body.String() || sub.Header().Get("Content-Type") != val.Header().Get("Content-Type") {
			t.Errorf("%s: submit %d %s\nvalidate %d %s", name, sub.Code, sub.Body, val.Code, val.Body)
		}
		if sub.Code == 200 {
			t.Errorf("%s: submit accepted it", name)
		}
	}
	for _, b := range bad {
		compare(b.name, b.body, b.headers)
	}
	// A valid body: valid, and nothing stored, queued or told.
	body := validBody(map[string]any{"file_id": "validated"})
	w := e.do("POST", "/api/opendata/validate", body, "DH-Auth-Key", key)
	wantStatus(t, w, 200)
	if w.Body.String() != `{"valid":true}` {
		t.Fatalf("valid body answered %s", w.Body)
	}
	if p, _ := e.db.ListSubmissions(context.Background(), store.Filter{Project: "CFS", Limit: 10}); len(p.Submissions) != 0 {
		t.Fatal("validate stored a submission")
	}
	if feed, _ := e.feed(key, ""); len(feed.Events) != 0 {
		t.Fatalf("validate wrote events: %+v", feed.Events)
	}
	// Once submitted, the same body is a duplicate for both, naming the submission.
	wantStatus(t, e.submit(key, body), 200)
	compare("duplicate", body, nil)
	compare("duplicate with other problems", validBody(map[string]any{"file_id": "validated", "subject": "x"}), nil)
}
