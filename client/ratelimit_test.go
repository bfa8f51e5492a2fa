package client

import (
	"context"
	"net/http"
	"testing"
	"time"
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
