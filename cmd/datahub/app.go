package main

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opendata-datahub/datahub/internal/api"
	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/web"
	"github.com/opendata-datahub/datahub/internal/webhook"
)

// app is the whole service wired together, without its listener, so tests
// can run it in-process too.
type app struct {
	db       *store.DB
	keys     *auth.Keyring
	jobs     *jobs.Queue
	api      *api.Server
	handler  http.Handler
	patterns []string // every route registered, for the OpenAPI check
}

// routes is a ServeMux that remembers its patterns.
type routes struct {
	*http.ServeMux
	patterns []string
}

func (r *routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.patterns = append(r.patterns, pattern)
	r.ServeMux.HandleFunc(pattern, h)
}

// pages registers the web UI's routes, refusing cross-origin form posts
// (http.CrossOriginProtection, on top of each form's CSRF token). They are for
// people, not API clients, so they are not recorded for the OpenAPI check.
type pages struct{ *http.ServeMux }

func (p *pages) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	p.ServeMux.Handle(pattern, crossOrigin.Handler(http.HandlerFunc(h)))
}

var crossOrigin = http.NewCrossOriginProtection()

func newApp(ctx context.Context, c *serveConfig, logger *slog.Logger) (a *app, err error) {
	// The OpenID provider is asked first: when it cannot be reached the service
	// does not start, and nothing is open yet.
	var signInOIDC *web.OIDC
	if c.oidc.issuer != "" {
		signInOIDC, err = web.NewOIDC(ctx, web.OIDCConfig{Issuer: c.oidc.issuer, ClientID: c.oidc.clientID,
			ClientSecret: c.oidc.clientSecret, EmailClaim: c.oidc.emailClaim,
			RedirectURL: strings.TrimRight(c.publicURL, "/") + "/signin/oidc/callback"})
		if err != nil {
			return nil, fmt.Errorf("--oidc-issuer: %w", err)
		}
	}
	a = &app{}
	built := a // a is nil once an error is returned
	defer func() {
		if err != nil {
			built.close()
		}
	}()
	if a.db, err = openStore(ctx, c.store); err != nil {
		return nil, err
	}
	mailer, err := mail.New(mail.Config{SMTPURL: c.smtpURL, From: c.mailFrom,
		OutboxDir: filepath.Join(c.store.data, "outbox"), Logger: logger.With("component", "mail")})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registry, err := c.registry.registry(ctx, c.store, a.db, logger)
	if err != nil {
		return nil, err
	}
	if a.jobs, err = newQueue(a.db, c, mailer, registry, reg, logger); err != nil {
		return nil, err
	}
	a.db.SetJobs(a.jobs)
	secret, err := a.db.Secret(ctx, auth.SecretName)
	if err != nil {
		return nil, err
	}
	if a.keys, err = auth.NewKeyring(ctx, a.db, secret, c.rateLimit, c.rateBurst); err != nil {
		return nil, err
	}
	vocab, err := opendata.LoadVocabulary()
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(c.timeZone)
	if err != nil {
		return nil, err
	}
	a.api, err = api.New(api.Config{
		PublicURL: c.publicURL, Location: loc, EmailDomains: splitList(c.contactDomains),
		AuthFailuresPerMinute: c.authFailures, Logger: logger, BodyReadTimeout: c.bodyTimeout,
		Webhooks: webhook.Endpoints{Store: a.db, Keys: registry.Keys},
	}, a.db, a.keys, vocab, reg)
	if err != nil {
		return nil, err
	}
	webSrv, err := web.New(web.Config{
		Store: a.db, Vocab: vocab, Mailer: mail.LinkSender{Mailer: mailer}, PublicURL: c.publicURL, Location: loc,
		EmailDomains: splitList(c.contactDomains), SessionTTL: c.sessionTTL,
		UploadMaxBytes: c.uploadMaxBytes, KeyMaxLifetime: c.keyMaxLifetime, FormReadTimeout: c.bodyTimeout, OIDC: signInOIDC, Logger: logger.With("component", "web"),
		Registry: registry,
	})
	if err != nil {
		return nil, err
	}
	mux := &routes{ServeMux: http.NewServeMux()}
	a.api.Register(mux)
	mux.HandleFunc("GET /metrics", bearerOnly(c.metricsToken, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	webSrv.Register(&pages{ServeMux: mux.ServeMux})
	a.patterns = mux.patterns
	a.handler = api.Observe(mux, logger, a.api.Metrics())
	if strings.HasPrefix(c.publicURL, "https://") {
		a.handler = strictTransport(a.handler)
	}
	return a, nil
}

// strictTransport tells browsers to reach this host over HTTPS only, for a
// year: the service is published at an https URL, usually behind a proxy
// that ends TLS, so the request itself cannot say so.
func strictTransport(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		h.ServeHTTP(w, r)
	})
}

// bearerOnly serves h to requests bearing token (Authorization: Bearer), and
// to every request when token is empty.
func bearerOnly(token string, h http.Handler) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token != "" && (!ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}
}

// newQueue returns the job queue: running file checks with --job-workers
// workers once started, or only enqueueing when that is 0.
func newQueue(db *store.DB, c *serveConfig, mailer mail.Mailer, registry publish.Registry, reg prometheus.Registerer,
	logger *slog.Logger) (*jobs.Queue, error) {
	logger = logger.With("component", "jobs")
	if c.registry.allowPrivate {
		logger.Warn("DATAHUB_ALLOW_PRIVATE_FETCH (--allow-private-fetch) is on: file checks may reach loopback and private networks; this is for tests only")
	}
	if c.jobWorkers == 0 {
		return jobs.NewInserter(db, logger)
	}
	client := fetch.New(fetch.Config{
		Policy:       c.registry.policy(),
		TotalTimeout: c.fetchTimeout, MaxBytes: c.fetchMaxBytes,
	})
	return jobs.New(db, jobs.Config{Fetch: client, Mailer: mailer, PublicURL: c.publicURL, FetchTimeout: c.fetchTimeout, Workers: c.jobWorkers,
		ChecksPerProject: c.checksPerProj, RescueAfter: c.jobRescueAfter, Logger: logger, Registry: registry, Metrics: reg,
		Webhooks: jobs.NewWebhookClient(c.registry.policy(), fetch.HTTPOptions{})})
}

func (a *app) close() {
	if a.jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		a.jobs.Stop(ctx) // already stopped by serve; this covers a failed start
		cancel()
	}
	if a.db != nil {
		a.db.Close()
	}
}
