package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/store"
)

// Metrics are the API's Prometheus series.
type Metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	submissions  *prometheus.CounterVec
}

// NewMetrics registers the API's series, and the store's group commit counters, on reg.
func NewMetrics(reg prometheus.Registerer, db *store.DB) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "datahub_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "datahub_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "datahub_auth_failures_total", Help: "Refused API keys by reason.",
		}, []string{"code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "datahub_rate_limited_total", Help: "Requests refused with 429, by limit.",
		}, []string{"limit"}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "datahub_submissions_total", Help: "Submit requests by outcome.",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.requests, m.duration, m.authFailures, m.rateLimited, m.submissions)
	if db != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "datahub_store_commits_total", Help: "Write transactions committed (a group commit counts once).",
			}, func() float64 { return float64(db.Stats().Commits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "datahub_store_writes_total", Help: "Writes carried by those transactions.",
			}, func() float64 { return float64(db.Stats().Writes) }),
		)
	}
	return m
}

func (m *Metrics) observe(route string, status int, elapsed time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(route, statusText(status)).Inc()
	m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
}

var commonStatus = map[int]string{200: "200", 304: "304", 400: "400", 401: "401", 404: "404", 429: "429", 500: "500"}

func statusText(code int) string {
	if s, ok := commonStatus[code]; ok {
		return s
	}
	return strconv.Itoa(code)
}
