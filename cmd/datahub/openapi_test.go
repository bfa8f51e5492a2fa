package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/opendata-datahub/datahub/internal/auth"
)

// testApp runs the whole service in-process on a fresh data directory, with
// the serve flags args.
func testApp(t *testing.T, args ...string) (*app, string) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c := serveFlags(fs)
	if err := fs.Parse(append([]string{"--data", t.TempDir(), "--rate-limit", "0"}, args...)); err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	secret, err := a.db.Secret(context.Background(), auth.SecretName)
	if err != nil {
		t.Fatal(err)
	}
	key, rec := auth.NewKey(secret, "CFS", "openapi test", "a@example.gc.ca", nil, time.Now())
	if err := a.db.CreateKey(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return a, key
}

func loadOpenAPI(t *testing.T, a *app) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(a.api.OpenAPIJSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	return doc
}

// The document describes the API's routes and nothing else; HEAD is answered,
// and documented, wherever GET is.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	a, _ := testApp(t)
	doc := loadOpenAPI(t, a)
	served := map[string]bool{}
	for _, p := range a.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			continue // method-less fallbacks answer 404 and 405
		}
		methods := []string{method}
		if method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		for _, m := range methods {
			served[m+" "+path] = true
			item := doc.Paths.Value(path)
			if item == nil || item.GetOperation(m) == nil {
				t.Errorf("route %s %s is not in the OpenAPI document", m, path)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("the OpenAPI document has %s %s, which the server does not serve", method, path)
			}
		}
	}
}

func TestResponsesMatchOpenAPI(t *testing.T) {
	a, key := testApp(t)
	ts := httptest.NewServer(a.handler)
	defer ts.Close()
	doc := loadOpenAPI(t, a)
	doc.Servers = openapi3.Servers{{URL: ts.URL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	first := submission("openapi-1")
	var id string
	cases := []struct {
		name, method, path, key, body string
		headers                       []string
		status                        int
	}{
		{"submit", "POST", "/api/opendata/submit", key, first, nil, 200},
		{"duplicate", "POST", "/api/opendata/submit", key, first, nil, 400},
		{"invalid", "POST", "/api/opendata/submit", key, `{"subject":"x","sujet":"y"}`, nil, 400},
		{"malformed", "POST", "/api/opendata/submit", key, `[1]`, nil, 400},
		{"no key", "POST", "/api/opendata/submit", "", first, nil, 401},
		{"media type", "POST", "/api/opendata/submit", key, first, []string{"Content-Type", "text/plain"}, 415},
		{"too large", "POST", "/api/opendata/submit", key, `{"notes_translated_en":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413},
		{"choices", "GET", "/api/opendata/choices", key, "", nil, 200},
		{"list", "GET", "/api/opendata/submissions?limit=1", key, "", nil, 200},
		{"bad list", "GET", "/api/opendata/submissions?limit=1000", key, "", nil, 400},
		{"get", "GET", "/api/opendata/submissions/{id}", key, "", nil, 200},
		{"get missing", "GET", "/api/opendata/submissions/nope", key, "", nil, 404},
		{"check", "POST", "/api/opendata/submissions/{id}/check", key, "", nil, 202},
		{"check missing", "POST", "/api/opendata/submissions/nope/check", key, "", nil, 404},
		{"openapi", "GET", "/api/openapi.json", "", "", nil, 200},
		{"healthz", "GET", "/healthz", "", "", nil, 200},
		{"readyz", "GET", "/readyz", "", "", nil, 200},
		{"metrics", "GET", "/metrics", "", "", nil, 200},
		{"head choices", "HEAD", "/api/opendata/choices", key, "", nil, 200},
		{"head metrics", "HEAD", "/metrics", "", "", nil, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.ReplaceAll(tc.path, "{id}", id)
			req, _ := http.NewRequest(tc.method, ts.URL+path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.key != "" {
				req.Header.Set("DH-Auth-Key", tc.key)
			}
			for i := 0; i+1 < len(tc.headers); i += 2 {
				req.Header.Set(tc.headers[i], tc.headers[i+1])
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.name == "submit" {
				id = string(bytes.SplitN(bytes.SplitN(body, []byte(`"datahub_id":"`), 2)[1], []byte(`"`), 2)[0])
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no route in the document: %v", err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
				Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
				Options: &openapi3filter.Options{IncludeResponseStatus: true}}
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Fatalf("response does not match the document: %v\n%.300s", err, body)
			}
		})
	}
}
