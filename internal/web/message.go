package web

import (
	"net/http"
	"net/url"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// t is the catalogue's message for key in lang.
func t(lang i18n.Lang, key string, pairs ...string) string { return i18n.T(lang, key, pairs...) }

// messagePage is a page that only says something: a refusal, an error, a confirmation.
type messagePage struct {
	Page
	Status  int
	Title   string
	Message string
	ID      string // the id of the message, for tests and the browser tests
	SignIn  string // a sign-in link to offer, with its next
}

// messageIDs names each message's element, as the UI contract lists them.
var messageIDs = map[string]string{
	"error.csrf":           "error-csrf",
	"error.forbidden":      "error-forbidden",
	"error.not_found":      "error-not-found",
	"error.signed_out":     "error-signed-out",
	"error.rate":           "error-rate",
	"error.conflict":       "error-conflict",
	"error.form_too_large": "error-too-large",
}

// fail answers with a page that says why, in the reader's language: key.title
// and key in the catalogue.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *viewer, status int, key string) {
	p := messagePage{Page: s.newPage(w, r, v), Status: status, ID: messageIDs[key]}
	p.Title, p.Message = t(p.Lang, key+".title"), t(p.Lang, key)
	if !v.SignedIn() && (status == http.StatusUnauthorized || status == http.StatusForbidden) {
		p.SignIn = "/signin"
		if r.Method == http.MethodGet {
			p.SignIn += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
	}
	s.render(w, r, status, "message.html", &p)
}
