package main

import (
	"net/http/httptest"
	"testing"
)

// With --metrics-token, /metrics answers only a request bearing it.
func TestMetricsToken(t *testing.T) {
	for _, tt := range []struct {
		name, token, auth string
		status            int
	}{
		{"no token set", "", "", 200},
		{"token set, none sent", "s3cret-token", "", 401},
		{"token set, another sent", "s3cret-token", "Bearer s3cret-tokeN", 401},
		{"token set, sent bare", "s3cret-token", "s3cret-token", 401},
		{"token set and sent", "s3cret-token", "Bearer s3cret-token", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.token != "" {
				args = []string{"--metrics-token", tt.token}
			}
			a, _ := testApp(t, args...)
			req := httptest.NewRequest("GET", "/metrics", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			a.handler.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
		})
	}
}

// Over an https public URL every answer, page or API, asks browsers to use HTTPS only.
func TestStrictTransportByPublicURL(t *testing.T) {
	for _, tt := range []struct {
		publicURL string
		want      bool
	}{{"https://datahub.example.gc.ca", true}, {"http://127.0.0.1:8080", false}} {
		a, _ := testApp(t, "--public-url", tt.publicURL)
		for _, path := range []string{"/healthz", "/signin", "/api/opendata/choices"} {
			w := httptest.NewRecorder()
			a.handler.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			got := w.Header().Get("Strict-Transport-Security")
			if (got != "") != tt.want || (tt.want && got != "max-age=31536000") {
				t.Errorf("%s %s: Strict-Transport-Security %q", tt.publicURL, path, got)
			}
		}
	}
}
