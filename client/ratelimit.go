package client

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// waitTurn waits until the server's rate limit lets a request leave.
func (c *Client) waitTurn(ctx context.Context) error {
	c.mu.Lock()
	until := c.pauseUntil
	c.mu.Unlock()
	if err := sleep(ctx, time.Until(until)); err != nil {
		return err
	}
	return c.pace.Wait(ctx)
}

// pause holds every request of this client for d: the server's limit is per
// key, so one worker's 429 is every worker's.
func (c *Client) pause(d time.Duration) {
	d = min(d, c.maxWait)
	until := time.Now().Add(d)
	c.mu.Lock()
	if until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
	c.mu.Unlock()
}

// observe reads the RateLimit fields of an answer: when none is left, the next
// request waits until the server has room again rather than earn a 429.
func (c *Client) observe(h http.Header) {
	if wait, ok := exhausted(h); ok && wait > 0 {
		c.pause(wait)
	}
	if per, burst, ok := policy(h); ok && (c.pace.Limit() != per || c.pace.Burst() != burst) {
		c.pace.SetLimit(per)
		c.pace.SetBurst(burst)
	}
}

// policy reads the pace RateLimit-Policy announces (`"key";q=100;w=5`: 100
// requests in 5 s), the tightest when it names several.
func policy(h http.Header) (rate.Limit, int, bool) {
	var per rate.Limit
	var burst int
	found := false
	for _, item := range sfItems(h.Values("RateLimit-Policy")) {
		q, w := item.params["q"], item.params["w"]
		if q < 1 || w <= 0 {
			continue
		}
		if p := rate.Limit(q / w); !found || p < per {
			per, burst, found = p, int(q), true
		}
	}
	return per, burst, found
}

// retryAfter reads Retry-After (seconds or an HTTP date) as a wait from now;
// 0 when absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// exhausted reports whether the answer's RateLimit fields say no request is
// left, and how long until there is room for one. It reads the current draft
// of draft-ietf-httpapi-ratelimit-headers (`RateLimit: "key";r=0;t=3` with
// `RateLimit-Policy: "key";q=100;w=5`) and the earlier one
// (`RateLimit: limit=100, remaining=0, reset=3`, or separate
// RateLimit-Remaining and RateLimit-Reset fields).
func exhausted(h http.Header) (time.Duration, bool) {
	if rem, reset, ok := earlierDraft(h); ok {
		return seconds(reset), rem <= 0
	}
	policies := map[string]map[string]float64{}
	for _, item := range sfItems(h.Values("RateLimit-Policy")) {
		policies[item.name] = item.params
	}
	var wait time.Duration
	found := false
	for _, item := range sfItems(h.Values("RateLimit")) {
		r, ok := item.params["r"]
		if !ok || r > 0 {
			continue
		}
		d := seconds(item.params["t"])
		// A token bucket refills one request in w/q seconds, usually long before it is full.
		if p := policies[item.name]; p["q"] > 0 && p["w"] > 0 {
			if unit := seconds(p["w"] / p["q"]); d == 0 || unit < d {
				d = unit
			}
		}
		if !found || d > wait {
			wait, found = d, true
		}
	}
	return wait, found
}

// earlierDraft reads `RateLimit: limit=…, remaining=…, reset=…` or the separate fields.
func earlierDraft(h http.Header) (remaining, reset float64, ok bool) {
	fields := map[string]string{}
	for _, v := range h.Values("RateLimit") {
		for part := range strings.SplitSeq(v, ",") {
			k, val, found := strings.Cut(strings.TrimSpace(part), "=")
			if found && !strings.Contains(k, ";") && !strings.HasPrefix(k, `"`) {
				fields[strings.ToLower(k)] = val
			}
		}
	}
	if v := h.Get("RateLimit-Remaining"); v != "" {
		fields["remaining"] = v
	}
	if v := h.Get("RateLimit-Reset"); v != "" {
		fields["reset"] = v
	}
	rem, err := strconv.ParseFloat(strings.TrimSpace(fields["remaining"]), 64)
	if err != nil {
		return 0, 0, false
	}
	reset, _ = strconv.ParseFloat(strings.TrimSpace(fields["reset"]), 64)
	return rem, reset, true
}

// sfItem is one member of a structured-field list: a name and numeric parameters.
type sfItem struct {
	name   string
	params map[string]float64
}

// sfItems parses the small part of RFC 9651 lists that rate-limit fields use.
func sfItems(values []string) []sfItem {
	var out []sfItem
	for _, v := range values {
		for member := range strings.SplitSeq(v, ",") {
			parts := strings.Split(member, ";")
			it := sfItem{name: strings.Trim(strings.TrimSpace(parts[0]), `"`), params: map[string]float64{}}
			for _, p := range parts[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if n, err := strconv.ParseFloat(val, 64); err == nil {
					it.params[k] = n
				}
			}
			out = append(out, it)
		}
	}
	return out
}

func seconds(s float64) time.Duration {
	if s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
