package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

type serveConfig struct {
	store           *storeConfig
	addr            string
	publicURL       string
	rateLimit       float64
	rateBurst       int
	authFailures    int
	timeZone        string
	contactDomains  string
	logLevel        string
	logFormat       string
	shutdownTimeout time.Duration
	shutdownDrain   time.Duration // /readyz fails this long before the listener closes
	headerTimeout   time.Duration
	bodyTimeout     time.Duration
	registry        *registryConfig // file checks' and registry calls' address policy, the token key
	fetchTimeout    time.Duration
	fetchMaxBytes   int64
	jobWorkers      int
	checksPerProj   int
	jobRescueAfter  time.Duration
	smtpURL         string
	mailFrom        string
	sessionTTL      time.Duration
	uploadMaxBytes  int64
	metricsToken    string
	keyMaxLifetime  time.Duration
	oidc            oidcFlags
}

// oidcFlags configure sign-in with an OpenID Connect provider; empty issuer turns it off.
type oidcFlags struct {
	issuer, clientID, clientSecret, emailClaim string
}

func serveFlags(fs *flag.FlagSet) *serveConfig {
	c := &serveConfig{store: storeFlags(fs)}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.publicURL, "public-url", "http://127.0.0.1:8080", "public base URL, used in flow_url and emails")
	fs.Float64Var(&c.rateLimit, "rate-limit", 20, "requests per second per API key; 0 turns limiting off")
	fs.IntVar(&c.rateBurst, "rate-burst", 100, "requests an API key may burst above the rate")
	fs.IntVar(&c.authFailures, "auth-failures-per-minute", 60, "failed authentications allowed per client address per minute")
	fs.StringVar(&c.timeZone, "time-zone", "America/Toronto", "time zone that decides what \"today\" is")
	fs.StringVar(&c.contactDomains, "contact-domains", "", "comma-separated email domains allowed for email_contact (empty: any)")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug (logs every request), info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "json", "json or text")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let requests, then running jobs, finish on shutdown")
	fs.DurationVar(&c.shutdownDrain, "shutdown-drain", 5*time.Second, "on SIGTERM, how long /readyz fails while requests are still served, so load balancers stop sending traffic before the listener closes")
	fs.DurationVar(&c.headerTimeout, "header-timeout", 10*time.Second, "longest a client may take to send a request's headers")
	fs.DurationVar(&c.bodyTimeout, "body-timeout", time.Minute, "longest a client may take to send the body of an API request or a web form")
	c.registry = registryFlags(fs)
	fs.DurationVar(&c.fetchTimeout, "fetch-timeout", 15*time.Minute, "longest a file check may take, download included")
	fs.Int64Var(&c.fetchMaxBytes, "fetch-max-bytes", 2<<30, "largest file a check accepts, in bytes")
	fs.IntVar(&c.jobWorkers, "job-workers", 4, "background jobs this replica runs at once; 0 runs none, leaving them to other replicas")
	fs.IntVar(&c.checksPerProj, "job-checks-per-project", 0, "file checks of one project this replica runs at once; 0 is half of --job-workers, at least 1")
	fs.DurationVar(&c.jobRescueAfter, "job-rescue-after", 20*time.Minute, "a job running longer is taken to be lost with its replica and run again; must exceed --fetch-timeout by more than 35s")
	fs.StringVar(&c.smtpURL, "smtp-url", "", "smtp://user:password@host:587 (STARTTLS) or smtps://host:465 to send email; empty writes it to DATA/outbox")
	fs.StringVar(&c.mailFrom, "mail-from", "DataHub <datahub@localhost>", "the From address of the service's email")
	fs.DurationVar(&c.sessionTTL, "session-ttl", 12*time.Hour, "how long a web sign-in lasts")
	fs.Int64Var(&c.uploadMaxBytes, "upload-max-bytes", 10<<20, "largest signed approval PDF accepted, in bytes")
	c.keyMaxLifetime = opendata.DefaultKeyMaxLifetime
	fs.Var(lifetimeFlag{&c.keyMaxLifetime}, "key-max-lifetime", "longest lifetime of an API key made on the admin page, and the lifetime of one made without saying (365d, 12h)")
	fs.StringVar(&c.metricsToken, "metrics-token", "", "a secret /metrics asks for as Authorization: Bearer TOKEN (better set as DATAHUB_METRICS_TOKEN); empty leaves /metrics open")
	fs.StringVar(&c.oidc.issuer, "oidc-issuer", "", "OpenID Connect issuer URL (e.g. https://login.microsoftonline.com/TENANT/v2.0); empty offers the emailed link only")
	fs.StringVar(&c.oidc.clientID, "oidc-client-id", "", "OpenID Connect client id")
	fs.StringVar(&c.oidc.clientSecret, "oidc-client-secret", "", "OpenID Connect client secret (better set as DATAHUB_OIDC_CLIENT_SECRET)")
	fs.StringVar(&c.oidc.emailClaim, "oidc-email-claim", "email", "the ID token claim that holds the person's email address (Entra ID: email or preferred_username)")
	return c
}

func (c *serveConfig) check() error {
	u, err := url.Parse(c.publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return usageError{fmt.Sprintf("--public-url %q must be an absolute http(s) URL", c.publicURL)}
	}
	if c.rateLimit < 0 || c.rateBurst < 1 || c.authFailures < 1 {
		return usageError{"--rate-limit must be >= 0, --rate-burst and --auth-failures-per-minute >= 1"}
	}
	if _, err := time.LoadLocation(c.timeZone); err != nil {
		return usageError{fmt.Sprintf("--time-zone %q: %v", c.timeZone, err)}
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return usageError{fmt.Sprintf("--addr %q: %v", c.addr, err)}
	}
	if c.fetchTimeout <= 0 || c.fetchMaxBytes <= 0 || c.jobWorkers < 0 || c.checksPerProj < 0 {
		return usageError{"--fetch-timeout and --fetch-max-bytes must be positive, --job-workers and --job-checks-per-project >= 0"}
	}
	if c.shutdownDrain < 0 || c.headerTimeout <= 0 || c.bodyTimeout <= 0 {
		return usageError{"--shutdown-drain must be >= 0, --header-timeout and --body-timeout positive"}
	}
	if c.sessionTTL < time.Minute || c.uploadMaxBytes < 1024 {
		return usageError{"--session-ttl must be at least 1m and --upload-max-bytes at least 1024"}
	}
	if (c.oidc.issuer == "") != (c.oidc.clientID == "") {
		return usageError{"--oidc-issuer and --oidc-client-id go together"}
	}
	if c.jobRescueAfter <= c.fetchTimeout+jobs.SaveMargin {
		return usageError{fmt.Sprintf("--job-rescue-after %s must exceed --fetch-timeout %s by more than %s", c.jobRescueAfter, c.fetchTimeout, jobs.SaveMargin)}
	}
	return nil
}

// lifetimeFlag is a flag holding a lifetime: a Go duration or whole days (90d).
type lifetimeFlag struct{ d *time.Duration }

func (f lifetimeFlag) String() string {
	if f.d == nil {
		return ""
	}
	return opendata.FormatLifetime(*f.d)
}

func (f lifetimeFlag) Set(s string) error {
	d, err := opendata.ParseLifetime(s)
	if err != nil {
		return errors.New(opendata.ErrorMessage(err))
	}
	*f.d = d
	return nil
}

func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: expected debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format %q: expected json or text", format)}
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c := serveFlags(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	logger, err := newLogger(c.logLevel, c.logFormat, stderr)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, c, logger)
	if err != nil {
		return err
	}
	defer a.close()
	db, keys := a.db, a.keys

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler: a.handler,
		// Slow headers and idle connections are bounded here; bodies get their own
		// deadline where they are read (the API's submit, the web forms and the
		// upload), and the PDF downloads a write deadline. There is no WriteTimeout:
		// other responses are small enough for the socket's buffer, and a deadline
		// per request costs each one a timer update.
		ReadHeaderTimeout: c.headerTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	bg, stopBackground := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); housekeeping(bg, db, keys, logger) }()
	if err := a.jobs.Start(bg); err != nil {
		stopBackground()
		<-done
		ln.Close()
		return err
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "public_url", c.publicURL, "data", c.store.data)

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		logger.Info("shutting down", "drain", c.shutdownDrain.String(), "timeout", c.shutdownTimeout.String())
		a.api.Drain()
		// Requests are still served while /readyz fails, until load balancers have seen it.
		time.Sleep(c.shutdownDrain)
		sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
	}
	// After the HTTP drain, so that requests still enqueue; jobs cut short run again later.
	jctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	if jerr := a.jobs.Stop(jctx); jerr != nil {
		logger.Warn("could not stop jobs cleanly", "err", jerr)
	}
	cancel()
	stopBackground()
	<-done
	if ferr := keys.FlushLastUsed(context.Background()); ferr != nil {
		logger.Warn("could not record keys' last use", "err", ferr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	logger.Info("stopped")
	return err
}

// housekeeping records keys' last use and purges expired idempotency records
// and the old record of sent email.
func housekeeping(ctx context.Context, db *store.DB, keys *auth.Keyring, logger *slog.Logger) {
	flush := time.NewTicker(10 * time.Second)
	purge := time.NewTicker(time.Hour)
	defer flush.Stop()
	defer purge.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			if err := keys.FlushLastUsed(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("could not record keys' last use", "err", err)
			}
		case <-purge.C:
			if n, err := db.PurgeIdempotency(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("could not purge idempotency records", "err", err)
			} else if n > 0 {
				logger.Info("purged idempotency records", "count", n)
			}
			if n, err := db.PurgeNoticesSent(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("could not purge the record of sent email", "err", err)
			} else if n > 0 {
				logger.Info("purged the record of sent email", "count", n)
			}
		}
	}
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
