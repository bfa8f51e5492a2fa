package fetch

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// HTTPOptions configures NewHTTPClient. Zero fields take the defaults noted.
type HTTPOptions struct {
	ConnectTimeout    time.Duration // per address dialled, and for the TLS handshake; default 10s
	HeaderTimeout     time.Duration // from request sent to response headers; default 30s
	Timeout           time.Duration // the whole exchange, body included; default 60s
	MaxResponseBytes  int64         // longest response body read; default 10 MiB, then *TooLargeError
	DisableKeepAlives bool          // close each connection after its request
	Resolver          Resolver      // default net.DefaultResolver
	DialContext       DialFunc      // dials a literal "ip:port"; default a net.Dialer (tests inject one)
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 10 << 20
	}
	return o
}

// NewHTTPClient returns an http.Client for calls to outside services (the registry, webhook
// receivers) that connects only where p allows, checked at dial time on every address a host
// resolves to. It uses no proxy, keeps no cookies, leaves the body encoding alone, refuses
// URLs that are not http(s) or carry credentials, and follows no redirect: a 3xx comes back
// as the response. A refused address is an error that errors.As finds as *RefusedError.
func NewHTTPClient(p Policy, opts HTTPOptions) *http.Client {
	opts = opts.withDefaults()
	return &http.Client{
		Transport: &limitedTransport{base: guardedTransport(p, opts), max: opts.MaxResponseBytes},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: opts.Timeout,
	}
}

// guardedTransport is the one place a transport is built, for the file check and for
// NewHTTPClient: every connection goes through the guarded dialer, none through a proxy.
func guardedTransport(p Policy, opts HTTPOptions) *http.Transport {
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.DialContext == nil {
		opts.DialContext = defaultDial(p, opts.ConnectTimeout)
	}
	dialer := &guardedDialer{policy: p, resolver: opts.Resolver, dial: opts.DialContext, timeout: opts.ConnectTimeout}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    opts.ConnectTimeout,
		ResponseHeaderTimeout:  opts.HeaderTimeout,
		DisableCompression:     true, // the caller sees the bytes as sent; no gzip bomb unpacked behind its back
		DisableKeepAlives:      opts.DisableKeepAlives,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// TooLargeError is returned when reading a response body past HTTPOptions.MaxResponseBytes.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the response is larger than the limit of %s", byteSize(e.Limit))
}

// limitedTransport refuses targets the file check would refuse and caps response bodies.
type limitedTransport struct {
	base *http.Transport
	max  int64
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkTarget(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, limit: t.max}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the transport.
func (t *limitedTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

type limitedBody struct {
	rc    io.ReadCloser
	left  int64 // bytes still allowed; negative once the limit was passed
	limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &TooLargeError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte past the limit tells "exactly the limit" from "more"
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), -1
		return n, &TooLargeError{Limit: b.limit}
	}
	b.left -= int64(n)
	if errors.Is(err, io.EOF) {
		return n, io.EOF
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
