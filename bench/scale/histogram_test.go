package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// A route's histogram is read from /metrics, and the difference of two reads
// gives the share within a bound and the bucket that holds 99%.
func TestServerDurations(t *testing.T) {
	const route = "GET /api/opendata/submissions/{id}"
	page := func(fast, slow uint64) string {
		return `# TYPE datahub_http_request_duration_seconds histogram
datahub_http_request_duration_seconds_bucket{route="GET /healthz",le="0.005"} 7
datahub_http_request_duration_seconds_bucket{route="GET /healthz",le="+Inf"} 7
datahub_http_request_duration_seconds_sum{route="GET /healthz"} 0.01
datahub_http_request_duration_seconds_count{route="GET /healthz"} 7
datahub_http_request_duration_seconds_bucket{route="` + route + `",le="0.005"} ` + itoa(fast) + `
datahub_http_request_duration_seconds_bucket{route="` + route + `",le="0.01"} ` + itoa(fast+slow) + `
datahub_http_request_duration_seconds_bucket{route="` + route + `",le="+Inf"} ` + itoa(fast+slow) + `
datahub_http_request_duration_seconds_sum{route="` + route + `"} 1
datahub_http_request_duration_seconds_count{route="` + route + `"} ` + itoa(fast+slow) + `
`
	}
	body := page(10, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	before, err := serverDurations(context.Background(), srv.URL, route)
	if err != nil || before.count != 10 {
		t.Fatalf("before: %+v, %v", before, err)
	}
	body = page(10+980, 20) // 1,000 more: 980 within 5 ms, 20 within 10 ms
	after, err := serverDurations(context.Background(), srv.URL, route)
	if err != nil {
		t.Fatal(err)
	}
	d := after.since(before)
	if d.count != 1000 || d.within(0.005) != 0.98 || d.p99Bound() != 0.01 {
		t.Errorf("count %d, within 5 ms %.3f, p99 ≤ %g; want 1000, 0.980, 0.01", d.count, d.within(0.005), d.p99Bound())
	}
	if other, _ := serverDurations(context.Background(), srv.URL, "GET /nowhere"); other.count != 0 || other.p99Bound() != 0 {
		t.Errorf("a route never seen: %+v", other)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
