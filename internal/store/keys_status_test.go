package store_test

import (
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

func TestKeyStatus(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	for _, c := range []struct {
		key  opendata.APIKey
		want string
	}{
		{opendata.APIKey{}, "active"},
		{opendata.APIKey{ExpiresAt: &future}, "active"},
		{opendata.APIKey{ExpiresAt: &now}, "expired"}, // expiry is the first instant it no longer works
		{opendata.APIKey{ExpiresAt: &past}, "expired"},
		{opendata.APIKey{ExpiresAt: &future, RevokedAt: &past}, "revoked"},
		{opendata.APIKey{ExpiresAt: &past, RevokedAt: &past}, "revoked"},
	} {
		if got := c.key.Status(now); got != c.want {
			t.Errorf("%+v: %s, want %s", c.key, got, c.want)
		}
	}
}
