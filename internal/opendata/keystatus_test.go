package opendata

import (
	"testing"
	"time"
)

func TestKeyStatus(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	for _, c := range []struct {
		key  APIKey
		want KeyStatus
	}{
		{APIKey{}, "active"},
		{APIKey{ExpiresAt: &future}, "active"},
		{APIKey{ExpiresAt: &now}, "expired"}, // expiry is the first instant it no longer works
		{APIKey{ExpiresAt: &past}, "expired"},
		{APIKey{ExpiresAt: &future, RevokedAt: &past}, "revoked"},
		{APIKey{ExpiresAt: &past, RevokedAt: &past}, "revoked"},
	} {
		if got := c.key.Status(now); got != c.want {
			t.Errorf("%+v: %s, want %s", c.key, got, c.want)
		}
	}
}
