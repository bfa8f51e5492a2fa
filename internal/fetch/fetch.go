// Package fetch checks a submitted file URL: it downloads the file once over an SSRF-safe
// HTTP client, without storing it, and reports status, size, type, SHA-256 and CKAN format.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"
)

// Config sets the client's policy and limits. Zero fields take the defaults noted.
type Config struct {
	Policy          Policy
	ConnectTimeout  time.Duration // per address dialled, and for the TLS handshake; default 10s
	HeaderTimeout   time.Duration // from request sent to response headers; default 30s
	IdleReadTimeout time.Duration // longest wait for the next bytes of the body; default 60s
	TotalTimeout    time.Duration // the whole check, redirects and body included; default 15m
	MaxBytes        int64         // largest file accepted; default 2 GiB
	MaxRedirects    int           // redirects followed; default 5, negative for none
	Resolver        Resolver      // default net.DefaultResolver
	DialContext     DialFunc      // dials a literal "ip:port"; default a net.Dialer
	UserAgent       string        // default "datahub-filecheck/1"
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ConnectTimeout, 10*time.Second)
	def(&c.HeaderTimeout, 30*time.Second)
	def(&c.IdleReadTimeout, 60*time.Second)
	def(&c.TotalTimeout, 15*time.Minute)
	if c.MaxBytes <= 0 {
		c.MaxBytes = 2 << 30
	}
	switch {
	case c.MaxRedirects == 0:
		c.MaxRedirects = 5
	case c.MaxRedirects < 0:
		c.MaxRedirects = 0
	}
	if c.UserAgent == "" {
		c.UserAgent = "datahub-filecheck/1"
	}
	return c
}

// State is the outcome of a check.
type State string

const (
	Passed  State = "passed"
	Failed  State = "failed"  // an error status, unreachable, a time or size limit, too many redirects
	Refused State = "refused" // an address or a redirect target the policy does not allow
)

// Result is what a check found. Reason is set unless the check passed; Retryable says whether
// trying again later may help (5xx, timeouts, broken connections). A Client makes one attempt:
// retrying is the caller's job.
type Result struct {
	State        State             `json:"state"`
	HTTPStatus   int               `json:"http_status,omitempty"`
	Size         int64             `json:"size,omitempty"`
	ContentType  string            `json:"content_type,omitempty"`  // sniffed from the content
	DeclaredType string            `json:"declared_type,omitempty"` // the server's Content-Type
	SHA256       string            `json:"sha256,omitempty"`        // lowercase hex
	Format       string            `json:"format,omitempty"`        // CKAN format code
	Reason       string            `json:"reason,omitempty"`        // in English; see ReasonCode
	ReasonCode   string            `json:"reason_code,omitempty"`   // why, as one of ReasonCodes
	ReasonArgs   map[string]string `json:"reason_args,omitempty"`
	Retryable    bool              `json:"retryable,omitempty"`
	CheckedAt    time.Time         `json:"checked_at"`
}

// Client checks file URLs. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
}

// New returns a Client for cfg. It never uses a proxy from the environment, sends no cookies
// or credentials, and asks for the file unencoded so the hash is of the bytes as published.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	transport := guardedTransport(cfg.Policy, HTTPOptions{
		ConnectTimeout:    cfg.ConnectTimeout,
		HeaderTimeout:     cfg.HeaderTimeout,
		DisableKeepAlives: true, // each check stands alone; no connection outlives it
		Resolver:          cfg.Resolver,
		DialContext:       cfg.DialContext,
	})
	c := &Client{cfg: cfg}
	c.http = &http.Client{Transport: transport, CheckRedirect: c.checkRedirect}
	return c
}

// Check downloads rawURL once and reports what it found. It never returns an error: every
// failure is a Result with a reason.
func (c *Client) Check(ctx context.Context, rawURL string) Result {
	res := c.check(ctx, rawURL)
	res.CheckedAt = time.Now().UTC()
	return res
}

var (
	errTotalTimeout = errors.New("total time limit reached")
	errIdleTimeout  = errors.New("idle read time limit reached")
)

func (c *Client) check(ctx context.Context, rawURL string) Result {
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() {
		return failed(Failed, WhyURLInvalid)
	}
	if err := checkTarget(u); err != nil {
		var target *targetError
		errors.As(err, &target)
		return failed(Refused, target.code, "url", target.url)
	}
	if u.Hostname() == "" {
		return failed(Failed, WhyURLNoHost)
	}
	ctx, cancelTotal := context.WithTimeoutCause(ctx, c.cfg.TotalTimeout, errTotalTimeout)
	defer cancelTotal()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return failed(Failed, WhyURLInvalid)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.failure(ctx, err, Result{}, req.URL.String())
	}
	defer resp.Body.Close()

	res := Result{HTTPStatus: resp.StatusCode, DeclaredType: resp.Header.Get("Content-Type")}
	if resp.StatusCode != http.StatusOK {
		return statusFailure(res)
	}
	if resp.ContentLength > c.cfg.MaxBytes {
		return c.tooLarge(res)
	}
	return c.read(ctx, cancel, resp, res)
}

// read streams the body once through the hash, a byte counter and a small sniff buffer.
func (c *Client) read(ctx context.Context, cancel context.CancelCauseFunc, resp *http.Response, res Result) Result {
	idle := time.AfterFunc(c.cfg.IdleReadTimeout, func() { cancel(errIdleTimeout) })
	defer idle.Stop()
	sink := &digest{h: sha256.New()}
	body := &idleReader{r: resp.Body, timer: idle, idle: c.cfg.IdleReadTimeout}
	buf := make([]byte, 64<<10) // the only per-check buffer: memory stays flat whatever the size
	n, err := io.CopyBuffer(sink, io.LimitReader(body, c.cfg.MaxBytes+1), buf)
	if err != nil {
		res.Size = n
		return c.failure(ctx, err, res, "")
	}
	if n > c.cfg.MaxBytes {
		return c.tooLarge(res)
	}
	if n == 0 {
		res.State = Failed
		res.because(WhyEmpty)
		return res
	}
	res.State = Passed
	res.Size = n
	res.SHA256 = hex.EncodeToString(sink.h.Sum(nil))
	res.ContentType = Sniff(sink.head)
	res.Format = Format(res.ContentType, res.DeclaredType, fileName(resp))
	return res
}

// failed is a result that did not get as far as asking the server.
func failed(state State, code string, pairs ...string) Result {
	res := Result{State: state}
	res.because(code, pairs...)
	return res
}

func (c *Client) tooLarge(res Result) Result {
	res.State, res.Retryable = Failed, false
	res.because(WhyTooLarge, "limit", byteSize(c.cfg.MaxBytes))
	return res
}

// fileName is the best name the response gives: the Content-Disposition filename, else the
// last path of the final URL, else of the URL first asked for.
func fileName(resp *http.Response) string {
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		return params["filename"]
	}
	for r := resp.Request; r != nil; r = previous(r) {
		if codeByExt(r.URL.Path) != "" {
			return r.URL.Path
		}
	}
	return resp.Request.URL.Path
}

func previous(r *http.Request) *http.Request {
	if r.Response == nil {
		return nil
	}
	return r.Response.Request
}

// digest receives the body: it hashes and counts everything and keeps the first sniffLen bytes.
type digest struct {
	h    hash.Hash
	head []byte
}

func (d *digest) Write(p []byte) (int, error) {
	if room := sniffLen - len(d.head); room > 0 {
		if d.head == nil {
			d.head = make([]byte, 0, sniffLen)
		}
		d.head = append(d.head, p[:min(room, len(p))]...)
	}
	return d.h.Write(p)
}

// idleReader pushes the idle deadline back whenever bytes arrive.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	idle  time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.idle)
	}
	return n, err
}
