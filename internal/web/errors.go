package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// methodPages is the Router the pages register on: beside each route it
// registers, once per path, a catch-all that answers any other method with
// the 405 page, in the layout and the reader's language.
type methodPages struct {
	Router
	s       *Server
	methods map[string][]string // path → the methods registered for it
}

func (m *methodPages) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Router.HandleFunc(pattern, h)
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return
	}
	if _, seen := m.methods[path]; !seen {
		m.Router.HandleFunc(path, m.s.page(m.s.methodNotAllowed(path, m)))
	}
	m.methods[path] = append(m.methods[path], method)
	if method == http.MethodGet {
		m.methods[path] = append(m.methods[path], http.MethodHead)
	}
}

// methodNotAllowed says that the address takes a form, and links back to the
// page it belongs to: a bookmark or Back after a form must not end on a bare error.
func (s *Server) methodNotAllowed(path string, m *methodPages) handler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) {
		allow := slices.Clone(m.methods[path])
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(slices.Compact(allow), ", "))
		p := messagePage{Page: s.newPage(w, r, v), Status: http.StatusMethodNotAllowed, ID: "error-method", Back: backFrom(r)}
		p.Title, p.Message = t(p.Lang, "error.method.title"), t(p.Lang, "error.method")
		s.render(w, r, http.StatusMethodNotAllowed, "message.html", &p)
	}
}

// backFrom is the page a form's address belongs to: the submission's
// overview, the admin page, or the person's own list.
func backFrom(r *http.Request) string {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "flow" && parts[1] != "":
		return flowPath(parts[1])
	case len(parts) >= 2 && parts[0] == "admin":
		return "/admin/" + url.PathEscape(parts[1])
	case parts[0] == "signin" || parts[0] == "signout":
		return "/signin"
	}
	return "/"
}

// notFound answers any address no page has.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := messagePage{Page: s.newPage(w, r, v), Status: http.StatusNotFound, ID: "error-not-found", Back: "/"}
	p.Title, p.Message = t(p.Lang, "error.not_found.title"), t(p.Lang, "error.not_found")
	s.render(w, r, http.StatusNotFound, "message.html", &p)
}

// home sends each person where their work is: a visitor to sign in.
func (s *Server) home(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.SignedIn() {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, landing(v), http.StatusSeeOther)
}

// landing is where a person's work is: an approver's queue, else their submissions.
func landing(v *viewer) string {
	if v.SignedIn() && (v.Actor.Approver || len(v.Actor.ApproverOf) > 0) {
		return "/queue"
	}
	return "/submissions"
}

// landingFor is where email lands after signing in without a page to go
// back to; a store failure lands on the submissions, which says it.
func (s *Server) landingFor(ctx context.Context, email string) string {
	a, err := s.db.Actor(ctx, email)
	if err != nil {
		return "/submissions"
	}
	return landing(&viewer{Actor: a, session: &store.Session{}})
}

// faultPages are the pages of the store's faults (store.Fault): a 503 the
// person may retry in a moment and a 507; any other error is the 500 page.
var faultPages = map[string]struct {
	status int
	key    string // of the title and message in the catalogue
	plain  string // when even the layout fails
}{
	opendata.EUNAVAILABLE: {http.StatusServiceUnavailable, "error.unavailable", "Service unavailable / Service indisponible"},
	opendata.ESTORAGEFULL: {http.StatusInsufficientStorage, "error.storage_full", "Storage full / Stockage plein"},
	opendata.EINTERNAL:    {http.StatusInternalServerError, "error.internal", "Internal error / Erreur interne"},
}

// internalError logs err and answers with its page in the layout (faultPages);
// if even that fails, with plain text in both languages.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Fault(err)
	f, ok := faultPages[opendata.ErrorCode(err)]
	if !ok {
		f = faultPages[opendata.EINTERNAL]
	}
	if f.status == http.StatusInternalServerError {
		s.logger.ErrorContext(r.Context(), "web page", "path", r.URL.Path, "err", err)
	} else {
		s.logger.WarnContext(r.Context(), "web page refused: storage fault", "path", r.URL.Path, "err", err)
	}
	if f.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	p := messagePage{Page: Page{Lang: lang(r), Nonce: randNonce()}, Status: f.status,
		ID: "error-" + strings.ReplaceAll(strings.TrimPrefix(f.key, "error."), "_", "-"), Back: "/"}
	p.Other = p.Lang.Other()
	p.Toggle = "?lang=" + string(p.Other)
	p.Title, p.Message = t(p.Lang, f.key+".title"), t(p.Lang, f.key)
	var buf bytes.Buffer
	if t, ok := s.pages["message.html"]; ok && t.ExecuteTemplate(&buf, "layout", &p) == nil {
		setPageHeaders(w, p.Nonce)
		w.WriteHeader(f.status)
		w.Write(buf.Bytes())
		return
	}
	http.Error(w, f.plain, f.status)
}
