package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sign-in requests are limited per client address and per email address, so
// that no one can flood an inbox or guess at scale. A legitimate person asks
// for a link or two; these leave plenty of room for typos and a second try.
var (
	perIP    = limit{every: 6 * time.Second, burst: 10} // 10 at once, then 10 a minute
	perEmail = limit{every: 3 * time.Minute, burst: 5}  // 5 at once, then 1 every 3 minutes
)

type limit struct {
	every time.Duration
	burst int
}

// signInLimits holds a token bucket per key; idle buckets are dropped.
type signInLimits struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newSignInLimits() *signInLimits { return &signInLimits{buckets: map[string]*bucket{}} }

// allow takes a token from both the address's and the email's bucket; when
// either is empty it takes none and says no.
func (l *signInLimits) allow(ip, email string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	a, b := l.get("ip:"+ip, perIP, now), l.get("email:"+email, perEmail, now)
	ra, rb := a.ReserveN(now, 1), b.ReserveN(now, 1)
	if ra.DelayFrom(now) > 0 || rb.DelayFrom(now) > 0 {
		ra.CancelAt(now)
		rb.CancelAt(now)
		return false
	}
	return true
}

func (l *signInLimits) get(key string, lim limit, now time.Time) *rate.Limiter {
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(lim.every), lim.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim
}

// sweep drops, once a minute, buckets unused long enough to be full again.
func (l *signInLimits) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(max(perIP.burst, perEmail.burst)) * max(perIP.every, perEmail.every)
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
}
