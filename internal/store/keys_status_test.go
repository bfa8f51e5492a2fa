package store_test

import (
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/store"
)

func TestKeyStatus(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	for _, c := range []struct {
		key  store.APIKey
		want string
	}{
		{store.APIKey{}, "active"},
		{store.APIKey{ExpiresAt: &future}, "active"},
		{store.APIKey{ExpiresAt: &now}, "expired"}, // expiry is the first instant it no longer works
		{store.APIKey{ExpiresAt: &past}, "expired"},
		{store.APIKey{ExpiresAt: &future, RevokedAt: &past}, "revoked"},
		{store.APIKey{ExpiresAt: &past, RevokedAt: &past}, "revoked"},
	} {
		if got := c.key.Status(now); got != c.want {
			t.Errorf("%+v: %s, want %s", c.key, got, c.want)
		}
	}
}
