package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/api"
	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
	sealing "github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
	"github.com/opendata-datahub/datahub/internal/webhook"
)

// env is a whole API on a real SQLite store in a temporary directory. Every
// exchange through do, submit and serve is checked against the OpenAPI document.
type env struct {
	t       testing.TB
	db      *store.DB
	secret  []byte
	srv     *api.Server
	h       http.Handler
	openapi *trafficCheck
}

type envOptions struct {
	rate, burst  float64
	authFailures int
	store        *store.Config // default a fresh SQLite database
}

func newEnv(t testing.TB, opts ...func(*envOptions)) *env {
	t.Helper()
	o := envOptions{authFailures: 1000}
	for _, f := range opts {
		f(&o)
	}
	ctx := context.Background()
	cfg := storetest.FreshSQLite(t)
	if o.store != nil {
		cfg = *o.store
	}
	db := storetest.Open(t, cfg)
	secret, err := db.Secret(ctx, auth.SecretName)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeyring(ctx, db, secret, o.rate, int(o.burst))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	loc, _ := time.LoadLocation("America/Toronto")
	sealKey, err := sealing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := sealing.NewKeyring(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{PublicURL: "https://datahub.example/", Location: loc, Logger: logger,
		AuthFailuresPerMinute: o.authFailures, Webhooks: webhook.Endpoints{Store: db, Keys: sealer}},
		db, keys, opendata.MustLoadVocabulary(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	return &env{t: t, db: db, secret: secret, srv: srv, h: api.Observe(mux, logger, srv.Metrics()),
		openapi: newTrafficCheck(t, srv.OpenAPIJSON())}
}

// key creates an API key for project and returns it.
func (e *env) key(project string, edit ...func(*opendata.APIKey)) string {
	e.t.Helper()
	key, rec := auth.NewKey(e.secret, project, "test client", "client@example.gc.ca", nil, time.Now())
	for _, f := range edit {
		f(rec)
	}
	if err := e.db.CreateKey(context.Background(), rec); err != nil {
		e.t.Fatal(err)
	}
	return key
}

// do sends a request; headers are name, value pairs.
func (e *env) do(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.10:1234" // a documentation address; no traffic leaves the recorder
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			r.Header.Del(headers[i])
			continue
		}
		r.Header.Set(headers[i], headers[i+1])
	}
	return e.serve(r)
}

// serve answers r and fails the test when the exchange disagrees with the OpenAPI document.
func (e *env) serve(r *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	for _, p := range e.openapi.problems(exchange{r: r, body: body, w: w}) {
		e.t.Errorf("%s %s (%d) disagrees with the OpenAPI document: %s", r.Method, r.URL, w.Code, p)
	}
	return w
}

func (e *env) submit(key, body string, headers ...string) *httptest.ResponseRecorder {
	return e.do("POST", "/api/opendata/submit", body, append([]string{"DH-Auth-Key", key}, headers...)...)
}

// validBody returns a valid submission with fields replaced (a nil value removes a field).
func validBody(replace map[string]any) string {
	m := map[string]any{
		"file_url": "https://example.gc.ca/data.csv", "file_id": "file-1", "file_name": "data.csv",
		"email_contact": "contact@example.gc.ca", "collection": "primary",
		"title_translated_en": "Forest inventory", "title_translated_fr": "Inventaire forestier",
		"notes_translated_en": "Plots.", "notes_translated_fr": "Placettes.",
		"keywords_en": "forests, trees", "keywords_fr": []string{"forêts", "arbres"},
		"subject": "nature_and_environment", "frequency": "P1Y", "date_published": "2024-03-15",
		"jurisdiction": "federal",
	}
	for k, v := range replace {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// decode reads a JSON response into a map, failing on anything else.
func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, w.Body)
	}
	return m
}

// problemCodes lists "field:code" for each error of a problem response.
func problemCodes(t *testing.T, w *httptest.ResponseRecorder) []string {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem: %s", w.Body)
	}
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Field + ":" + e.Code
	}
	return out
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
}
