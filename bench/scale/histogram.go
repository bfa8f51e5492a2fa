package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// durations is the server's own request duration histogram of one route, as
// its /metrics gives it: how long its handlers took, without the time a
// request waited to be read or its answer to reach the reader.
type durations struct {
	count   uint64
	buckets map[float64]uint64 // upper bound in seconds → requests that took at most that
}

// serverDurations reads route's datahub_http_request_duration_seconds from base's /metrics.
func serverDurations(ctx context.Context, base, route string) (durations, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return durations{}, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return durations{}, fmt.Errorf("read /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return durations{}, fmt.Errorf("read /metrics: %w", err)
	}
	d := durations{buckets: map[float64]uint64{}}
	if f := families["datahub_http_request_duration_seconds"]; f != nil {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && l.GetValue() == route {
					h := m.GetHistogram()
					d.count = h.GetSampleCount()
					for _, b := range h.GetBucket() {
						d.buckets[b.GetUpperBound()] = b.GetCumulativeCount()
					}
				}
			}
		}
	}
	return d, nil
}

// since is what the server observed between before and d.
func (d durations) since(before durations) durations {
	out := durations{count: d.count - before.count, buckets: map[float64]uint64{}}
	for le, n := range d.buckets {
		out.buckets[le] = n - before.buckets[le]
	}
	return out
}

// within is the share of the requests handled in at most le seconds, a bucket's bound.
func (d durations) within(le float64) float64 {
	if d.count == 0 {
		return 0
	}
	return float64(d.buckets[le]) / float64(d.count)
}

// p99Bound is the smallest bucket bound within which 99% of the requests were handled (0: none).
func (d durations) p99Bound() float64 {
	best := 0.0
	for le, n := range d.buckets {
		if d.count > 0 && float64(n) >= 0.99*float64(d.count) && (best == 0 || le < best) {
			best = le
		}
	}
	return best
}
