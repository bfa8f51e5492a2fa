package web

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The admin pages manage API keys, roles and publishing targets (SPEC §1):
// what the command line does on the server, for admins signed in to the UI.
func (s *Server) registerAdmin(mux Router) {
	mux.HandleFunc("GET /admin", s.admin(s.adminHome))
	mux.HandleFunc("GET /admin/keys", s.admin(s.adminKeys))
	mux.HandleFunc("POST /admin/keys", s.adminForm(s.createKey))
	mux.HandleFunc("POST /admin/keys/{prefix}/revoke", s.adminForm(s.revokeKey))
	mux.HandleFunc("GET /admin/keys/{prefix}/revoke", s.admin(s.confirmRevoke))
	mux.HandleFunc("GET /admin/roles", s.admin(s.adminRoles))
	mux.HandleFunc("POST /admin/roles", s.adminForm(s.grantRole))
	mux.HandleFunc("POST /admin/roles/revoke", s.adminForm(s.revokeRole))
	mux.HandleFunc("GET /admin/targets", s.admin(s.adminTargets))
	mux.HandleFunc("POST /admin/targets", s.adminForm(s.saveTarget))
	mux.HandleFunc("POST /admin/targets/{project}/delete", s.adminForm(s.deleteTarget))
	mux.HandleFunc("POST /admin/targets/{project}/check", s.adminForm(s.checkTarget))
}

// admin serves a page to admins only; others signed in are refused.
func (s *Server) admin(h handler) http.HandlerFunc { return s.signedIn(s.adminOnly(h)) }

// adminForm serves an admin's state-changing POST, after the CSRF check.
func (s *Server) adminForm(h handler) http.HandlerFunc { return s.form(s.adminOnly(h)) }

// adminOnly refuses whoever is not an admin.
func (s *Server) adminOnly(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) {
		if !v.Actor.IsAdmin() {
			s.fail(w, r, v, http.StatusForbidden, "error.forbidden_admin")
			return
		}
		h(w, r, v)
	}
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := s.newPage(w, r, v)
	s.render(w, r, http.StatusOK, "admin.html", &p)
}

// seeOther ends a successful POST: to the page, with a message shown once (PRG).
func (s *Server) seeOther(w http.ResponseWriter, r *http.Request, v *viewer, page, flash string) {
	if v.SignedIn() { // the message is the session's, read once: a reload does not repeat it
		if err := s.db.SaveOneTime(r.Context(), flashID(v, flash), v.session.Hash, flash, flashFor); err != nil {
			s.logger.WarnContext(r.Context(), "flash message not kept", "err", err)
		}
	}
	http.Redirect(w, r, page+"?flash="+url.QueryEscape(flash), http.StatusSeeOther)
}

// flashFor is how long a confirmation waits to be shown after its redirect.
const flashFor = 5 * time.Minute

// flashID names a session's pending confirmation message.
func flashID(v *viewer, name string) string {
	return "flash:" + hex.EncodeToString(v.session.Hash) + ":" + name
}

// takeFlash says whether the session had the confirmation name pending, and
// forgets it: a confirmation shows once, not again on a reload or a shared link.
func (s *Server) takeFlash(r *http.Request, v *viewer, name string) bool {
	if !v.SignedIn() {
		return true // before sign-in (the link sent, say), a message carries nothing of the session's
	}
	got, err := s.db.TakeOneTime(r.Context(), flashID(v, name), v.session.Hash)
	if err != nil {
		s.logger.WarnContext(r.Context(), "flash message not read", "err", err)
	}
	return got != ""
}

// inputError is a problem with one form field, shown next to it and in the
// form's error summary; Field is the control's id ("" for the whole form).
type inputError struct {
	Field   string
	Message string
}

// inputErrors are a form's problems, in the order of its fields.
type inputErrors []inputError

// For returns the problem with field, or nil.
func (e inputErrors) For(field string) *inputError {
	for i := range e {
		if e[i].Field == field {
			return &e[i]
		}
	}
	return nil
}

// plainText reports whether s is 1 to max characters of printable text.
func plainText(s string, max int) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	return strings.IndexFunc(s, unicode.IsControl) < 0
}
