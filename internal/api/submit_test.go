package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opendata-datahub/datahub/internal/store"
)

func TestSubmitStoresAndAnswers(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	w := e.submit(key, validBody(nil))
	wantStatus(t, w, 200)
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	m := decode(t, w)
	id, _ := m["datahub_id"].(string)
	if len(id) != 36 || m["flow_url"] != "https://datahub.example/flow/"+id || len(m) != 2 {
		t.Fatalf("response %v", m)
	}
	sub, err := e.db.Submission(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if sub.State != "in_preparation" || sub.Project != "CFS" || !slices.Equal(sub.Fields.KeywordsEN, []string{"forests", "trees"}) {
		t.Fatalf("stored %+v", sub)
	}
	if len(sub.History) != 1 || sub.History[0].Actor != "api:"+key[:11] {
		t.Fatalf("history %+v", sub.History)
	}
}

func TestSubmitBodyRules(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	tests := []struct {
		name    string
		body    string
		headers []string
		status  int
	}{
		{"json with charset", validBody(map[string]any{"file_id": "a"}), []string{"Content-Type", "application/json; charset=utf-8"}, 200},
		{"no content type", validBody(map[string]any{"file_id": "b"}), []string{"Content-Type", ""}, 200},
		{"text/plain", validBody(map[string]any{"file_id": "c"}), []string{"Content-Type", "text/plain"}, 415},
		{"form", "a=b", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"over 1 MiB", validBody(map[string]any{"file_id": "d", "notes_translated_en": strings.Repeat("n", 1<<20)}), nil, 413},
		{"malformed", "{", nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.submit(key, tt.body, tt.headers...)
			wantStatus(t, w, tt.status)
			if tt.status != 200 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
				t.Fatalf("content type %q", w.Header().Get("Content-Type"))
			}
		})
	}
	// A chunked body without Content-Length is cut at the limit too.
	r := httptest.NewRequest("POST", "/api/opendata/submit", strings.NewReader(strings.Repeat(" ", 1<<20+10)))
	r.ContentLength = -1
	r.Header.Set("DH-Auth-Key", key)
	wantStatus(t, e.serve(r), 413)
}

func TestSubmitReportsEveryProblemInTheReadersLanguage(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	body := validBody(map[string]any{"file_url": "ftp://example.gc.ca/x", "subject": "Nature", "title_translated_fr": nil,
		"date_published": "2999-01-01", "nom_fichier": "x", "frequency": 5})
	en := e.submit(key, body)
	wantStatus(t, en, 400)
	want := []string{"file_url:invalid_format", "title_translated_fr:required", "subject:invalid_choice",
		"frequency:invalid_format", "date_published:future_date", "nom_fichier:unknown_field"}
	if got := problemCodes(t, en); !slices.Equal(got, want) {
		t.Fatalf("errors %v, want %v", got, want)
	}
	fr := e.submit(key, body, "Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")
	if got := problemCodes(t, fr); !slices.Equal(got, want) {
		t.Fatalf("French errors %v, want the same codes %v", got, want)
	}
	if !strings.Contains(fr.Body.String(), "obligatoire") || strings.Contains(fr.Body.String(), "is required") {
		t.Fatalf("not French: %s", fr.Body)
	}
	if !strings.Contains(en.Body.String(), `"suggestion":"nature_and_environment"`) {
		t.Fatalf("no suggestion: %s", en.Body)
	}
	// Nothing was stored.
	if p, _ := e.db.ListSubmissions(context.Background(), store.Filter{Project: "CFS", Limit: 10}); len(p.Submissions) != 0 {
		t.Fatal("an invalid submission was stored")
	}
}

func TestDuplicateFileIDNamesTheExistingSubmission(t *testing.T) {
	e := newEnv(t)
	cfs, nrc := e.key("CFS"), e.key("NRC")
	first := decode(t, e.submit(cfs, validBody(nil)))
	w := e.submit(e.key("CFS"), validBody(map[string]any{"title_translated_en": "Another"}))
	wantStatus(t, w, 400)
	m := decode(t, w)
	errs := m["errors"].([]any)
	dup := errs[0].(map[string]any)
	if dup["field"] != "file_id" || dup["code"] != "duplicate" || dup["datahub_id"] != first["datahub_id"] || dup["flow_url"] != first["flow_url"] {
		t.Fatalf("duplicate error %v", dup)
	}
	// Another project learns nothing and may use the same file_id.
	wantStatus(t, e.submit(nrc, validBody(nil)), 200)
	// An invalid body with a taken file_id reports the duplicate as well.
	w = e.submit(cfs, validBody(map[string]any{"collection": "nope"}))
	if got := problemCodes(t, w); !slices.Equal(got, []string{"file_id:duplicate", "collection:invalid_choice"}) {
		t.Fatalf("errors %v", got)
	}
}

func TestConcurrentDuplicateSubmissionsGiveOne200(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	var wg sync.WaitGroup
	codes := make([]int, 32)
	for i := range codes {
		wg.Go(func() { codes[i] = e.submit(key, validBody(nil)).Code })
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 400:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d submissions accepted, want 1", ok)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	body := validBody(nil)
	first := e.submit(key, body, "Idempotency-Key", "retry-1")
	wantStatus(t, first, 200)
	again := e.submit(key, body, "Idempotency-Key", `"retry-1"`)
	wantStatus(t, again, 200)
	if again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay %s, first %s", again.Body, first.Body)
	}
	wantStatus(t, e.submit(key, validBody(map[string]any{"file_id": "x"}), "Idempotency-Key", "retry-1"), 422)
	// Another API key's Idempotency-Key space is its own.
	other := e.submit(e.key("CFS"), body, "Idempotency-Key", "retry-1")
	if got := problemCodes(t, other); !slices.Equal(got, []string{"file_id:duplicate"}) {
		t.Fatalf("other key: %v", got)
	}
	// A rejection is replayed unchanged, even after the problem went away.
	bad := validBody(map[string]any{"file_id": "y", "subject": "nope"})
	r1 := e.submit(key, bad, "Idempotency-Key", "retry-2")
	wantStatus(t, r1, 400)
	r2 := e.submit(key, bad, "Idempotency-Key", "retry-2", "Accept-Language", "fr")
	if r2.Code != 400 || r2.Body.String() != r1.Body.String() {
		t.Fatalf("rejection not replayed: %s", r2.Body)
	}
	wantStatus(t, e.submit(key, body, "Idempotency-Key", strings.Repeat("k", 256)), 400)
}

func TestIdempotencyKeyWhileRunning(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	body := validBody(nil)
	var wg sync.WaitGroup
	res := make([]*httptest.ResponseRecorder, 16)
	for i := range res {
		wg.Go(func() { res[i] = e.submit(key, body, "Idempotency-Key", "same") })
	}
	wg.Wait()
	var created string
	for _, w := range res {
		switch w.Code {
		case 200:
			if created != "" && w.Body.String() != created {
				t.Fatalf("two different 200s: %s and %s", created, w.Body)
			}
			created = w.Body.String()
		case 409:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	if created == "" {
		t.Fatal("no request succeeded")
	}
}

func TestChoices(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	w := e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", key)
	wantStatus(t, w, 200)
	etag := w.Header().Get("ETag")
	if etag == "" || w.Header().Get("Cache-Control") == "" {
		t.Fatalf("headers %v", w.Header())
	}
	body := w.Body.String()
	for _, field := range []string{"collection", "subject", "frequency", "jurisdiction", "audience"} {
		if !strings.Contains(body, fmt.Sprintf(`{"field":"%s","choices":[`, field)) {
			t.Fatalf("no %s list", field)
		}
	}
	if !strings.HasPrefix(body, `[{"field":"collection","choices":[{"value":"primary","en":"Non-Spatial","fr":"Non spatiales"}`) {
		t.Fatalf("body starts %.100s", body)
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		w := e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", key, "If-None-Match", inm)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Fatalf("If-None-Match %s: %d", inm, w.Code)
		}
	}
	wantStatus(t, e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", key, "If-None-Match", `"stale"`), 200)
}

func TestRoutingAnswersInProblemJSON(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	w := e.do("GET", "/api/opendata/submit", "", "DH-Auth-Key", key)
	wantStatus(t, w, 405)
	if w.Header().Get("Allow") != "POST" || decode(t, w)["code"] != "method" {
		t.Fatalf("405: %v %s", w.Header(), w.Body)
	}
	w = e.do("GET", "/api/opendata/nothing", "", "DH-Auth-Key", key)
	wantStatus(t, w, 404)
	if decode(t, w)["code"] != "not_found" {
		t.Fatal(w.Body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.do("GET", "/healthz", ""), 200)
	wantStatus(t, e.do("GET", "/readyz", ""), 200)
	e.srv.Drain()
	wantStatus(t, e.do("GET", "/readyz", ""), 503)
	wantStatus(t, e.do("GET", "/healthz", ""), 200)
}
