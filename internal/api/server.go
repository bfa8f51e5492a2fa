// Package api serves DataHub's JSON API: submission, choices, status, the
// OpenAPI document, health and metrics.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/webhook"
)

// Config is what the API needs to know about its deployment.
type Config struct {
	PublicURL             string         // base of flow_url, without a trailing slash
	Location              *time.Location // for "not after today"
	EmailDomains          []string       // allowed email_contact domains; empty allows any
	MaxBodyBytes          int64          // default 1 MiB
	BodyReadTimeout       time.Duration  // how long a body may take to arrive; default 1m
	AuthFailuresPerMinute int            // per client address; default 60, 0 keeps the default
	Logger                *slog.Logger
	Webhooks              webhook.Endpoints // sets keys' endpoints and makes their secrets
}

// Server holds what the handlers share.
type Server struct {
	cfg      Config
	db       *store.DB
	keys     *auth.Keyring
	vocab    *opendata.Vocabulary
	choices  staticJSON
	openapi  staticJSON
	failures *addrLimiter
	metrics  *Metrics
	inflight sync.Map // Idempotency-Keys being processed: "prefix\x00key"
	draining atomic.Bool
}

// New builds the API server. reg receives the API's metrics.
func New(cfg Config, db *store.DB, keys *auth.Keyring, vocab *opendata.Vocabulary, reg prometheus.Registerer) (*Server, error) {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = time.Minute
	}
	if cfg.AuthFailuresPerMinute <= 0 {
		cfg.AuthFailuresPerMinute = 60
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, db: db, keys: keys, vocab: vocab,
		failures: newAddrLimiter(cfg.AuthFailuresPerMinute),
		metrics:  NewMetrics(reg, db),
	}
	var err error
	if s.choices, err = newStaticJSON(vocab.Lists()); err != nil {
		return nil, err
	}
	if s.openapi, err = openAPIDocument(vocab, cfg.PublicURL); err != nil {
		return nil, err
	}
	return s, nil
}

// Metrics returns the server's metrics, for the middleware that wraps every route.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Drain marks the server as shutting down: /readyz then fails so that load
// balancers stop sending traffic before the listener closes.
func (s *Server) Drain() { s.draining.Store(true) }

// Router is where routes are registered; *http.ServeMux is one.
type Router interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// Register adds the API's routes to mux.
func (s *Server) Register(mux Router) {
	mux.HandleFunc("POST /api/opendata/submit", s.authed(s.submit))
	mux.HandleFunc("GET /api/opendata/choices", s.authed(s.serveChoices))
	mux.HandleFunc("GET /api/opendata/submissions", s.authed(s.listSubmissions))
	mux.HandleFunc("GET /api/opendata/submissions/{id}", s.authed(s.getSubmission))
	mux.HandleFunc("POST /api/opendata/submissions/{id}/check", s.authed(s.checkFile))
	mux.HandleFunc("POST /api/opendata/validate", s.authed(s.validate))
	mux.HandleFunc("GET /api/opendata/events", s.authed(s.listEvents))
	mux.HandleFunc("GET /api/opendata/webhook", s.authed(s.getWebhook))
	mux.HandleFunc("PUT /api/opendata/webhook", s.authed(s.putWebhook))
	mux.HandleFunc("DELETE /api/opendata/webhook", s.authed(s.deleteWebhook))
	mux.HandleFunc("POST /api/opendata/webhook/rotate", s.authed(s.rotateWebhook))
	mux.HandleFunc("GET /api/opendata/webhook/deliveries", s.authed(s.listDeliveries))
	mux.HandleFunc("POST /api/opendata/webhook/deliveries/{id}/retry", s.authed(s.retryDelivery))
	mux.HandleFunc("GET /api/openapi.json", s.openapi.serve)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	// Known paths with another method, and unknown API paths, answer in problem JSON.
	for path, allow := range map[string]string{
		"/api/opendata/submit":                        "POST",
		"/api/opendata/choices":                       "GET, HEAD",
		"/api/opendata/submissions":                   "GET, HEAD",
		"/api/opendata/submissions/{id}":              "GET, HEAD",
		"/api/opendata/submissions/{id}/check":        "POST",
		"/api/opendata/validate":                      "POST",
		"/api/opendata/events":                        "GET, HEAD",
		"/api/opendata/webhook":                       "GET, HEAD, PUT, DELETE",
		"/api/opendata/webhook/rotate":                "POST",
		"/api/opendata/webhook/deliveries":            "GET, HEAD",
		"/api/opendata/webhook/deliveries/{id}/retry": "POST",
	} {
		mux.HandleFunc(path, s.authed(methodNotAllowed(allow)))
	}
	mux.HandleFunc("/api/", s.authed(func(w http.ResponseWriter, r *http.Request, _ *auth.Client) {
		writeProblem(w, r, http.StatusNotFound, "not_found", nil)
	}))
}

func methodNotAllowed(allow string) func(http.ResponseWriter, *http.Request, *auth.Client) {
	return func(w http.ResponseWriter, r *http.Request, _ *auth.Client) {
		w.Header().Set("Allow", allow)
		writeProblem(w, r, http.StatusMethodNotAllowed, "method", nil)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	if err := s.db.Ping(ctx); err != nil {
		s.cfg.Logger.Error("readiness check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// FlowURL is where the contact continues a submission.
func (s *Server) FlowURL(id string) string { return s.cfg.PublicURL + "/flow/" + id }
