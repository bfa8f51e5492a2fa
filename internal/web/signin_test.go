package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/web"
)

// signInRig is a web server on a real store whose mail lands in an outbox,
// with a clock the test moves.
type signInRig struct {
	ts     *httptest.Server
	db     *store.DB
	outbox string
	mu     sync.Mutex
	now    time.Time
}

func newSignInRig(t *testing.T, domains ...string) *signInRig {
	t.Helper()
	rig := &signInRig{db: openStore(t), outbox: t.TempDir(), now: time.Now()}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	mailer, err := mail.NewOutbox(rig.outbox, "DataHub <datahub@example.gc.ca>", logger)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: rig.db, Vocab: opendata.MustLoadVocabulary(), Mailer: mail.LinkSender{Mailer: mailer},
		PublicURL: "http://datahub.example", EmailDomains: domains, Logger: logger, Now: rig.clock})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	rig.ts = httptest.NewServer(http.NewCrossOriginProtection().Handler(mux))
	t.Cleanup(rig.ts.Close)
	return rig
}

func (rig *signInRig) clock() time.Time {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	return rig.now
}

func (rig *signInRig) advance(d time.Duration) {
	rig.mu.Lock()
	rig.now = rig.now.Add(d)
	rig.mu.Unlock()
}

// browser is a client with its own cookies that does not follow redirects.
func (rig *signInRig) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// getPage fetches path and returns the status, the body and the page's CSRF token.
func getPage(t *testing.T, c *http.Client, base, path string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	tok := ""
	if m := csrfInput.FindStringSubmatch(string(body)); m != nil {
		tok = m[1]
	}
	return resp.StatusCode, string(body), tok
}

// postForm sends a form and returns the status, the Location and the body.
func postForm(t *testing.T, c *http.Client, base, path string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

var linkToken = regexp.MustCompile(`/signin/verify\?token=([A-Za-z0-9_-]{43})`)

// lastLink returns the token of the newest sign-in link in the outbox to email.
func (rig *signInRig) lastLink(t *testing.T, email string) string {
	t.Helper()
	msgs, err := mail.ReadOutbox(rig.outbox)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := linkToken.FindStringSubmatch(msgs[i].Text); m != nil && slices.Contains(msgs[i].To, email) {
			return m[1]
		}
	}
	t.Fatalf("no sign-in link to %s in the outbox (%d messages)", email, len(msgs))
	return ""
}

// requestLink asks for a sign-in link as a browser would and returns its token.
func (rig *signInRig) requestLink(t *testing.T, c *http.Client, email, next string) string {
	t.Helper()
	_, _, tok := getPage(t, c, rig.ts.URL, "/signin")
	status, _, body := postForm(t, c, rig.ts.URL, "/signin", url.Values{"email": {email}, "next": {next}, "csrf": {tok}})
	if status != http.StatusOK || !strings.Contains(body, `id="signin-sent"`) {
		t.Fatalf("request link: %d %s", status, body)
	}
	return rig.lastLink(t, strings.ToLower(email))
}

// confirm spends the token in c, as the confirm page's button does.
func (rig *signInRig) confirm(t *testing.T, c *http.Client, token string) (int, string, string) {
	t.Helper()
	status, _, tok := getPage(t, c, rig.ts.URL, "/signin/verify?token="+token)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("confirm page: %d", status)
	}
	return postForm(t, c, rig.ts.URL, "/signin/verify", url.Values{"token": {token}, "csrf": {tok}})
}

func TestSignInByLink(t *testing.T) {
	rig := newSignInRig(t)
	c := rig.browser(t)
	token := rig.requestLink(t, c, "Alice@Example.gc.ca", "/flow/abc?lang=fr")

	// Opening the link does not spend it (mail scanners open links too).
	other := rig.browser(t)
	getPage(t, other, rig.ts.URL, "/signin/verify?token="+token)

	status, loc, body := rig.confirm(t, c, token)
	if status != http.StatusSeeOther || loc != "/flow/abc?lang=fr" {
		t.Fatalf("sign in: %d %q %s", status, loc, body)
	}
	if msgs, _ := mail.ReadOutbox(rig.outbox); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "15 minutes") {
		t.Fatalf("the email must say how long the link works: %+v", msgs)
	}
	u, _ := url.Parse(rig.ts.URL)
	var session *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "dh_session" {
			session = ck
		}
	}
	if session == nil || len(session.Value) < 40 {
		t.Fatal("no session cookie")
	}
	// Only the hash of the session token is stored.
	if _, err := rig.db.Session(t.Context(), []byte(session.Value), rig.clock()); opendata.ErrorCode(err) != opendata.ENOTFOUND {
		t.Fatalf("the raw token must not be a stored key: %v", err)
	}
	_, page, _ := getPage(t, c, rig.ts.URL, "/signin")
	if !strings.Contains(page, "alice@example.gc.ca") || !strings.Contains(page, `id="signout"`) {
		t.Fatal("a signed-in page must show who is signed in and a sign-out button")
	}

	// The same link again, from any browser: refused as used.
	status, _, body = rig.confirm(t, other, token)
	if status != http.StatusBadRequest || !strings.Contains(body, `id="signin-invalid"`) || !strings.Contains(body, "already used") {
		t.Fatalf("reuse: %d %s", status, body)
	}
}

func TestSignInLinkExpires(t *testing.T) {
	rig := newSignInRig(t)
	c := rig.browser(t)
	token := rig.requestLink(t, c, "bob@example.gc.ca", "")
	rig.advance(16 * time.Minute)
	status, _, body := rig.confirm(t, c, token)
	if status != http.StatusBadRequest || !strings.Contains(body, "expired") {
		t.Fatalf("expired link: %d %s", status, body)
	}
	status, _, body = rig.confirm(t, c, strings.Repeat("A", 43))
	if status != http.StatusBadRequest || !strings.Contains(body, "not valid") {
		t.Fatalf("unknown link: %d %s", status, body)
	}
}

// Without a page to go back to, each person lands where their work is; a
// used or expired link keeps the page it was going to for the next sign-in.
func TestSignInLandsWhereTheWorkIs(t *testing.T) {
	rig := newSignInRig(t)
	if _, err := rig.db.AddGrant(t.Context(), opendata.Grant{Email: "ann@example.gc.ca", Role: opendata.RoleApprover,
		Project: "CFS", GrantedAt: rig.clock(), GrantedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
	c := rig.browser(t)
	token := rig.requestLink(t, c, "ann@example.gc.ca", "")
	if status, loc, _ := rig.confirm(t, c, token); status != http.StatusSeeOther || loc != "/queue" {
		t.Errorf("approver: %d to %q, want /queue", status, loc)
	}
	status, _, body := rig.confirm(t, rig.browser(t), token)
	if status != http.StatusBadRequest || !strings.Contains(body, `href="/signin"`) {
		t.Errorf("used link without a page: %d", status)
	}
	token = rig.requestLink(t, c, "ann@example.gc.ca", "/flow/abc")
	rig.confirm(t, c, token)
	status, _, body = rig.confirm(t, rig.browser(t), token)
	if status != http.StatusBadRequest || !strings.Contains(body, `href="/signin?next=%2Fflow%2Fabc"`) {
		t.Errorf("used link: %d, the sign-in link does not keep the page:\n%s", status, body)
	}
}

func TestSignInGoesOnlyToLocalPaths(t *testing.T) {
	rig := newSignInRig(t)
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""} {
		c := rig.browser(t)
		token := rig.requestLink(t, c, "carol@example.gc.ca", next)
		if status, loc, _ := rig.confirm(t, c, token); status != http.StatusSeeOther || loc != "/submissions" {
			t.Errorf("next %q: %d to %q, want /submissions", next, status, loc)
		}
	}
}

func TestSignInFormsNeedTheirCSRFToken(t *testing.T) {
	rig := newSignInRig(t)
	c := rig.browser(t)
	getPage(t, c, rig.ts.URL, "/signin") // sets the visitor's CSRF cookie
	for _, tok := range []string{"", "forged-token-value"} {
		status, _, body := postForm(t, c, rig.ts.URL, "/signin", url.Values{"email": {"dan@example.gc.ca"}, "csrf": {tok}})
		if status != http.StatusForbidden || !strings.Contains(body, `id="error-csrf"`) {
			t.Fatalf("csrf %q: %d", tok, status)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(rig.outbox, "*.eml")); len(files) != 0 {
		t.Fatal("a refused form must send nothing")
	}
	// A form posted from another site is refused before the token is looked at.
	req, _ := http.NewRequest("POST", rig.ts.URL+"/signin", strings.NewReader("email=dan%40example.gc.ca"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", resp.StatusCode)
	}
	// Signing out is a form too.
	token := rig.requestLink(t, c, "dan@example.gc.ca", "")
	rig.confirm(t, c, token)
	if status, _, _ := postForm(t, c, rig.ts.URL, "/signout", url.Values{"csrf": {"nope"}}); status != http.StatusForbidden {
		t.Fatalf("sign out without token: %d", status)
	}
}

func TestSignInAddressChecks(t *testing.T) {
	rig := newSignInRig(t, "gc.ca")
	c := rig.browser(t)
	for _, email := range []string{"", "not an address", "Name <x@example.gc.ca>", "x@example.com"} {
		_, _, tok := getPage(t, c, rig.ts.URL, "/signin?lang=fr")
		status, _, body := postForm(t, c, rig.ts.URL, "/signin", url.Values{"email": {email}, "csrf": {tok}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="error-email"`) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("%q: %d", email, status)
		}
		if !strings.Contains(body, "Entrez") {
			t.Fatalf("%q: the error must be in French on a French page", email)
		}
	}
}

func TestSignInRequestsAreLimited(t *testing.T) {
	rig := newSignInRig(t)
	c := rig.browser(t)
	_, _, tok := getPage(t, c, rig.ts.URL, "/signin")
	var statuses []int
	for range 6 {
		status, _, _ := postForm(t, c, rig.ts.URL, "/signin", url.Values{"email": {"eve@example.gc.ca"}, "csrf": {tok}})
		statuses = append(statuses, status)
	}
	if statuses[4] != http.StatusOK || statuses[5] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v: five links per address, then 429", statuses)
	}
	if files, _ := filepath.Glob(filepath.Join(rig.outbox, "*.eml")); len(files) != 5 {
		t.Fatalf("%d messages sent, want 5", len(files))
	}
	// Minutes later, one more.
	rig.advance(3 * time.Minute)
	if status, _, _ := postForm(t, c, rig.ts.URL, "/signin", url.Values{"email": {"eve@example.gc.ca"}, "csrf": {tok}}); status != http.StatusOK {
		t.Fatalf("after waiting: %d", status)
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	rig := newSignInRig(t)
	c := rig.browser(t)
	rig.confirm(t, c, rig.requestLink(t, c, "fay@example.gc.ca", ""))
	_, _, tok := getPage(t, c, rig.ts.URL, "/signin")
	status, loc, _ := postForm(t, c, rig.ts.URL, "/signout", url.Values{"csrf": {tok}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
		t.Fatalf("sign out: %d %q", status, loc)
	}
	if _, page, _ := getPage(t, c, rig.ts.URL, "/signin"); strings.Contains(page, `id="signout"`) {
		t.Fatal("still signed in after signing out")
	}
}

// The language a person reads the pages in is remembered once they sign in,
// and only when it changes; the sign-in link comes in the page's language first.
func TestLanguageRemembered(t *testing.T) {
	rig := newSignInRig(t)
	c := rig.browser(t)
	_, _, tok := getPage(t, c, rig.ts.URL, "/signin?lang=fr")
	if status, _, body := postForm(t, c, rig.ts.URL, "/signin", url.Values{"email": {"Alice@Example.gc.ca"}, "csrf": {tok}}); status != http.StatusOK {
		t.Fatalf("request link: %d %s", status, body)
	}
	msgs, err := mail.ReadOutbox(rig.outbox)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %+v %v", msgs, err)
	}
	if fr := mail.SignInLink(mail.Data{Lang: "fr"}); msgs[0].Subject != fr.Subject || !strings.HasPrefix(msgs[0].Text, "The English follows.") {
		t.Fatalf("the link asked for on a French page comes French first: %q\n%s", msgs[0].Subject, msgs[0].Text)
	}
	langs := func() string {
		got, err := rig.db.Languages(t.Context(), []string{"alice@example.gc.ca"})
		if err != nil {
			t.Fatal(err)
		}
		return got["alice@example.gc.ca"]
	}
	if l := langs(); l != "" {
		t.Fatalf("remembered %q before signing in: asking for a link must not set another person's language", l)
	}
	if status, _, body := rig.confirm(t, c, linkToken.FindStringSubmatch(msgs[0].Text)[1]); status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", status, body)
	}
	getPage(t, c, rig.ts.URL, "/submissions")
	if l := langs(); l != "fr" {
		t.Fatalf("after French pages: %q", l)
	}
	getPage(t, c, rig.ts.URL, "/submissions?lang=en")
	if l := langs(); l != "en" {
		t.Fatalf("after choosing English: %q", l)
	}
}
