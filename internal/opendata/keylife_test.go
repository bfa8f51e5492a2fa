package opendata_test

import (
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

func TestKeyExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	year := opendata.DefaultKeyMaxLifetime
	tests := []struct {
		requested string
		max       time.Duration
		want      time.Duration // from now; 0 for never
		ok        bool
	}{
		{"", year, year, true},   // no lifetime: the longest allowed, not forever
		{"  ", year, year, true}, // blank is no lifetime
		{"never", year, 0, true}, // forever only when asked for
		{"90d", year, 90 * 24 * time.Hour, true},
		{"12h", year, 12 * time.Hour, true},
		{"365d", year, year, true}, // the longest is allowed
		{"366d", year, 0, false},   // beyond it is not
		{"8761h", year, 0, false},
		{"30d", 7 * 24 * time.Hour, 0, false}, // a shorter configured maximum
		{"", 7 * 24 * time.Hour, 7 * 24 * time.Hour, true},
		{"0d", year, 0, false},
		{"-1h", year, 0, false},
		{"soon", year, 0, false},
		{"Never", year, 0, false},
	}
	for _, tt := range tests {
		got, err := opendata.KeyExpiry(tt.requested, tt.max, now)
		if !tt.ok {
			if opendata.ErrorCode(err) != opendata.EINVALID {
				t.Errorf("%q (max %s): %v, %v; want EINVALID", tt.requested, tt.max, got, err)
			}
			continue
		}
		switch {
		case err != nil:
			t.Errorf("%q (max %s): %v", tt.requested, tt.max, err)
		case tt.want == 0 && got != nil:
			t.Errorf("%q: expires %v, want never", tt.requested, got)
		case tt.want != 0 && (got == nil || !got.Equal(now.Add(tt.want))):
			t.Errorf("%q: expires %v, want %v", tt.requested, got, now.Add(tt.want))
		}
	}
}

func TestFormatLifetime(t *testing.T) {
	for d, want := range map[time.Duration]string{opendata.DefaultKeyMaxLifetime: "365d", 36 * time.Hour: "36h0m0s"} {
		if got := opendata.FormatLifetime(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
		if back, err := opendata.ParseLifetime(opendata.FormatLifetime(d)); err != nil || back != d {
			t.Errorf("%s: read back as %s, %v", d, back, err)
		}
	}
}
