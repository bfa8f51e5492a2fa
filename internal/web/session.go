package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// The cookies. Over HTTPS they take the __Host- prefix, which binds them to
// this host and path / and makes the browser refuse them without Secure.
const (
	sessionCookie = "dh_session" // the session token; its SHA-256 is the stored key
	anonCookie    = "dh_csrf"    // the CSRF token of a visitor not signed in (double submit)
	csrfField     = "csrf"       // the hidden field every form carries
)

func (s *Server) cookieName(name string) string {
	if s.secure {
		return "__Host-" + name
	}
	return name
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// viewer is who is looking at a page: anonymous, or signed in with the roles
// their address holds now.
type viewer struct {
	Actor   opendata.Actor
	session *store.Session
}

// SignedIn reports whether the viewer has a session.
func (v *viewer) SignedIn() bool { return v != nil && v.session != nil }

// viewerOf reads the session cookie. A missing, unknown or ended session is an
// anonymous viewer; only a store failure is an error.
func (s *Server) viewerOf(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		return &viewer{}, nil
	}
	h := sha256.Sum256([]byte(c.Value))
	sess, err := s.db.Session(r.Context(), h[:], s.cfg.Now())
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return &viewer{}, nil
	} else if err != nil {
		return nil, err
	}
	a, err := s.db.Actor(r.Context(), sess.Email)
	if err != nil {
		return nil, err
	}
	return &viewer{Actor: a, session: sess}, nil
}

// handler is a page handler that knows its viewer.
type handler func(w http.ResponseWriter, r *http.Request, v *viewer)

// page serves h to anyone; h decides what the viewer may see.
func (s *Server) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.keepLang(w, r)
		v, err := s.viewerOf(r)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		s.rememberLang(r, v)
		h(w, r, v)
	}
}

// rememberLang records the language a signed-in person reads the pages in,
// when it is not the one remembered, so their email puts it first. A failure
// costs only the order of their next email's languages: it is logged.
func (s *Server) rememberLang(r *http.Request, v *viewer) {
	if !v.SignedIn() {
		return
	}
	l := string(lang(r))
	if l == v.session.Lang {
		return
	}
	if err := s.db.SetLanguage(r.Context(), v.session.Email, l); err != nil {
		s.logger.WarnContext(r.Context(), "could not remember the language", "err", err)
		return
	}
	v.session.Lang = l
}

// signedIn serves h to signed-in viewers and sends others to sign in first,
// then back here.
func (s *Server) signedIn(h handler) http.HandlerFunc {
	return s.page(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		if !v.SignedIn() {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, v)
	})
}

// maxForm bounds a form body; only the signed approval upload, which reads
// its own multipart body, takes more.
const maxForm = 256 << 10

// form serves a state-changing POST to signed-in viewers: the body is parsed
// (urlencoded, bounded) and its CSRF token checked before h runs.
func (s *Server) form(h handler) http.HandlerFunc {
	return s.page(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		if !v.SignedIn() {
			s.fail(w, r, v, http.StatusUnauthorized, "error.signed_out")
			return
		}
		if !s.parseForm(w, r, v) {
			return
		}
		h(w, r, v)
	})
}

// parseForm reads an urlencoded form, bounded in size and time, and checks
// its CSRF token, answering the request itself when either fails. A multipart
// body is refused unread: no form here takes a file but the signed approval's,
// whose handler reads it.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request, v *viewer) bool {
	if isMultipart(r) {
		s.fail(w, r, v, http.StatusUnsupportedMediaType, "error.form_type")
		return false
	}
	bodyDeadline(w, s.cfg.FormReadTimeout)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.bodyFailed(w, r, v, err)
		return false
	}
	return s.checkCSRF(w, r, v)
}

// isMultipart says whether the request body is multipart, whatever the case
// of its media type.
func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type"))), "multipart/")
}

// bodyFailed answers a form whose body could not be read: too large, too
// slow, or cut off.
func (s *Server) bodyFailed(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	var ne net.Error
	switch {
	case errors.As(err, new(*http.MaxBytesError)):
		s.fail(w, r, v, http.StatusRequestEntityTooLarge, "error.form_too_large")
	case errors.As(err, &ne) && ne.Timeout():
		s.fail(w, r, v, http.StatusRequestTimeout, "error.form_unreadable")
	default:
		s.fail(w, r, v, http.StatusBadRequest, "error.form_unreadable")
	}
}

// checkCSRF compares the form's token, already parsed into r.PostForm, with
// the viewer's, and refuses the request on a mismatch. It never reads the body.
// Cross-origin requests were already refused by http.CrossOriginProtection.
func (s *Server) checkCSRF(w http.ResponseWriter, r *http.Request, v *viewer) bool {
	if !s.validCSRF(r, v, r.PostForm.Get(csrfField)) {
		s.fail(w, r, v, http.StatusForbidden, "error.csrf")
		return false
	}
	return true
}

// validCSRF compares got with the session's token (signed in) or with the
// visitor's cookie (the sign-in forms, double submit).
func (s *Server) validCSRF(r *http.Request, v *viewer, got string) bool {
	want := ""
	if v.SignedIn() {
		want = v.session.CSRF
	} else if c, err := r.Cookie(s.cookieName(anonCookie)); err == nil {
		want = c.Value
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// csrfToken returns the token the page's forms carry: the session's, or for a
// visitor not signed in a random one kept in a cookie (set here if missing).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request, v *viewer) string {
	if v.SignedIn() {
		return v.session.CSRF
	}
	if c, err := r.Cookie(s.cookieName(anonCookie)); err == nil && len(c.Value) >= 16 {
		return c.Value
	}
	tok := rand.Text()
	s.setCookie(w, anonCookie, tok, 0)
	return tok
}

// localPath returns next if it is a path on this site, else "": a sign-in
// link must not send anyone elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return next
}

// secureEqual compares two secrets in constant time.
func secureEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
