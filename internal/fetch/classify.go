package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// targetError is a URL the fetcher will not follow: a scheme other than http(s), or credentials.
type targetError struct{ url, why, code string }

func (e *targetError) Error() string { return fmt.Sprintf("the URL %q is refused: %s", e.url, e.why) }

// redirectLimitError stops a chain longer than MaxRedirects.
type redirectLimitError struct{ max int }

func (e *redirectLimitError) Error() string {
	return fmt.Sprintf("the server redirected more than %d times", e.max)
}

func checkTarget(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &targetError{redact(u), "only http and https are allowed", WhyURLScheme}
	}
	if u.User != nil {
		return &targetError{redact(u), "it must not carry a user name or password", WhyURLCredentials}
	}
	return nil
}

// redact drops credentials and the query from a URL shown in a reason.
func redact(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.Fragment = nil, "", ""
	return v.String()
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return &redirectLimitError{max: c.cfg.MaxRedirects}
	}
	if err := checkTarget(req.URL); err != nil {
		return fmt.Errorf("redirect: %w", err)
	}
	// The first URL may carry a token in its query; do not hand it to another host.
	req.Header.Del("Referer")
	return nil
}

func statusFailure(res Result) Result {
	code := res.HTTPStatus
	status := strings.TrimSpace(fmt.Sprintf("%d %s", code, http.StatusText(code)))
	res.State = Failed
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		res.because(WhyHTTPAuth, "status", status)
	case code == http.StatusNotFound || code == http.StatusGone:
		res.because(WhyHTTPNotFound, "status", status)
	case code >= 400 && code < 500:
		res.because(WhyHTTPClientError, "status", status)
	case code >= 500:
		res.because(WhyHTTPServerError, "status", status)
		res.Retryable = true
	case code >= 300:
		res.because(WhyHTTPRedirect, "status", status)
	default:
		res.because(WhyHTTPUnexpected, "status", status)
	}
	return res
}

// failure turns a transport or read error into a failed or refused result with a reason.
// firstURL is the URL asked for, to tell when a redirect led to the refused address.
func (c *Client) failure(ctx context.Context, err error, res Result, firstURL string) Result {
	res.State, res.Retryable = Failed, true
	var (
		refused *RefusedError
		target  *targetError
		limit   *redirectLimitError
		dnsErr  *net.DNSError
		dialErr *dialError
		certErr *tls.CertificateVerificationError
		netErr  net.Error
		cause   = context.Cause(ctx)
	)
	switch {
	case errors.As(err, &refused):
		res.State, res.Retryable = Refused, false
		res.because(WhyAddressRefused, refusalArgs(refused)...)
		var hop *url.Error
		if errors.As(err, &hop) && firstURL != "" && hop.URL != firstURL {
			if u, perr := url.Parse(hop.URL); perr == nil {
				res.because(WhyRedirectRefused, append([]string{"url", redact(u)}, refusalArgs(refused)...)...)
			}
		}
	case errors.As(err, &target):
		res.State, res.Retryable = Refused, false
		code := WhyRedirectScheme
		if target.code == WhyURLCredentials {
			code = WhyRedirectCredential
		}
		res.because(code, "url", target.url)
	case errors.As(err, &limit):
		res.Retryable = false
		res.because(WhyTooManyRedirects, "max", strconv.Itoa(limit.max))
	case errors.Is(cause, errTotalTimeout):
		res.because(WhyTotalTimeout, "duration", c.cfg.TotalTimeout.String())
	case errors.Is(cause, errIdleTimeout):
		res.because(WhyIdleTimeout, "duration", c.cfg.IdleReadTimeout.String())
	case cause != nil:
		res.because(WhyCancelled)
	case errors.As(err, &dnsErr):
		res.Retryable = !dnsErr.IsNotFound
		res.because(WhyDNSFailed, "host", dnsErr.Name)
		if dnsErr.IsNotFound {
			res.because(WhyDNSNotFound, "host", dnsErr.Name)
		}
	case errors.As(err, &certErr):
		res.Retryable = false
		res.because(WhyTLSUnverified, "detail", rootMessage(err))
	case errors.As(err, &dialErr):
		res.because(WhyConnectFailed, "host", dialErr.host, "detail", rootMessage(dialErr.err))
		if errors.As(dialErr.err, &netErr) && netErr.Timeout() {
			res.because(WhyConnectTimeout, "host", dialErr.host, "duration", c.cfg.ConnectTimeout.String())
		}
	case errors.As(err, &netErr) && netErr.Timeout():
		res.because(WhyHeaderTimeout, "duration", c.cfg.HeaderTimeout.String())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		res.because(WhyConnectionClosed)
	default:
		res.because(WhyDownloadFailed, "detail", rootMessage(err))
	}
	return res
}

// rootMessage is the innermost error's text, without Go's "Get \"url\": dial tcp ..." chain.
func rootMessage(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// byteSize prints a limit the way an operator wrote it: 2 GiB, 512 MiB, 1500 bytes.
func byteSize(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}
