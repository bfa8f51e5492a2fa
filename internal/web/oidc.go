package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig says which OpenID Connect provider signs people in, and how.
type OIDCConfig struct {
	Issuer       string // e.g. https://login.microsoftonline.com/TENANT/v2.0
	ClientID     string
	ClientSecret string
	RedirectURL  string // PublicURL + "/signin/oidc/callback", registered with the provider
	EmailClaim   string // the ID token claim holding the address; default "email"
}

// OIDC signs people in with an OpenID Connect provider (such as Microsoft Entra ID).
type OIDC struct {
	provider   *oidc.Provider
	oauth      oauth2.Config
	clientID   string
	emailClaim string
	client     *http.Client // for the token and key requests, with a timeout
}

// oidcTimeout bounds each request to the provider, so a slow provider holds
// neither the start of the service nor a sign-in for long.
const oidcTimeout = 30 * time.Second

// NewOIDC reads the provider's discovery document. It fails when the issuer
// cannot be reached or describes itself under another name.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client id and redirect URL are required")
	}
	if cfg.EmailClaim == "" {
		cfg.EmailClaim = "email"
	}
	client := &http.Client{Timeout: oidcTimeout}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, client), oidcTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		provider: p,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		clientID: cfg.ClientID, emailClaim: cfg.EmailClaim, client: client,
	}, nil
}

// The cookie that carries one sign-in attempt from the redirect to the
// callback: state, nonce, PKCE verifier and where to go next.
const (
	oidcCookie = "dh_oidc"
	oidcTTL    = 10 * time.Minute
)

type oidcAttempt struct {
	state, nonce, verifier, next string
}

// encode joins the fields with dots: state and nonce are base32, the verifier
// base64url, and next is base64url-encoded since a path may hold any byte.
func (a oidcAttempt) encode() string {
	return a.state + "." + a.nonce + "." + a.verifier + "." + base64.RawURLEncoding.EncodeToString([]byte(a.next))
}

func decodeAttempt(v string) (oidcAttempt, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return oidcAttempt{}, false
	}
	next, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return oidcAttempt{}, false
	}
	return oidcAttempt{state: parts[0], nonce: parts[1], verifier: parts[2], next: localPath(string(next))}, true
}

// oidcStart sends the browser to the provider, remembering the attempt in a
// short-lived cookie that only this site's callback reads.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request, v *viewer) {
	a := oidcAttempt{state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier(),
		next: localPath(r.URL.Query().Get("next"))}
	s.setCookie(w, oidcCookie, a.encode(), int(oidcTTL/time.Second))
	w.Header().Set("Cache-Control", "no-store")
	u := s.cfg.OIDC.oauth.AuthCodeURL(a.state, oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier))
	http.Redirect(w, r, u, http.StatusFound)
}

// oidcCallback finishes the attempt: the provider's code is exchanged for an
// ID token, whose address starts a session. The attempt's cookie is spent
// whatever happens, so a callback works once.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request, v *viewer) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	c, err := r.Cookie(s.cookieName(oidcCookie))
	if err == nil {
		s.setCookie(w, oidcCookie, "", -1)
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.oidcFailed(w, r, v, "provider error", "error", clip(e), "description", clip(q.Get("error_description")))
		return
	}
	if err != nil {
		s.oidcFailed(w, r, v, "no sign-in in progress (cookie missing or expired)")
		return
	}
	a, ok := decodeAttempt(c.Value)
	if !ok {
		s.oidcFailed(w, r, v, "malformed sign-in cookie")
		return
	}
	if !secureEqual(q.Get("state"), a.state) {
		s.oidcFailed(w, r, v, "state does not match")
		return
	}
	if q.Get("code") == "" {
		s.oidcFailed(w, r, v, "no code in the callback")
		return
	}
	email, reason := s.cfg.OIDC.identify(r.Context(), q.Get("code"), a, s.cfg.Now)
	if reason != "" {
		s.oidcFailed(w, r, v, reason)
		return
	}
	email, problem := s.signInAddress(email)
	if problem != "" {
		s.oidcFailed(w, r, v, "address refused", "problem", problem, "claim", s.cfg.OIDC.emailClaim)
		return
	}
	if err := s.startSession(w, r, email, "oidc"); err != nil {
		s.internalError(w, r, err)
		return
	}
	next := a.next
	if next == "" {
		next = s.landingFor(r.Context(), email)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// identify exchanges code for tokens and returns the verified ID token's
// address, or why it cannot. The reasons are logged: they never hold a token.
func (o *OIDC) identify(ctx context.Context, code string, a oidcAttempt, now func() time.Time) (string, string) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.client), oidcTimeout)
	defer cancel()
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			// Error() may quote the response body; the status and RFC 6749 codes are enough.
			return "", fmt.Sprintf("token exchange refused: %s %s %s", re.Response.Status, clip(re.ErrorCode), clip(re.ErrorDescription))
		}
		return "", "token exchange failed: " + err.Error()
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "no ID token in the token response"
	}
	id, err := o.provider.Verifier(&oidc.Config{ClientID: o.clientID, Now: now}).Verify(ctx, raw)
	if err != nil {
		return "", "ID token refused: " + err.Error()
	}
	if !secureEqual(id.Nonce, a.nonce) {
		return "", "ID token nonce does not match"
	}
	var claims map[string]any
	if err := id.Claims(&claims); err != nil {
		return "", "ID token claims: " + err.Error()
	}
	if !emailVerified(claims["email_verified"]) {
		return "", "email_verified is false"
	}
	email, _ := claims[o.emailClaim].(string)
	if email == "" {
		return "", "no " + o.emailClaim + " claim in the ID token"
	}
	return email, ""
}

// emailVerified is false only when the claim is present and says false:
// providers such as Entra ID leave it out, and some send it as a string.
func emailVerified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return !strings.EqualFold(v, "false")
	}
	return true
}

// oidcFailed logs why a sign-in was refused and shows the bilingual refusal,
// with a way back to the sign-in page.
func (s *Server) oidcFailed(w http.ResponseWriter, r *http.Request, v *viewer, reason string, attrs ...any) {
	s.logger.WarnContext(r.Context(), "oidc sign-in refused", append([]any{"reason", reason}, attrs...)...)
	p := messagePage{Page: s.newPage(w, r, v), Status: http.StatusBadRequest, ID: "signin-oidc-failed", SignIn: "/signin"}
	p.Title, p.Message = t(p.Lang, "signin.oidc.failed.title"), t(p.Lang, "signin.oidc.failed")
	s.render(w, r, http.StatusBadRequest, "message.html", &p)
}

// clip keeps what the provider says about an error to a log-sized length.
func clip(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
