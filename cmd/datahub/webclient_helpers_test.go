package main

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// webUser is a person using the workflow pages without a browser: an HTTP
// client with a cookie jar that posts the pages' forms with their CSRF token,
// as a browser with scripts off would.
type webUser struct {
	t     *testing.T
	base  string // the server's base URL
	email string
	c     *http.Client
	csrf  string // the session's token, read from the last page that had a form
}

// webPage is a page as the client received it, after any redirect.
type webPage struct {
	status int
	url    string // where the redirects led
	ctype  string
	body   string
}

func newWebUser(t *testing.T, base, email string) *webUser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &webUser{t: t, base: base, email: email, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends req, reads the page it leads to, and keeps its CSRF token.
func (u *webUser) do(req *http.Request) webPage {
	u.t.Helper()
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		u.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	p := webPage{status: resp.StatusCode, url: resp.Request.URL.String(), ctype: resp.Header.Get("Content-Type"), body: string(b)}
	if m := csrfPattern.FindStringSubmatch(p.body); m != nil {
		u.csrf = html.UnescapeString(m[1])
	}
	return p
}

// get opens a path on the server, or an absolute URL.
func (u *webUser) get(path string) webPage {
	u.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = u.base + path
	}
	req, err := http.NewRequest("GET", path, nil)
	if err != nil {
		u.t.Fatal(err)
	}
	return u.do(req)
}

// post sends a form with the CSRF token of the last page; pairs are name, value.
func (u *webUser) post(path string, pairs ...string) webPage {
	u.t.Helper()
	form := url.Values{"csrf": {u.csrf}}
	for i := 0; i+1 < len(pairs); i += 2 {
		form.Add(pairs[i], pairs[i+1])
	}
	req, err := http.NewRequest("POST", u.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

// upload sends a file as the signed approval form does: multipart, the CSRF field, then the file.
func (u *webUser) upload(path, name string, data []byte) webPage {
	u.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", u.csrf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		u.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", u.base+path, &body)
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return u.do(req)
}

var hiddenTokenPattern = regexp.MustCompile(`name="token" value="([^"]+)"`)

// signInWeb signs email in with the emailed one-time link, as a person
// would: the sign-in form, the link from the outbox, the confirm button. It
// returns the signed-in user on the page next leads to.
func signInWeb(t *testing.T, base, data, email, next string) (*webUser, webPage) {
	t.Helper()
	u := newWebUser(t, base, email)
	if p := u.get("/signin?next=" + url.QueryEscape(next)); p.status != 200 || u.csrf == "" {
		t.Fatalf("sign-in page: status %d, csrf %q", p.status, u.csrf)
	}
	mark := markOutbox(t, data)
	if p := u.post("/signin", "email", email, "next", next); p.status != 200 || !strings.Contains(p.body, `id="signin-sent"`) {
		t.Fatalf("asking for a sign-in link for %s: status %d\n%s", email, p.status, p.body)
	}
	link := signInLink(t, data, email, mark, base)
	p := u.get(link)
	tok := hiddenTokenPattern.FindStringSubmatch(p.body)
	if p.status != 200 || tok == nil {
		t.Fatalf("the sign-in link: status %d, no token field\n%s", p.status, p.body)
	}
	p = u.post("/signin/verify", "token", html.UnescapeString(tok[1]))
	if p.status != 200 || p.url != base+next {
		t.Fatalf("confirming the sign-in of %s: status %d on %s, want %s", email, p.status, p.url, base+next)
	}
	return u, p
}

// buttonState reports whether the page has a button with this id, and whether it is disabled.
func buttonState(body, id string) (found, disabled bool) {
	m := regexp.MustCompile(`<button[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	return m != "", strings.Contains(m, " disabled")
}

// section returns the inner HTML of the first element with this id (up to its
// closing tag name), or "" when the page has none.
func section(body, tag, id string) string {
	re := regexp.MustCompile(`(?s)<` + tag + `\b[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</` + tag + `>`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

var tagPattern = regexp.MustCompile(`<[^>]+>`)

// textOf is HTML without its tags, unescaped, with white space collapsed.
func textOf(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagPattern.ReplaceAllString(s, " "))), " ")
}
