package web

import (
	"net/http"
	"net/url"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
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
	Back    string // a way back, when there is one
}

// messageIDs names each message's element, as the UI contract lists them.
var messageIDs = map[string]string{
	"error.csrf":                  "error-csrf",
	"error.forbidden":             "error-forbidden",
	"error.forbidden_queue":       "error-forbidden",
	"error.forbidden_queue_admin": "error-forbidden",
	"error.forbidden_admin":       "error-forbidden",
	"error.not_found":             "error-not-found",
	"error.signed_out":            "error-signed-out",
	"error.rate":                  "error-rate",
	"error.conflict":              "error-conflict",
	"error.form_too_large":        "error-too-large",
	"error.form_type":             "error-form-type",
	"error.form_unreadable":       "error-form-unreadable",
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

// refuse answers a coded error of the workflow or the store with its page:
// the one place the web UI turns an error code into a status.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	switch opendata.ErrorCode(err) {
	case opendata.EUNAUTHORIZED:
		s.fail(w, r, v, http.StatusUnauthorized, "error.signed_out")
	case opendata.EFORBIDDEN:
		s.fail(w, r, v, http.StatusForbidden, "error.forbidden")
	case opendata.ENOTFOUND:
		s.fail(w, r, v, http.StatusNotFound, "error.not_found")
	case opendata.ECONFLICT:
		s.fail(w, r, v, http.StatusConflict, "error.conflict")
	default:
		s.internalError(w, r, err)
	}
}
