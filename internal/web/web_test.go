package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
	"github.com/opendata-datahub/datahub/internal/web"
)

const (
	subID     = "0b5d3f6e-8a43-4c1e-9f3a-2d7c5e8b1a90"
	keyPrefix = "dh_abcdefgh"
	contact   = "jane.doe@example.gc.ca"
	xssScript = `<script>alert(1)</script>`
	xssAttr   = `"><img src=x onerror=alert(1)>`
)

// escaped is what html/template makes of the payloads in element content.
var escaped = map[string]string{
	xssScript: `&lt;script&gt;alert(1)&lt;/script&gt;`,
	xssAttr:   `&#34;&gt;&lt;img src=x onerror=alert(1)&gt;`,
}

// openStore opens and migrates a SQLite store in a temporary directory.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	return storetest.Open(t, storetest.FreshSQLite(t))
}

func fields() opendata.Fields {
	return opendata.Fields{
		FileURL: "https://example.gc.ca/forest.csv", FileID: "file-42", FileName: "forest.csv",
		EmailContact: contact, Collection: "primary",
		TitleEN: "Forest inventory", TitleFR: "Inventaire forestier",
		NotesEN: "Plots.", NotesFR: "Placettes.",
		KeywordsEN: []string{"forests"}, KeywordsFR: []string{"forêts"},
		Subject: []string{"nature_and_environment"}, Frequency: "P1Y", DatePublished: "2024-03-15",
		Jurisdiction: "federal", Audience: []string{"scientists"},
	}
}

// created is when the test submissions were received.
var created = time.Date(2025, 2, 3, 14, 5, 0, 0, time.UTC)

// addSubmission stores a submission that was then sent for approval, so that
// its history has two rows.
func addSubmission(t *testing.T, db *store.DB, id string, f opendata.Fields) *opendata.Submission {
	t.Helper()
	s := opendata.NewSubmission(id, testProject, keyPrefix, f, created)
	s.State = opendata.StatePendingApproval
	s.History = append(s.History, opendata.Transition{
		From: opendata.StateInPreparation, To: opendata.StatePendingApproval,
		Actor: opendata.APIActor("dh_zyxwvuts"), Reason: "Ready for review", At: created.Add(90 * time.Minute),
	})
	if err := db.CreateSubmission(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// newServer serves the pages of a store over loopback, for tests of what
// every page shares (the layout, the static files, the language).
func newServer(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := web.New(web.Config{Store: db, Vocab: opendata.MustLoadVocabulary(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	ts := httptest.NewServer(http.NewCrossOriginProtection().Handler(mux))
	t.Cleanup(ts.Close)
	return ts
}

type response struct {
	status int
	header http.Header
	body   string
}

// get fetches path with the client c (a fresh one when nil); headers are name, value pairs.
func get(t *testing.T, c *http.Client, url string, headers ...string) response {
	t.Helper()
	if c == nil {
		c = &http.Client{}
	}
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return send(t, c, req)
}

// page is what a rendered page in one language must contain.
type page struct {
	lang, htmlLang, toggle, toggleText, title string
}

var (
	english = page{"en", `<html lang="en">`, `<a href="?lang=fr" lang="fr">`, "Français", "Dataset submission"}
	french  = page{"fr", `<html lang="fr">`, `<a href="?lang=en" lang="en">`, "English", "Soumission de jeu de données"}
)

func (p page) check(t *testing.T, r response) {
	t.Helper()
	checkLayout(t, r, p.lang)
	for _, want := range []string{p.htmlLang, p.toggle, p.toggleText, "<h1>" + p.title + "</h1>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if p == english && strings.Contains(r.body, french.htmlLang) || p == french && strings.Contains(r.body, english.htmlLang) {
		t.Error("page is in both languages")
	}
}

// cspNonce finds the nonce the layout hands the components' loader.
var cspNonce = regexp.MustCompile(`<meta name="csp-nonce" content="([A-Z2-7]{26})">`)

func checkHeaders(t *testing.T, r response) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	m := cspNonce.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("page has no csp-nonce meta element")
	}
	want := "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-" + m[1] + "'; font-src 'self'; " +
		"img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	if got := r.header.Get("Content-Security-Policy"); got != want {
		t.Errorf("Content-Security-Policy = %q, want %q", got, want)
	}
}

// loader is the one script a page has: the components' module loader, from /static.
var loader = regexp.MustCompile(`<script type="module" src="/static/[0-9a-f]{12}/gcds/gcds\.esm\.js"></script>\n` +
	`<script type="module" src="/static/[0-9a-f]{12}/site\.js"></script>`)

// withoutLoader returns the page without the loader, failing unless it is there once.
func withoutLoader(t *testing.T, body string) string {
	t.Helper()
	if n := len(loader.FindAllString(body, -1)); n != 1 {
		t.Errorf("page has %d module loaders, want 1", n)
	}
	return loader.ReplaceAllString(body, "")
}

// signInLink is the anonymous page's link: sign in, then come back here.
func signInLink(id string) string { return `href="/signin?next=%2Fflow%2F` + id + `"` }

// A visitor who is not signed in gets a short page, in their language, that
// offers to sign in and says nothing about the submission.
func TestFlowAnonymousLanguages(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	url := ts.URL + "/flow/" + subID

	tests := []struct {
		name    string
		query   string
		headers []string
		want    page
		content []string
	}{
		{"default English", "", nil, english, []string{"Sign in to continue", "Only its contact"}},
		{"?lang=fr", "?lang=fr", nil, french, []string{"Se connecter pour continuer", "Seuls sa personne-ressource"}},
		{"?lang=en", "?lang=en", []string{"Accept-Language", "fr"}, english, nil},
		{"Accept-Language: fr", "", []string{"Accept-Language", "fr"}, french, nil},
		{"Accept-Language: fr-CA weighted", "", []string{"Accept-Language", "en;q=0.5, fr-CA;q=0.9"}, french, nil},
		{"Accept-Language: en before fr", "", []string{"Accept-Language", "en-CA,fr;q=0.8"}, english, nil},
		{"Accept-Language: neither", "", []string{"Accept-Language", "de, es"}, english, nil},
		{"unknown ?lang= is ignored", "?lang=de", []string{"Accept-Language", "fr"}, french, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, nil, url+tt.query, tt.headers...)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, want 200", r.status)
			}
			tt.want.check(t, r)
			checkHeaders(t, r)
			for _, want := range append(tt.content, signInLink(subID), `id="flow-signin"`) {
				if !strings.Contains(r.body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			body := withoutLoader(t, r.body)
			for _, leak := range []string{"Forest inventory", "Inventaire forestier", "forest.csv", "file-42", testProject,
				contact, "jane.doe", keyPrefix, "Ready for review", "Pending approval", "En attente", "<dl", "<section id=", "<form method=\"post\" action=\"/flow"} {
				if strings.Contains(body, leak) {
					t.Errorf("anonymous page shows %q", leak)
				}
			}
		})
	}
}

// ?lang= sets a cookie that keeps the language on the next pages, over Accept-Language.
func TestFlowLanguageCookie(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	url := ts.URL + "/flow/" + subID

	r := get(t, c, url+"?lang=fr")
	french.check(t, r)
	var lang *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "lang" {
			lang = ck
		}
	}
	if lang == nil {
		t.Fatal("?lang=fr set no cookie")
	}
	if lang.Value != "fr" || lang.Path != "/" || !lang.HttpOnly || lang.SameSite != http.SameSiteLaxMode || lang.MaxAge <= 0 {
		t.Errorf("cookie = %+v", lang)
	}
	if lang.Secure {
		t.Error("Secure cookie over plain HTTP")
	}

	steps := []struct {
		name    string
		path    string
		headers []string
		want    page
	}{
		{"next request, no ?lang", url, nil, french},
		{"cookie beats Accept-Language", url, []string{"Accept-Language", "en"}, french},
		{"?lang=en switches back", url + "?lang=en", nil, english},
		{"and English sticks", url, []string{"Accept-Language", "fr"}, english},
	}
	for _, s := range steps {
		r := get(t, c, s.path, s.headers...)
		t.Run(s.name, func(t *testing.T) { s.want.check(t, r) })
	}
	get(t, c, ts.URL+"/flow/nope?lang=fr") // back to French, by cookie from now on
	r = get(t, c, ts.URL+"/flow/nope")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, `<html lang="fr">`) || !strings.Contains(r.body, "Page introuvable") {
		t.Errorf("the cookie does not keep French on the not-found page: %d", r.status)
	}

	// A cookie with another value is ignored.
	r = get(t, nil, url, "Cookie", "lang=de", "Accept-Language", "fr")
	french.check(t, r)
}

func TestFlowNotFound(t *testing.T) {
	srv := newTestServer(t)
	srv.submission(t, subID, fields())
	jane := signIn(t, srv, contact)
	tests := []struct {
		name    string
		who     *visitor
		path    string
		lang    string
		message string
	}{
		{"English", srv.anonymous(), "/flow/00000000-0000-0000-0000-000000000000", "en", "There is nothing at this address."},
		{"French", srv.anonymous(), "/flow/00000000-0000-0000-0000-000000000000?lang=fr", "fr", "Il n’y a rien à cette adresse."},
		{"signed in", jane, "/flow/00000000-0000-0000-0000-000000000000", "en", "There is nothing at this address."},
		{"not a UUID", jane, "/flow/%3Cscript%3E", "en", "There is nothing at this address."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.who.get(t, tt.path)
			if r.status != http.StatusNotFound {
				t.Fatalf("status %d, want 404", r.status)
			}
			checkLayout(t, r, tt.lang)
			checkHeaders(t, r)
			if !strings.Contains(r.body, tt.message) || !strings.Contains(r.body, `id="error-not-found"`) {
				t.Errorf("page lacks %q", tt.message)
			}
			body := withoutLoader(t, r.body)
			for _, absent := range []string{"<dl", "forest", "<script"} {
				if strings.Contains(body, absent) {
					t.Errorf("not-found page contains %q", absent)
				}
			}
		})
	}
	// Only the routes of the page are served; any other address is the 404 page, in the layout.
	for _, path := range []string{"/flow/", "/flow", "/flow/" + subID + "/extra", "/nowhere?lang=fr"} {
		r := jane.get(t, path)
		if r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, r.status)
		}
		has(t, r, `id="error-not-found"`, `<a id="error-back" href="/">`)
	}
	has(t, jane.get(t, "/nowhere?lang=fr"), `<html lang="fr">`, "Aller à mes soumissions")
	// A form's address opened as a page, or sent with another method: the 405 page, with the way back.
	for _, tt := range []struct{ method, path, allow string }{
		{"POST", "/flow/" + subID, "GET, HEAD"},
		{"GET", "/flow/" + subID + "/check", "POST"},
		{"GET", "/admin/roles/revoke", "POST"},
	} {
		var r response
		if tt.method == "POST" {
			r = jane.post(t, tt.path)
		} else {
			r = jane.get(t, tt.path)
		}
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: status %d, Allow %q; want 405, %q", tt.method, tt.path, r.status, r.header.Get("Allow"), tt.allow)
		}
		checkLayout(t, r, "fr") // the language chosen above stays
		has(t, r, `id="error-method"`, "Cette adresse sert à un formulaire", `<a id="error-back" href="`)
	}
	// An action the workflow does not know is no page either.
	if r := jane.post(t, "/flow/"+subID+"/actions/publish_later"); r.status != http.StatusNotFound {
		t.Errorf("unknown action: status %d, want 404", r.status)
	}
}

// A store that fails gives the 500 page, in the layout, that tells nothing of the cause.
func TestFlowStoreError(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	db.Close()
	r := get(t, nil, ts.URL+"/flow/"+subID)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", r.status)
	}
	if !strings.Contains(r.body, `<gcds-text id="error-internal">`) || !strings.Contains(r.body, `<html lang="en">`) ||
		strings.Contains(r.body, "sql") {
		t.Errorf("body %q", r.body)
	}
	if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("nosniff = %q", got)
	}
}
