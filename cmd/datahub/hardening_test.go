package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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

// A key made without --expires lives --key-max-lifetime; only --expires never
// makes one that does not expire.
func TestKeysCreateLifetime(t *testing.T) {
	data := t.TempDir()
	for _, tt := range []struct {
		env  []string
		args []string
		want string // in "expires: ..."
	}{
		{nil, nil, time.Now().AddDate(1, 0, 0).UTC().Format("2006-01-02")},
		{[]string{"DATAHUB_KEY_MAX_LIFETIME=30d"}, nil, time.Now().AddDate(0, 0, 30).UTC().Format("2006-01-02")},
		{nil, []string{"--expires", "never"}, "never"},
	} {
		r := datahub(t, tt.env, append([]string{"keys", "create", "--data", data, "--project", "CFS",
			"--client", "c", "--contact", "a@example.gc.ca"}, tt.args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "expires: "+tt.want) {
			t.Errorf("%v %v: exit %d, %q; want expires: %s", tt.env, tt.args, r.code, r.stdout, tt.want)
		}
	}
}
