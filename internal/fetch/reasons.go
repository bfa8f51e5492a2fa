package fetch

import "strings"

// Why a check did not pass: a stable code for clients (reason_code) and for
// the pages, which say it in the reader's language from the catalogue entry
// "filecheck.why.CODE" with the result's ReasonArgs filled in. Reason is the
// English (EnglishReasons, the same words as the catalogue's English, which a
// test holds), for the API's reason and for logs.
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
	fill := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		fill = append(fill, "{"+pairs[i]+"}", pairs[i+1])
	}
	r.Reason = strings.NewReplacer(fill...).Replace(EnglishReasons[code])
}

// refusalArgs are the arguments of a refused address.
func refusalArgs(e *RefusedError) []string {
	rng := ""
	if e.Range.IsValid() {
		rng = e.Range.String()
	}
	return []string{"detail", e.Error(), "addr", e.Addr.String(), "host", e.Host, "range", rng}
}

// EnglishReasons words each code in English, with {name} for its arguments.
var EnglishReasons = map[string]string{
	"url_invalid":          "the file URL is not a valid absolute URL",
	"url_no_host":          "the file URL has no host name",
	"url_scheme":           "the URL \"{url}\" is refused: only http and https are allowed",
	"url_credentials":      "the URL \"{url}\" is refused: it must not carry a user name or password",
	"http_auth":            "the server answered {status}: the file must be public, reachable without signing in",
	"http_not_found":       "the server answered {status}: check that the file URL is right",
	"http_client_error":    "the server answered {status}",
	"http_server_error":    "the server answered {status}, a server error",
	"http_redirect":        "the server answered {status} without a redirect to follow; 200 OK with the file is expected",
	"http_unexpected":      "the server answered {status}; 200 OK with the file is expected",
	"address_refused":      "{detail}",
	"redirect_refused":     "the server redirected to \"{url}\", and {detail}",
	"redirect_scheme":      "the server redirected to \"{url}\", which is refused: only http and https are allowed",
	"redirect_credentials": "the server redirected to \"{url}\", which is refused: it must not carry a user name or password",
	"too_many_redirects":   "the server redirected more than {max} times",
	"total_timeout":        "the download did not finish within {duration}",
	"idle_timeout":         "the server sent no data for {duration}",
	"cancelled":            "the check was cancelled before it finished",
	"dns_failed":           "the host name \"{host}\" could not be resolved",
	"dns_not_found":        "the host name \"{host}\" does not exist",
	"tls_unverified":       "the server’s TLS certificate could not be verified: {detail}",
	"connect_failed":       "could not connect to host \"{host}\": {detail}",
	"connect_timeout":      "could not connect to host \"{host}\" within {duration}",
	"header_timeout":       "the server did not answer within {duration}",
	"connection_closed":    "the connection was closed before the whole file was received",
	"download_failed":      "the file could not be downloaded: {detail}",
	"empty":                "the file is empty",
	"too_large":            "the file is larger than the limit of {limit}",
}
