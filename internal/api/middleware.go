package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// RequestID returns the id given to the request answered by w ("" outside Observe).
func RequestID(w http.ResponseWriter) string {
	if v := w.Header()["X-Request-Id"]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// setKeyPrefix names the API key in the access log of the request answered by w.
func setKeyPrefix(w http.ResponseWriter, prefix string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.keyPrefix = prefix
	}
}

// requestIDs makes short unique ids: a random per-process part and a counter.
type requestIDs struct {
	base string
	n    atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 4)
	rand.Read(b)
	return &requestIDs{base: hex.EncodeToString(b) + "-"}
}

func (g *requestIDs) next() string {
	var buf [32]byte
	return string(strconv.AppendUint(append(buf[:0], g.base...), g.n.Add(1), 36))
}

// usableID accepts a caller's X-Request-Id when it is short and plain.
func usableID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter remembers the status a handler sent, and the key that made the request.
type statusWriter struct {
	http.ResponseWriter
	status    int
	keyPrefix string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Observe wraps every route: it gives the request an id (echoed in
// X-Request-Id), recovers panics as 500s, counts and times the request by
// route, and logs it (at debug level, or error for a 5xx).
func Observe(next http.Handler, logger *slog.Logger, m *Metrics) http.Handler {
	ids := newRequestIDs()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !usableID(id) {
			id = ids.next()
		}
		w.Header()["X-Request-Id"] = []string{id}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.Error("panic serving request", "request_id", id, "panic", fmt.Sprint(p), "path", r.URL.Path)
				if sw.status == 0 {
					writeProblem(sw, r, http.StatusInternalServerError, "internal", nil)
				}
			}
			route := r.Pattern // set by the ServeMux on this very request
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			m.observe(route, sw.status, elapsed)
			level := slog.LevelDebug
			if sw.status >= 500 {
				level = slog.LevelError
			}
			if logger.Enabled(r.Context(), level) {
				logger.LogAttrs(r.Context(), level, "request", slog.String("request_id", id),
					slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
					slog.Int("status", sw.status), slog.Duration("duration", elapsed),
					slog.String("key", sw.keyPrefix), slog.String("remote", r.RemoteAddr))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
