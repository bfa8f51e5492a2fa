package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/store"
)

// Metrics are the API's Prometheus series.
type Metrics struct {
	routes       sync.Map // route -> *routeMetrics, so a request costs no label hashing
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

// routeMetrics are one route's instruments, resolved once.
type routeMetrics struct {
	duration prometheus.Observer
	codes    sync.Map // status -> prometheus.Counter
}

func (m *Metrics) observe(route string, status int, elapsed time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	v, ok := m.routes.Load(route)
	if !ok {
		v, _ = m.routes.LoadOrStore(route, &routeMetrics{duration: m.duration.WithLabelValues(route)})
	}
	rm := v.(*routeMetrics)
	c, ok := rm.codes.Load(status)
	if !ok {
		c, _ = rm.codes.LoadOrStore(status, m.requests.WithLabelValues(route, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	rm.duration.Observe(elapsed.Seconds())
}
