// Package client drives DataHub's JSON API (SPEC §2): submit datasets, validate
// them, read their status and the choice lists. It retries what is safe to
// retry: 429 after the wait the server asks for, and 5xx or network failures
// of reads and of submissions sent with an Idempotency-Key.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Client calls one DataHub server with one API key. It is safe for
// concurrent use; its goroutines share the server's rate limit.
type Client struct {
	base       string
	key        string
	hc         *http.Client
	lang       string
	userAgent  string
	retries    int
	backoff    time.Duration
	maxWait    time.Duration
	mu         sync.Mutex
	pauseUntil time.Time     // no request leaves before this (the server's rate limit)
	pace       *rate.Limiter // the pace the server's RateLimit-Policy announces; unlimited until one is seen
}

// Option changes a Client built by New.
type Option func(*Client)

// WithHTTPClient sends requests through hc (its timeout, transport, proxy).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithLanguage asks for messages in lang ("en" or "fr") through Accept-Language.
func WithLanguage(lang string) Option { return func(c *Client) { c.lang = lang } }

// WithUserAgent names the calling system in the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRetries sets how many times a request is sent again after a retryable
// failure (default 6); 0 sends every request once.
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// WithBackoff sets the first wait between attempts when the server names none
// (default 500ms); it doubles each time, up to the longest wait.
func WithBackoff(d time.Duration) Option { return func(c *Client) { c.backoff = d } }

// WithMaxWait sets the longest the client waits before one retry (default 1m).
// When the server asks for longer, the request fails with its *Problem.
func WithMaxWait(d time.Duration) Option { return func(c *Client) { c.maxWait = d } }

// New returns a client of the server at baseURL (e.g. "https://datahub.example.gc.ca")
// that authenticates with key.
func New(baseURL, key string, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		key:       key,
		hc:        http.DefaultClient,
		userAgent: "datahub-client",
		retries:   6,
		backoff:   500 * time.Millisecond,
		maxWait:   time.Minute,
		pace:      rate.NewLimiter(rate.Inf, 1),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// rateLimitedRetries times the retries is how often a request answered 429 is sent again.
const rateLimitedRetries = 4

// request is one API call, sent again as many times as the retries allow.
type request struct {
	method, path string
	body         []byte
	header       http.Header
	// retryAll allows retrying 5xx and network failures: true for reads and
	// for submissions that carry an Idempotency-Key.
	retryAll bool
}

// response is a successful (2xx or 304) answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req, retrying what may be retried, and returns a 2xx or 304 answer,
// a *Problem for any other status, or the last transport error.
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	for attempt, limited := 0, 0; ; {
		if err := c.waitTurn(ctx); err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, req)
		wait, retry := c.retryable(req, resp, err, attempt, limited)
		if err == nil && resp.status == http.StatusTooManyRequests {
			limited++
		} else {
			attempt++
		}
		if !retry {
			if err != nil {
				return nil, err
			}
			if resp.status >= 300 && resp.status != http.StatusNotModified {
				return nil, problemFrom(resp)
			}
			return resp, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryable decides whether the outcome of one attempt is worth another, and
// how long to wait first. attempts counts failures, limited the 429 answers.
func (c *Client) retryable(req request, resp *response, err error, attempt, limited int) (time.Duration, bool) {
	if ctxDone(err) {
		return 0, false
	}
	if err == nil && resp.status == http.StatusTooManyRequests {
		// The server did nothing with the request: always safe to send again, and
		// allowed more often than failures, since busy workers of one key compete.
		if limited >= rateLimitedRetries*c.retries {
			return 0, false
		}
		wait := retryAfter(resp.header, time.Now())
		if wait > c.maxWait {
			return 0, false
		}
		c.pause(wait)
		return wait + c.backoffFor(limited)/4, true // spread the workers that wake together
	}
	if attempt >= c.retries {
		return 0, false
	}
	backoff := c.backoffFor(attempt)
	switch {
	case err != nil:
		return backoff, req.retryAll
	case resp.status == http.StatusConflict && req.header.Get("Idempotency-Key") != "":
		return backoff, true // the first request with this key is still running
	case resp.status >= 500:
		// A 503 names when the service expects to be back (a database restart):
		// waiting less only spends the retries.
		if ra := retryAfter(resp.header, time.Now()); ra > backoff && ra <= c.maxWait {
			backoff = ra
		}
		return backoff, req.retryAll
	}
	return 0, false
}

// backoffFor is an exponential wait with jitter, so that many workers that
// failed together do not come back together.
func (c *Client) backoffFor(attempt int) time.Duration {
	d := c.backoff << min(attempt, 16)
	if d <= 0 || d > c.maxWait {
		d = c.maxWait
	}
	return d/2 + rand.N(d/2+1)
}

// send makes one attempt.
func (c *Client) send(ctx context.Context, req request) (*response, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, c.base+req.path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	hr.Header.Set("DH-Auth-Key", c.key)
	hr.Header.Set("Accept", "application/json, application/problem+json")
	hr.Header.Set("User-Agent", c.userAgent)
	if c.lang != "" {
		hr.Header.Set("Accept-Language", c.lang)
	}
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.header {
		hr.Header[k] = v
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", req.method, req.path, err)
	}
	c.observe(res.Header)
	return &response{status: res.StatusCode, header: res.Header, body: raw}, nil
}

// getJSON reads path into out.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, retryAll: true})
	if err != nil {
		return err
	}
	return decode(resp, out)
}

func decode(resp *response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("decode answer (status %d): %w", resp.status, err)
	}
	return nil
}

func ctxDone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
