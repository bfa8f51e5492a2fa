package client

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestExhausted(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		wait   time.Duration
		empty  bool
	}{
		{"room left", []string{"RateLimit", `"key";r=40;t=3`}, 0, false},
		{"none left, one request's refill", []string{"RateLimit", `"key";r=0;t=5`, "RateLimit-Policy", `"key";q=100;w=5`}, 50 * time.Millisecond, true},
		{"none left, no policy: until reset", []string{"RateLimit", `"key";r=0;t=3`}, 3 * time.Second, true},
		{"earlier draft", []string{"RateLimit", `limit=100, remaining=0, reset=3`}, 3 * time.Second, true},
		{"earlier draft with room", []string{"RateLimit", `limit=100, remaining=7, reset=3`}, 3 * time.Second, false},
		{"separate fields", []string{"RateLimit-Remaining", "0", "RateLimit-Reset", "2"}, 2 * time.Second, true},
		{"no fields", nil, 0, false},
		{"unreadable", []string{"RateLimit", `"key";r=x`}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i+1 < len(tt.header); i += 2 {
				h.Add(tt.header[i], tt.header[i+1])
			}
			wait, empty := exhausted(h)
			if empty != tt.empty || (empty && wait != tt.wait) {
				t.Fatalf("exhausted = %v, %v; want %v, %v", wait, empty, tt.wait, tt.empty)
			}
		})
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"7", 7 * time.Second},
		{`"2"`, 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := retryAfter(h, now); got != tt.want {
			t.Errorf("Retry-After %q: %v, want %v", tt.value, got, tt.want)
		}
	}
}

// An answer saying no request is left holds the client's next request, from
// whichever goroutine, until the server has room again.
func TestRateLimitFieldsHoldTheNextRequest(t *testing.T) {
	s := newScripted(t,
		answer(200, `[]`, "RateLimit", `"key";r=0;t=1`),
		answer(200, `[]`))
	c := s.client()
	for range 2 {
		if _, err := c.Choices(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	reqs := s.requests()
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second {
		t.Fatalf("second request after %v, before the server's reset", gap)
	}
}

func TestPolicy(t *testing.T) {
	tests := []struct {
		value string
		per   rate.Limit
		burst int
		ok    bool
	}{
		{`"key";q=100;w=5`, 20, 100, true},
		{`"key";q=3;w=1`, 3, 3, true},
		{`"a";q=100;w=5, "b";q=10;w=10`, 1, 10, true},
		{`"key";q=0;w=5`, 0, 0, false},
		{``, 0, 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("RateLimit-Policy", tt.value)
		}
		per, burst, ok := policy(h)
		if per != tt.per || burst != tt.burst || ok != tt.ok {
			t.Errorf("%q: %v, %d, %v; want %v, %d, %v", tt.value, per, burst, ok, tt.per, tt.burst, tt.ok)
		}
	}
}

// A 429 is sent again more often than a failure, but not for ever.
func TestRateLimitedRetriesAreBounded(t *testing.T) {
	limited := answer(429, `{"status":429,"code":"rate_limited"}`, "Retry-After", "0")
	steps := make([]func(http.ResponseWriter, *http.Request), rateLimitedRetries+1)
	for i := range steps {
		steps[i] = limited
	}
	s := newScripted(t, steps...)
	_, err := s.client(WithRetries(1)).Submit(context.Background(), sample, "k")
	if p, ok := AsProblem(err); !ok || p.Status != 429 || len(s.requests()) != rateLimitedRetries+1 {
		t.Fatalf("got %v after %d requests", err, len(s.requests()))
	}
}
