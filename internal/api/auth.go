package api

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/opendata-datahub/datahub/internal/auth"
)

// keyFrom reads the API key: DH-Auth-Key, else Authorization with or without "Bearer ".
func keyFrom(h http.Header) string {
	if v := h["Dh-Auth-Key"]; len(v) > 0 && v[0] != "" { // the canonical form, looked up without re-canonicalizing
		return strings.TrimSpace(v[0])
	}
	v := strings.TrimSpace(h.Get("Authorization"))
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return v
}

// authed checks the API key before anything else about the request, then the
// key's rate limit, then runs h.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *auth.Client)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := keyFrom(r.Header)
		c, fail, err := s.keys.Authenticate(r.Context(), key)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if fail != "" {
			s.refuse(w, r, fail)
			return
		}
		setKeyPrefix(w, c.Prefix)
		if c.Limiter != nil && !s.allow(w, c.Limiter) {
			s.metrics.rateLimited.WithLabelValues("key").Inc()
			writeProblem(w, r, http.StatusTooManyRequests, "rate_limited", []string{"seconds", w.Header().Get("Retry-After")})
			return
		}
		h(w, r, c)
	}
}

// allow takes a token from the key's bucket and describes the bucket in the
// RateLimit and RateLimit-Policy fields (draft-ietf-httpapi-ratelimit-headers).
func (s *Server) allow(w http.ResponseWriter, l *rate.Limiter) bool {
	now := time.Now()
	ok := l.AllowN(now, 1)
	setRateLimit(w.Header(), "key", l, now)
	if !ok {
		w.Header()["Retry-After"] = []string{strconv.Itoa(max(1, int(math.Ceil((1-max(l.TokensAt(now), 0))/float64(l.Limit())))))}
	}
	return ok
}

// setRateLimit describes the bucket l as the named policy: its quota and
// window, the requests left and the seconds until it is full again.
func setRateLimit(h http.Header, name string, l *rate.Limiter, now time.Time) {
	per, burst := float64(l.Limit()), l.Burst()
	tokens := max(l.TokensAt(now), 0)
	h["Ratelimit-Policy"] = []string{`"` + name + `";q=` + strconv.Itoa(burst) + `;w=` + strconv.Itoa(int(math.Ceil(float64(burst)/per)))}
	h["Ratelimit"] = []string{`"` + name + `";r=` + strconv.Itoa(int(tokens)) + `;t=` + strconv.Itoa(int(math.Ceil((float64(burst)-tokens)/per)))}
}

// refuse answers a refused key: 401 with WWW-Authenticate, or 429 once the
// client address has failed too often; both describe the address's bucket of failures.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, fail auth.Failure) {
	s.metrics.authFailures.WithLabelValues(string(fail)).Inc()
	if wait, ok := s.failures.allow(clientAddr(r), w.Header()); !ok {
		s.metrics.rateLimited.WithLabelValues("auth_failures").Inc()
		secs := strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
		w.Header().Set("Retry-After", secs)
		writeProblem(w, r, http.StatusTooManyRequests, "rate_limited", []string{"seconds", secs})
		return
	}
	challenge := `Bearer realm="datahub"`
	if fail != auth.MissingToken {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeProblem(w, r, http.StatusUnauthorized, string(fail), nil)
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addrLimiter limits failed authentications per client address.
type addrLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	entries map[string]*addrEntry
	sweep   time.Time
}

type addrEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newAddrLimiter(perMinute int) *addrLimiter {
	return &addrLimiter{limit: rate.Limit(float64(perMinute) / 60), burst: perMinute, entries: map[string]*addrEntry{}}
}

// allow counts one failure for addr and describes its bucket in h; when none
// is left it says how long to wait.
func (a *addrLimiter) allow(addr string, h http.Header) (time.Duration, bool) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Sub(a.sweep) > time.Minute {
		for k, e := range a.entries {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(a.entries, k)
			}
		}
		a.sweep = now
	}
	e := a.entries[addr]
	if e == nil {
		e = &addrEntry{lim: rate.NewLimiter(a.limit, a.burst)}
		a.entries[addr] = e
	}
	e.seen = now
	ok := e.lim.AllowN(now, 1)
	setRateLimit(h, "auth", e.lim, now)
	if ok {
		return 0, true
	}
	return time.Duration((1 - e.lim.TokensAt(now)) / float64(a.limit) * float64(time.Second)), false
}
