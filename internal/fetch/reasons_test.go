package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// Every reason a check gives is coded, its English is the catalogue's, and
// the catalogue says it in French too, with the same arguments.
func TestReasonsAreCodedAndTranslated(t *testing.T) {
	if len(EnglishReasons) != len(ReasonCodes) {
		t.Errorf("%d codes, %d English reasons", len(ReasonCodes), len(EnglishReasons))
	}
	for _, code := range ReasonCodes {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			if !i18n.Has(lang, "filecheck.why."+code) {
				t.Errorf("%s: no %s message filecheck.why.%s", code, lang, code)
			}
		}
		if en := i18n.T(i18n.EN, "filecheck.why."+code); en != EnglishReasons[code] {
			t.Errorf("%s: the catalogue says %q, the file check %q", code, en, EnglishReasons[code])
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/forbidden":
			w.WriteHeader(http.StatusForbidden)
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		case "/broken":
			w.WriteHeader(http.StatusBadGateway)
		case "/moved":
			w.WriteHeader(http.StatusMultipleChoices)
		case "/empty":
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		case "/ftp":
			http.Redirect(w, r, "ftp://files.test/data.csv", http.StatusFound)
		case "/private":
			http.Redirect(w, r, "http://internal.example/data.csv", http.StatusFound)
		}
	}))
	defer srv.Close()
	tests := []struct {
		url, code string
		args      map[string]string
		french    string
	}{
		{srv.URL + "/forbidden", WhyHTTPAuth, map[string]string{"status": "403 Forbidden"}, "le serveur a répondu 403 Forbidden : le fichier doit être public"},
		{srv.URL + "/gone", WhyHTTPNotFound, map[string]string{"status": "410 Gone"}, "vérifiez que l’adresse du fichier est exacte"},
		{srv.URL + "/teapot", WhyHTTPClientError, map[string]string{"status": "418 I'm a teapot"}, "le serveur a répondu 418"},
		{srv.URL + "/broken", WhyHTTPServerError, map[string]string{"status": "502 Bad Gateway"}, "une erreur du serveur"},
		{srv.URL + "/moved", WhyHTTPRedirect, map[string]string{"status": "300 Multiple Choices"}, "sans redirection à suivre"},
		{srv.URL + "/empty", WhyEmpty, nil, "le fichier est vide"},
		{srv.URL + "/big", WhyTooLarge, map[string]string{"limit": "1 KiB"}, "le fichier dépasse la limite de 1 KiB"},
		{srv.URL + "/ftp", WhyRedirectScheme, map[string]string{"url": "ftp://files.test/data.csv"}, "seuls http et https sont acceptés"},
		{srv.URL + "/private", WhyRedirectRefused, nil, "le serveur a redirigé vers « http://internal.example/data.csv »"},
		{"http://nowhere.example/data.csv", WhyDNSNotFound, map[string]string{"host": "nowhere.example"}, "le nom d’hôte « nowhere.example » n’existe pas"},
		{"not a url", WhyURLInvalid, nil, "n’est pas une adresse URL absolue valide"},
		{"http://user:pw@files.test/x", WhyURLCredentials, map[string]string{"url": "http://files.test/x"}, "ni nom d’utilisateur ni mot de passe"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			c, _ := newTestClient(t, Config{MaxBytes: 1024, Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
			res := c.Check(context.Background(), tt.url)
			if res.ReasonCode != tt.code {
				t.Fatalf("code %q (%s), want %q", res.ReasonCode, res.Reason, tt.code)
			}
			for k, v := range tt.args {
				if res.ReasonArgs[k] != v {
					t.Errorf("argument %s = %q, want %q", k, res.ReasonArgs[k], v)
				}
			}
			if en := i18n.T(i18n.EN, "filecheck.why."+res.ReasonCode, pairs(res.ReasonArgs)...); en != res.Reason {
				t.Errorf("English %q, the catalogue says %q", res.Reason, en)
			}
			if fr := i18n.T(i18n.FR, "filecheck.why."+res.ReasonCode, pairs(res.ReasonArgs)...); !strings.Contains(fr, tt.french) || strings.Contains(fr, "{") {
				t.Errorf("French %q, want it to contain %q", fr, tt.french)
			}
		})
	}
}

// pairs turns arguments back into name, value pairs for i18n.T.
func pairs(args map[string]string) []string {
	var out []string
	for k, v := range args {
		out = append(out, k, v)
	}
	return out
}
