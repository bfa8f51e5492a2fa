package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// linkTTL is how long an emailed sign-in link works.
const linkTTL = 15 * time.Minute

func (s *Server) registerSignIn(mux Router) {
	mux.HandleFunc("GET /{$}", s.page(s.home))
	mux.HandleFunc("GET /signin", s.page(s.signInForm))
	mux.HandleFunc("POST /signin", s.page(s.requestLink))
	mux.HandleFunc("GET /signin/verify", s.page(s.confirmLink))
	mux.HandleFunc("POST /signin/verify", s.page(s.useLink))
	mux.HandleFunc("POST /signout", s.form(s.signOut))
	if s.cfg.OIDC != nil {
		mux.HandleFunc("GET /signin/oidc", s.page(s.oidcStart))
		mux.HandleFunc("GET /signin/oidc/callback", s.page(s.oidcCallback))
	}
}

type signInPage struct {
	Page
	Email string
	Next  string
	Error string // about the email field
	OIDC  bool   // offer OpenID Connect too
	Sent  bool   // the link was sent (or would have been): say so, whoever asked
	Token string // the confirm step: the token to spend
}

func (s *Server) newSignInPage(w http.ResponseWriter, r *http.Request, v *viewer, next string) signInPage {
	return signInPage{Page: s.newPage(w, r, v), Next: localPath(next), OIDC: s.cfg.OIDC != nil}
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := s.newSignInPage(w, r, v, r.URL.Query().Get("next"))
	s.render(w, r, http.StatusOK, "signin.html", &p)
}

// requestLink emails a one-time sign-in link. The answer is the same whether
// or not the address has anything here, so the page tells no one who uses it.
func (s *Server) requestLink(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !s.parseForm(w, r, v) {
		return
	}
	p := s.newSignInPage(w, r, v, r.PostFormValue("next"))
	p.Email = strings.TrimSpace(r.PostFormValue("email"))
	email, problem := s.signInAddress(p.Email)
	if problem != "" {
		p.Error = t(p.Lang, problem)
		s.render(w, r, http.StatusUnprocessableEntity, "signin.html", &p)
		return
	}
	if !s.limits.allow(clientIP(r), email, s.cfg.Now()) {
		s.fail(w, r, v, http.StatusTooManyRequests, "error.rate")
		return
	}
	if err := s.sendLink(r, email, p.Next); err != nil {
		s.logger.ErrorContext(r.Context(), "send sign-in link", "err", err)
		s.fail(w, r, v, http.StatusServiceUnavailable, "error.mail")
		return
	}
	p.Sent = true
	s.render(w, r, http.StatusOK, "signin_sent.html", &p)
}

// signInAddress checks the typed address: one plain address, in an allowed
// domain when domains are configured. It returns the address lower-cased, or
// the catalogue key of the problem.
func (s *Server) signInAddress(typed string) (string, string) {
	if typed == "" {
		return "", "signin.error.required"
	}
	if !opendata.OneAddress(typed) {
		return "", "signin.error.invalid"
	}
	email := opendata.NormEmail(typed)
	if opendata.InEmailDomains(email, s.cfg.EmailDomains) {
		return email, ""
	}
	return "", "signin.error.domain"
}

// sendLink stores a new link's hash and emails the link. The token is 256
// random bits; only its SHA-256 is kept, so a copy of the database signs no one in.
func (s *Server) sendLink(r *http.Request, email, next string) error {
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(token))
	now := s.cfg.Now()
	if err := s.db.CreateLoginToken(r.Context(), store.LoginToken{Hash: h[:], Email: email, Next: next,
		CreatedAt: now, ExpiresAt: now.Add(linkTTL)}); err != nil {
		return err
	}
	if s.cfg.Mailer == nil {
		return errors.New("no mailer configured")
	}
	link := s.cfg.PublicURL + "/signin/verify?token=" + token
	return s.cfg.Mailer.SendSignInLink(r.Context(), email, link, linkTTL, string(lang(r)))
}

// confirmLink shows a button that spends the link. Opening the link does not
// spend it: mail scanners open links before people do.
func (s *Server) confirmLink(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := s.newSignInPage(w, r, v, "")
	p.Token = r.URL.Query().Get("token")
	s.render(w, r, http.StatusOK, "signin_verify.html", &p)
}

// useLink spends the link and signs the browser in with a new session.
func (s *Server) useLink(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !s.parseForm(w, r, v) {
		return
	}
	h := sha256.Sum256([]byte(r.PostFormValue("token")))
	tok, err := s.db.UseLoginToken(r.Context(), h[:], s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrTokenUsed):
		s.invalidLink(w, r, v, "signin.invalid.used", tok.Next)
		return
	case errors.Is(err, store.ErrTokenExpired):
		s.invalidLink(w, r, v, "signin.invalid.expired", tok.Next)
		return
	case errors.Is(err, store.ErrTokenUnknown):
		s.invalidLink(w, r, v, "signin.invalid.unknown", "")
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	if err := s.startSession(w, r, tok.Email, "link"); err != nil {
		s.internalError(w, r, err)
		return
	}
	next := localPath(tok.Next)
	if next == "" {
		next = s.landingFor(r.Context(), tok.Email)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// invalidLink refuses a link; signing in again keeps the page the link was going to.
func (s *Server) invalidLink(w http.ResponseWriter, r *http.Request, v *viewer, key, next string) {
	p := messagePage{Page: s.newPage(w, r, v), Status: http.StatusBadRequest, ID: "signin-invalid", SignIn: "/signin"}
	if next = localPath(next); next != "" {
		p.SignIn += "?next=" + url.QueryEscape(next)
	}
	p.Title, p.Message = t(p.Lang, "signin.invalid.title"), t(p.Lang, key)
	s.render(w, r, http.StatusBadRequest, "message.html", &p)
}

// startSession signs the browser in as email with a fresh session token (never
// one the browser had before) and its own CSRF token.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, email, method string) error {
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(token))
	now := s.cfg.Now()
	if err := s.db.CreateSession(r.Context(), store.Session{Hash: h[:], Email: email, CSRF: rand.Text(), Method: method,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}); err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, token, int(s.cfg.SessionTTL/time.Second))
	s.setCookie(w, anonCookie, "", -1)
	s.logger.InfoContext(r.Context(), "signed in", "email", opendata.NormEmail(email), "method", method)
	return nil
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v *viewer) {
	if err := s.db.EndSession(r.Context(), v.session.Hash); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin?flash=signed_out", http.StatusSeeOther)
}

// clientIP is the address the request came from, for rate limits. Behind a
// proxy every request shares the proxy's address, which limits more, not less.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
