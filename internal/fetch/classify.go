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
	"strings"
	"syscall"
)

// targetError is a URL the fetcher will not follow: a scheme other than http(s), or credentials.
type targetError struct{ url, why string }

func (e *targetError) Error() string { return fmt.Sprintf("the URL %q is refused: %s", e.url, e.why) }

// redirectLimitError stops a chain longer than MaxRedirects.
type redirectLimitError struct{ max int }

func (e *redirectLimitError) Error() string {
	return fmt.Sprintf("the server redirected more than %d times", e.max)
}

func checkTarget(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &targetError{redact(u), "only http and https are allowed"}
	}
	if u.User != nil {
		return &targetError{redact(u), "it must not carry a user name or password"}
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
		res.Reason = fmt.Sprintf("the server answered %s: the file must be public, reachable without signing in", status)
	case code == http.StatusNotFound || code == http.StatusGone:
		res.Reason = fmt.Sprintf("the server answered %s: check that the file URL is right", status)
	case code >= 400 && code < 500:
		res.Reason = fmt.Sprintf("the server answered %s", status)
	case code >= 500:
		res.Reason = fmt.Sprintf("the server answered %s, a server error", status)
		res.Retryable = true
	case code >= 300:
		res.Reason = fmt.Sprintf("the server answered %s without a redirect to follow; 200 OK with the file is expected", status)
	default:
		res.Reason = fmt.Sprintf("the server answered %s; 200 OK with the file is expected", status)
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
		res.State, res.Retryable, res.Reason = Refused, false, refused.Error()
		var hop *url.Error
		if errors.As(err, &hop) && firstURL != "" && hop.URL != firstURL {
			if u, perr := url.Parse(hop.URL); perr == nil {
				res.Reason = fmt.Sprintf("the server redirected to %q, and %s", redact(u), refused)
			}
		}
	case errors.As(err, &target):
		res.State, res.Retryable = Refused, false
		res.Reason = fmt.Sprintf("the server redirected to %q, which is refused: %s", target.url, target.why)
	case errors.As(err, &limit):
		res.Retryable, res.Reason = false, limit.Error()
	case errors.Is(cause, errTotalTimeout):
		res.Reason = fmt.Sprintf("the download did not finish within %s", c.cfg.TotalTimeout)
	case errors.Is(cause, errIdleTimeout):
		res.Reason = fmt.Sprintf("the server sent no data for %s", c.cfg.IdleReadTimeout)
	case cause != nil:
		res.Reason = "the check was cancelled before it finished"
	case errors.As(err, &dnsErr):
		res.Retryable = !dnsErr.IsNotFound
		res.Reason = fmt.Sprintf("the host name %q could not be resolved", dnsErr.Name)
		if dnsErr.IsNotFound {
			res.Reason = fmt.Sprintf("the host name %q does not exist", dnsErr.Name)
		}
	case errors.As(err, &certErr):
		res.Retryable = false
		res.Reason = "the server's TLS certificate could not be verified: " + rootMessage(err)
	case errors.As(err, &dialErr):
		res.Reason = fmt.Sprintf("could not connect to host %q: %s", dialErr.host, rootMessage(dialErr.err))
		if errors.As(dialErr.err, &netErr) && netErr.Timeout() {
			res.Reason = fmt.Sprintf("could not connect to host %q within %s", dialErr.host, c.cfg.ConnectTimeout)
		}
	case errors.As(err, &netErr) && netErr.Timeout():
		res.Reason = fmt.Sprintf("the server did not answer within %s", c.cfg.HeaderTimeout)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		res.Reason = "the connection was closed before the whole file was received"
	default:
		res.Reason = "the file could not be downloaded: " + rootMessage(err)
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
