package fetch

import (
	"github.com/opendata-datahub/datahub/internal/i18n"
)

// Why a check did not pass: a stable code for clients (reason_code) and for
// the pages, which say it in the reader's language from the catalogue entry
// "filecheck.why.CODE" with the result's ReasonArgs filled in. Reason is the
// English of the same entry, for the API's reason and for logs.
const (
	WhyURLInvalid         = "url_invalid"          //
	WhyURLNoHost          = "url_no_host"          //
	WhyURLScheme          = "url_scheme"           // args: url
	WhyURLCredentials     = "url_credentials"      // args: url
	WhyHTTPAuth           = "http_auth"            // args: status (401, 403)
	WhyHTTPNotFound       = "http_not_found"       // args: status (404, 410)
	WhyHTTPClientError    = "http_client_error"    // args: status (other 4xx)
	WhyHTTPServerError    = "http_server_error"    // args: status (5xx)
	WhyHTTPRedirect       = "http_redirect"        // args: status (3xx with nothing to follow)
	WhyHTTPUnexpected     = "http_unexpected"      // args: status (another 2xx or 1xx)
	WhyAddressRefused     = "address_refused"      // args: detail, addr, host, range
	WhyRedirectRefused    = "redirect_refused"     // args: url, detail, addr, host, range
	WhyRedirectScheme     = "redirect_scheme"      // args: url
	WhyRedirectCredential = "redirect_credentials" // args: url
	WhyTooManyRedirects   = "too_many_redirects"   // args: max
	WhyTotalTimeout       = "total_timeout"        // args: duration
	WhyIdleTimeout        = "idle_timeout"         // args: duration
	WhyCancelled          = "cancelled"            //
	WhyDNSFailed          = "dns_failed"           // args: host
	WhyDNSNotFound        = "dns_not_found"        // args: host
	WhyTLSUnverified      = "tls_unverified"       // args: detail
	WhyConnectFailed      = "connect_failed"       // args: host, detail
	WhyConnectTimeout     = "connect_timeout"      // args: host, duration
	WhyHeaderTimeout      = "header_timeout"       // args: duration
	WhyConnectionClosed   = "connection_closed"    //
	WhyDownloadFailed     = "download_failed"      // args: detail
	WhyEmpty              = "empty"                //
	WhyTooLarge           = "too_large"            // args: limit
)

// ReasonCodes lists every code a check can give, for the catalogue's tests and the API's documentation.
var ReasonCodes = []string{
	WhyURLInvalid, WhyURLNoHost, WhyURLScheme, WhyURLCredentials,
	WhyHTTPAuth, WhyHTTPNotFound, WhyHTTPClientError, WhyHTTPServerError, WhyHTTPRedirect, WhyHTTPUnexpected,
	WhyAddressRefused, WhyRedirectRefused, WhyRedirectScheme, WhyRedirectCredential, WhyTooManyRedirects,
	WhyTotalTimeout, WhyIdleTimeout, WhyCancelled, WhyDNSFailed, WhyDNSNotFound, WhyTLSUnverified,
	WhyConnectFailed, WhyConnectTimeout, WhyHeaderTimeout, WhyConnectionClosed, WhyDownloadFailed,
	WhyEmpty, WhyTooLarge,
}

// because sets the result's reason: its code, its arguments (name, value
// pairs) and its English text.
func (r *Result) because(code string, pairs ...string) {
	r.ReasonCode = code
	r.ReasonArgs = nil
	if len(pairs) > 0 {
		r.ReasonArgs = make(map[string]string, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			r.ReasonArgs[pairs[i]] = pairs[i+1]
		}
	}
	r.Reason = i18n.T(i18n.EN, "filecheck.why."+code, pairs...)
}

// refusalArgs are the arguments of a refused address.
func refusalArgs(e *RefusedError) []string {
	rng := ""
	if e.Range.IsValid() {
		rng = e.Range.String()
	}
	return []string{"detail", e.Error(), "addr", e.Addr.String(), "host", e.Host, "range", rng}
}
