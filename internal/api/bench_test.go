package api_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkChoices is the authenticated choices path through the whole handler chain.
func BenchmarkChoices(b *testing.B) {
	e := newEnv(b)
	key := e.key("CFS")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/api/opendata/choices", nil)
			r.Header.Set("DH-Auth-Key", key)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}

// BenchmarkSubmit is a durable submission through the whole handler chain,
// with 32 concurrent writers sharing group commits.
func BenchmarkSubmit(b *testing.B) {
	e := newEnv(b)
	key := e.key("CFS")
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := validBody(map[string]any{"file_id": fmt.Sprint("bench-", n.Add(1))})
			r := httptest.NewRequest("POST", "/api/opendata/submit", strings.NewReader(body))
			r.Header.Set("DH-Auth-Key", key)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code, w.Body.String())
			}
		}
	})
}
