package web_test

import (
	"net/http"
	"testing"

	"github.com/opendata-datahub/datahub/internal/web"
)

// The language cookie is Secure when the public URL is https, also when the
// request reaches the service in plain HTTP from a proxy that ended TLS.
func TestLanguageCookieSecureByPublicURL(t *testing.T) {
	for _, tt := range []struct {
		publicURL string
		secure    bool
	}{{"https://datahub.example.gc.ca", true}, {"", false}} {
		srv := newTestServer(t, func(c *web.Config) {
			if tt.publicURL != "" {
				c.PublicURL = tt.publicURL
			}
		})
		r := srv.anonymous().get(t, "/signin?lang=fr")
		wantCode(t, r, http.StatusOK)
		var found bool
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "lang" {
				found = true
				if c.Value != "fr" || c.Secure != tt.secure || !c.HttpOnly {
					t.Errorf("public URL %q: cookie %+v", tt.publicURL, c)
				}
			}
		}
		if !found {
			t.Errorf("public URL %q: no lang cookie", tt.publicURL)
		}
	}
}
