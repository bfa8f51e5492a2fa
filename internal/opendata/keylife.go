package opendata

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// KeyNever asks for an API key that does not expire. Such a key is made only
// when an admin asks for it in so many words: no lifetime means the longest.
const KeyNever = "never"

// DefaultKeyMaxLifetime is the longest an API key lives unless the service is
// configured otherwise: a year.
const DefaultKeyMaxLifetime = 365 * 24 * time.Hour

// ParseLifetime reads a lifetime as a Go duration ("12h") or whole days ("90d").
func ParseLifetime(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, Errorf(EINVALID, "%q is not a number of days", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, Errorf(EINVALID, "%q is not a duration such as 1s, 12h or 90d", s)
		}
	}
	if d <= 0 {
		return 0, Errorf(EINVALID, "%q must be positive", s)
	}
	return d, nil
}

// KeyExpiry returns when a key created at now expires, nil for never.
// requested is a lifetime ParseLifetime reads, "" for the longest allowed
// (maxLife), or KeyNever; a lifetime beyond maxLife is EINVALID.
func KeyExpiry(requested string, maxLife time.Duration, now time.Time) (*time.Time, error) {
	requested = strings.TrimSpace(requested)
	if requested == KeyNever {
		return nil, nil
	}
	life := maxLife
	if requested != "" {
		d, err := ParseLifetime(requested)
		if err != nil {
			return nil, err
		}
		if d > maxLife {
			return nil, Errorf(EINVALID, "%q is longer than the longest lifetime a key may have, %s", requested, FormatLifetime(maxLife))
		}
		life = d
	}
	at := now.Add(life).UTC()
	return &at, nil
}

// FormatLifetime writes a lifetime as ParseLifetime reads it: whole days as
// "365d", anything else as a Go duration.
func FormatLifetime(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
