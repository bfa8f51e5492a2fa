package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
	"github.com/opendata-datahub/datahub/internal/web"
)

const (
	idpClientID     = "datahub-client"
	idpClientSecret = "s3cret-of-the-client"
	idpUser         = "Jane.Doe@Example.GC.CA"
)

// idpKey signs the fake provider's ID tokens; one key serves every test,
// since making RSA keys is slow under -race.
var idpKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeIdP is an OpenID provider on loopback: discovery, keys, an authorization
// endpoint that approves at once, and a token endpoint that checks the client,
// the code (single use) and the PKCE verifier.
type fakeIdP struct {
	ts          *httptest.Server
	redirectURL string

	mu       sync.Mutex
	grants   map[string]idpGrant // by code
	deny     string              // answer the next authorization with this error
	claims   map[string]any      // set in, or replacing, the next ID token's claims
	secrets  []string            // codes and tokens handed out, which no log may hold
	problems []string            // what the token endpoint refused, and why
}

type idpGrant struct {
	challenge, nonce, redirect string
	claims                     map[string]any
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	p := &fakeIdP{grants: map[string]idpGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.ts = httptest.NewServer(mux)
	t.Cleanup(p.ts.Close)
	return p
}

func (p *fakeIdP) discovery(w http.ResponseWriter, r *http.Request) {
	u := p.ts.URL
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token",
		"jwks_uri": u + "/keys", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"},
	})
}

func (p *fakeIdP) keys(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &idpKey().PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"},
	}})
}

// authorize checks what the service asks for and sends the browser back with
// a code, or with the error the test set.
func (p *fakeIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("redirect_uri") != p.redirectURL || q.Get("client_id") != idpClientID ||
		q.Get("response_type") != "code" || q.Get("scope") != "openid email profile" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("state") == "" || q.Get("nonce") == "" {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v := url.Values{"state": {q.Get("state")}}
	if p.deny != "" {
		v.Set("error", p.deny)
		v.Set("error_description", "The user declined.")
		p.deny = ""
	} else {
		code := rand.Text()
		p.grants[code] = idpGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
			redirect: q.Get("redirect_uri"), claims: p.claims}
		p.claims = nil
		p.secrets = append(p.secrets, code)
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	refuse := func(why string) {
		p.problems = append(p.problems, why)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": why})
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != idpClientID || secret != idpClientSecret {
		refuse("client authentication")
		return
	}
	code := r.PostFormValue("code")
	g, ok := p.grants[code]
	delete(p.grants, code)
	switch {
	case r.PostFormValue("grant_type") != "authorization_code":
		refuse("grant type")
		return
	case !ok:
		refuse("unknown or used code")
		return
	case r.PostFormValue("redirect_uri") != g.redirect:
		refuse("redirect_uri")
		return
	}
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		refuse("PKCE verifier")
		return
	}
	now := time.Now()
	claims := map[string]any{"iss": p.ts.URL, "sub": "user-1", "aud": idpClientID, "nonce": g.nonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": idpUser, "email_verified": true}
	for k, v := range g.claims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	idToken := signJWT(claims)
	access := rand.Text()
	p.secrets = append(p.secrets, idToken, access)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer",
		"expires_in": 3600, "id_token": idToken})
}

func signJWT(claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: idpKey(), KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return raw
}

// next sets what the next sign-in is answered with.
func (p *fakeIdP) next(claims map[string]any, deny string) {
	p.mu.Lock()
	p.claims, p.deny = claims, deny
	p.mu.Unlock()
}

// oidcRig is the service's pages, on a real store, signing in through a fakeIdP.
type oidcRig struct {
	idp *fakeIdP
	ts  *httptest.Server
	db  *store.DB
	log *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newOIDCRig(t *testing.T, emailClaim string, domains ...string) *oidcRig {
	t.Helper()
	rig := &oidcRig{idp: newFakeIdP(t), db: storetest.Open(t, storetest.FreshSQLite(t)), log: &syncBuffer{}}
	rig.ts = httptest.NewUnstartedServer(nil)
	public := "http://" + rig.ts.Listener.Addr().String()
	rig.idp.redirectURL = public + "/signin/oidc/callback"
	o, err := web.NewOIDC(context.Background(), web.OIDCConfig{Issuer: rig.idp.ts.URL, ClientID: idpClientID,
		ClientSecret: idpClientSecret, RedirectURL: rig.idp.redirectURL, EmailClaim: emailClaim})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(rig.log, nil))
	srv, err := web.New(web.Config{Store: rig.db, Vocab: opendata.MustLoadVocabulary(), PublicURL: public,
		EmailDomains: domains, OIDC: o, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	rig.ts.Config.Handler = mux
	rig.ts.Start()
	t.Cleanup(rig.ts.Close)
	t.Cleanup(func() {
		logs := rig.log.String()
		for _, s := range rig.idp.secrets {
			if strings.Contains(logs, s) {
				t.Errorf("a code or token from the provider is in the log:\n%s", logs)
			}
		}
	})
	return rig
}

// oidcBrowser keeps cookies and lets the test follow each redirect itself.
func oidcBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type hop struct {
	status   int
	location string
	body     string
	cookies  []*http.Cookie
}

func visit(t *testing.T, c *http.Client, u string, headers ...string) hop {
	t.Helper()
	r := get(t, c, u, headers...)
	return hop{r.status, r.header.Get("Location"), r.body, (&http.Response{Header: r.header}).Cookies()}
}

// toCallback starts a sign-in and lets the provider answer: it returns the
// callback URL the provider sent the browser to.
func (rig *oidcRig) toCallback(t *testing.T, c *http.Client, next string) string {
	t.Helper()
	start := visit(t, c, rig.ts.URL+"/signin/oidc?next="+url.QueryEscape(next))
	if start.status != http.StatusFound || !strings.HasPrefix(start.location, rig.idp.ts.URL+"/authorize?") {
		t.Fatalf("start: %d to %q", start.status, start.location)
	}
	var attempt *http.Cookie
	for _, ck := range start.cookies {
		if ck.Name == "dh_oidc" {
			attempt = ck
		}
	}
	if attempt == nil || !attempt.HttpOnly || attempt.SameSite != http.SameSiteLaxMode || attempt.MaxAge != 600 {
		t.Fatalf("attempt cookie: %+v", attempt)
	}
	auth := visit(t, c, start.location)
	if auth.status != http.StatusFound || !strings.HasPrefix(auth.location, rig.idp.redirectURL+"?") {
		t.Fatalf("provider: %d to %q: %s", auth.status, auth.location, auth.body)
	}
	return auth.location
}

// sessionOf returns the session the cookie names, or nil.
func (rig *oidcRig) sessionOf(t *testing.T, cookies []*http.Cookie) *store.Session {
	t.Helper()
	for _, ck := range cookies {
		if ck.Name == "dh_session" && ck.Value != "" {
			h := sha256.Sum256([]byte(ck.Value))
			s, err := rig.db.Session(context.Background(), h[:], time.Now())
			if err != nil {
				t.Fatalf("session: %v", err)
			}
			return s
		}
	}
	return nil
}

func (rig *oidcRig) checkRefused(t *testing.T, h hop, reason string) {
	t.Helper()
	if h.status != http.StatusBadRequest || !strings.Contains(h.body, `id="signin-oidc-failed"`) ||
		!strings.Contains(h.body, "Sign-in with your organization did not work") {
		t.Errorf("got %d, want the refusal page:\n%s", h.status, h.body)
	}
	if s := rig.sessionOf(t, h.cookies); s != nil {
		t.Errorf("a refused sign-in started a session for %s", s.Email)
	}
	if logs := rig.log.String(); !strings.Contains(logs, "oidc sign-in refused") || !strings.Contains(logs, reason) {
		t.Errorf("log does not say %q:\n%s", reason, logs)
	}
}

func TestOIDCSignIn(t *testing.T) {
	rig := newOIDCRig(t, "", "example.gc.ca")
	c := oidcBrowser()
	if h := visit(t, c, rig.ts.URL+"/"); h.location != "/signin" {
		t.Fatalf("before sign-in, / goes to %q", h.location)
	}
	cb := rig.toCallback(t, c, "/flow/abc?x=1&y=2")
	done := visit(t, c, cb)
	if done.status != http.StatusSeeOther || done.location != "/flow/abc?x=1&y=2" {
		t.Fatalf("callback: %d to %q:\n%s", done.status, done.location, done.body)
	}
	s := rig.sessionOf(t, done.cookies)
	if s == nil || s.Email != "jane.doe@example.gc.ca" || s.Method != "oidc" {
		t.Fatalf("session: %+v", s)
	}
	for _, ck := range done.cookies {
		if ck.Name == "dh_oidc" && ck.MaxAge >= 0 {
			t.Errorf("the attempt cookie is not cleared: %+v", ck)
		}
	}
	if h := visit(t, c, rig.ts.URL+"/"); h.location != "/submissions" {
		t.Errorf("signed in, / goes to %q", h.location)
	}
	if p := rig.idp.problems; len(p) != 0 {
		t.Errorf("the provider refused: %v", p)
	}

	// The same callback a second time finds no attempt to finish.
	again := visit(t, c, cb)
	rig.checkRefused(t, again, "no sign-in in progress")
}

func TestOIDCSignInDefaultsToSubmissions(t *testing.T) {
	rig := newOIDCRig(t, "")
	c := oidcBrowser()
	done := visit(t, c, rig.toCallback(t, c, "https://elsewhere.example/"))
	if done.status != http.StatusSeeOther || done.location != "/submissions" {
		t.Fatalf("callback: %d to %q", done.status, done.location)
	}
}

func TestOIDCSignInWithAnotherClaim(t *testing.T) {
	rig := newOIDCRig(t, "preferred_username", "example.gc.ca")
	rig.idp.next(map[string]any{"email": nil, "email_verified": nil, "preferred_username": "sam.roy@example.gc.ca"}, "")
	c := oidcBrowser()
	done := visit(t, c, rig.toCallback(t, c, ""))
	if s := rig.sessionOf(t, done.cookies); done.status != http.StatusSeeOther || s == nil || s.Email != "sam.roy@example.gc.ca" {
		t.Fatalf("callback: %d, session %+v:\n%s", done.status, s, done.body)
	}
}

func TestOIDCRefusals(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]any
		deny   string
		edit   func(cb string) string // changes the callback URL
		reason string
	}{
		{name: "wrong state", edit: func(cb string) string {
			u, _ := url.Parse(cb)
			q := u.Query()
			q.Set("state", strings.Repeat("A", 26))
			u.RawQuery = q.Encode()
			return u.String()
		}, reason: "state does not match"},
		{name: "wrong nonce", claims: map[string]any{"nonce": "not-the-nonce"}, reason: "nonce does not match"},
		{name: "no nonce", claims: map[string]any{"nonce": nil}, reason: "nonce does not match"},
		{name: "wrong audience", claims: map[string]any{"aud": "another-client"}, reason: "expected audience"},
		{name: "wrong issuer", claims: map[string]any{"iss": "http://127.0.0.1:1"}, reason: "different provider"},
		{name: "expired", claims: map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}, reason: "expired"},
		{name: "unverified email", claims: map[string]any{"email_verified": false}, reason: "email_verified is false"},
		{name: "unverified email as text", claims: map[string]any{"email_verified": "false"}, reason: "email_verified is false"},
		{name: "no email", claims: map[string]any{"email": nil}, reason: "no email claim"},
		{name: "outside the domains", claims: map[string]any{"email": "mallory@example.com"}, reason: "signin.error.domain"},
		{name: "not an address", claims: map[string]any{"email": "Jane Doe <jane@example.gc.ca>"}, reason: "signin.error.invalid"},
		{name: "provider error", deny: "access_denied", reason: "access_denied"},
		{name: "no code", edit: func(cb string) string {
			u, _ := url.Parse(cb)
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
			return u.String()
		}, reason: "no code"},
		{name: "unknown code", edit: func(cb string) string {
			u, _ := url.Parse(cb)
			q := u.Query()
			q.Set("code", "forged")
			u.RawQuery = q.Encode()
			return u.String()
		}, reason: "token exchange refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newOIDCRig(t, "", "example.gc.ca")
			rig.idp.next(tt.claims, tt.deny)
			c := oidcBrowser()
			cb := rig.toCallback(t, c, "/flow/abc")
			if tt.edit != nil {
				cb = tt.edit(cb)
			}
			rig.checkRefused(t, visit(t, c, cb), tt.reason)
		})
	}
}

// A callback reached without starting here (a link someone was sent, or a
// code stolen from another browser) is refused, and the provider's one-time
// code is not spent by it.
func TestOIDCCallbackNeedsTheAttemptCookie(t *testing.T) {
	rig := newOIDCRig(t, "")
	victim, attacker := oidcBrowser(), oidcBrowser()
	cb := rig.toCallback(t, victim, "")
	rig.checkRefused(t, visit(t, attacker, cb), "no sign-in in progress")

	// The attacker's own attempt has another state.
	rig.toCallback(t, attacker, "")
	rig.checkRefused(t, visit(t, attacker, cb), "state does not match")

	if done := visit(t, victim, cb); done.status != http.StatusSeeOther || rig.sessionOf(t, done.cookies) == nil {
		t.Errorf("the right browser could not finish: %d:\n%s", done.status, done.body)
	}
}

func TestOIDCRefusalIsBilingual(t *testing.T) {
	rig := newOIDCRig(t, "")
	rig.idp.next(nil, "access_denied")
	c := oidcBrowser()
	h := visit(t, c, rig.toCallback(t, c, ""), "Accept-Language", "fr-CA")
	if h.status != http.StatusBadRequest || !strings.Contains(h.body, "La connexion avec votre organisation n’a pas fonctionné") ||
		!strings.Contains(h.body, `href="/signin"`) {
		t.Errorf("got %d:\n%s", h.status, h.body)
	}
}

func TestOIDCOffTheRoutesAreAbsent(t *testing.T) {
	srv, err := web.New(web.Config{Store: storetest.Open(t, storetest.FreshSQLite(t)), Vocab: opendata.MustLoadVocabulary(),
		PublicURL: "http://127.0.0.1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	for _, p := range []string{"/signin/oidc", "/signin/oidc/callback?code=x&state=y"} {
		if h := visit(t, oidcBrowser(), ts.URL+p); h.status != http.StatusNotFound {
			t.Errorf("%s without OIDC: %d", p, h.status)
		}
	}
	if h := visit(t, oidcBrowser(), ts.URL+"/signin"); strings.Contains(h.body, `id="signin-oidc"`) {
		t.Error("the sign-in page offers OIDC that is not configured")
	}
}

func TestNewOIDCFailsWithoutAProvider(t *testing.T) {
	idp := newFakeIdP(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for name, issuer := range map[string]string{
		"unreachable":      down.URL,
		"another issuer":   idp.ts.URL + "/", // discovery names the issuer without the slash
		"no discovery doc": idp.ts.URL + "/tenant",
	} {
		_, err := web.NewOIDC(context.Background(), web.OIDCConfig{Issuer: issuer, ClientID: idpClientID,
			RedirectURL: "http://127.0.0.1/signin/oidc/callback"})
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
