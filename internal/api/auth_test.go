package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	good := e.key("CFS")
	past := time.Now().Add(-time.Minute)
	expired := e.key("CFS", func(k *opendata.APIKey) { k.ExpiresAt = &past })
	future := time.Now().Add(time.Hour)
	notYetExpired := e.key("CFS", func(k *opendata.APIKey) { k.ExpiresAt = &future })
	revoked := e.key("CFS")
	if err := e.db.RevokeKey(context.Background(), revoked[:auth.PrefixLen]); err != nil {
		t.Fatal(err)
	}
	unstored, _ := auth.NewKey(e.secret, "CFS", "c", "a@b.ca", nil, time.Now())
	otherServer, _ := auth.NewKey([]byte("another server's secret"), "CFS", "c", "a@b.ca", nil, time.Now())
	tampered := good[:20] + string('a'+(good[20]-'a'+1)%26) + good[21:]

	tests := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"DH-Auth-Key", []string{"DH-Auth-Key", good}, 200, ""},
		{"Bearer", []string{"Authorization", "Bearer " + good}, 200, ""},
		{"bare Authorization", []string{"Authorization", good}, 200, ""},
		{"key not yet expired", []string{"DH-Auth-Key", notYetExpired}, 200, ""},
		{"missing", nil, 401, "missing_token"},
		{"malformed", []string{"DH-Auth-Key", "hello"}, 401, "invalid_token"},
		{"tampered", []string{"DH-Auth-Key", tampered}, 401, "invalid_token"},
		{"minted here, never stored", []string{"DH-Auth-Key", unstored}, 401, "invalid_token"},
		{"minted by another server", []string{"DH-Auth-Key", otherServer}, 401, "invalid_token"},
		{"expired", []string{"DH-Auth-Key", expired}, 401, "expired_token"},
		{"revoked", []string{"DH-Auth-Key", revoked}, 401, "revoked_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do("GET", "/api/opendata/choices", "", tt.headers...)
			wantStatus(t, w, tt.status)
			if tt.status == 401 {
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if got := decode(t, w)["code"]; got != tt.code {
					t.Errorf("code %v, want %s", got, tt.code)
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("content type %q", ct)
				}
			}
		})
	}
	if !strings.Contains(tampered, "dh_") || tampered == good {
		t.Fatal("bad tampered key")
	}
}

func TestAuthenticationComesFirst(t *testing.T) {
	e := newEnv(t)
	huge := strings.Repeat("x", 2<<20)
	w := e.do("POST", "/api/opendata/submit", huge, "DH-Auth-Key", "dh_nope", "Content-Type", "text/plain")
	wantStatus(t, w, 401)
	w = e.do("GET", "/api/opendata/submit", "", "DH-Auth-Key", "")
	wantStatus(t, w, 401)
	w = e.do("GET", "/api/nowhere", "")
	wantStatus(t, w, 401)
}

func TestRevocationTakesEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	wantStatus(t, e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", key), 200)
	// Another handle on the same directory stands for the CLI.
	if err := e.db.RevokeKey(context.Background(), key[:auth.PrefixLen]); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", key), 401)
}

func TestKeyRateLimit(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rate, o.burst = 0.5, 2 })
	key := e.key("CFS")
	for range 2 {
		w := e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", key)
		wantStatus(t, w, 200)
		if w.Header().Get("RateLimit") == "" || w.Header().Get("RateLimit-Policy") != `"key";q=2;w=4` {
			t.Fatalf("rate limit fields: %v", w.Header())
		}
	}
	w := e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", key)
	wantStatus(t, w, http.StatusTooManyRequests)
	if ra := w.Header().Get("Retry-After"); ra != "2" && ra != "1" {
		t.Fatalf("Retry-After %q", ra)
	}
	if !strings.HasPrefix(w.Header().Get("RateLimit"), `"key";r=0;`) {
		t.Fatalf("RateLimit %q", w.Header().Get("RateLimit"))
	}
	// Another key has its own bucket.
	wantStatus(t, e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", e.key("CFS")), 200)
}

func TestFailedAuthenticationsAreLimitedPerAddress(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.authFailures = 3 })
	good := e.key("CFS")
	for i := range 3 {
		w := e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", "dh_bad")
		wantStatus(t, w, 401)
		if got, want := w.Header().Get("RateLimit"), fmt.Sprintf(`"auth";r=%d;`, 2-i); !strings.HasPrefix(got, want) ||
			w.Header().Get("RateLimit-Policy") != `"auth";q=3;w=60` {
			t.Fatalf("401 rate limit fields %q, %q; want %s...", got, w.Header().Get("RateLimit-Policy"), want)
		}
	}
	w := e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", "dh_bad")
	wantStatus(t, w, http.StatusTooManyRequests)
	if w.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	if !strings.HasPrefix(w.Header().Get("RateLimit"), `"auth";r=0;`) || w.Header().Get("RateLimit-Policy") != `"auth";q=3;w=60` {
		t.Fatalf("429 rate limit fields: %v", w.Header())
	}
	// A valid key from the same address still works.
	wantStatus(t, e.do("GET", "/api/opendata/choices", "", "DH-Auth-Key", good), 200)
}
