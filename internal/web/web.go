// Package web serves the pages people see, in English and French, on one layout
// built with the GC Design System: sign-in, the submission page behind flow_url
// (checklist, editors, approval form, signed approval, actions, timeline), the
// approver queue and the admin pages. Every action is a plain form with a CSRF
// token; who may do what is decided by the opendata package, not the templates.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/store"
)

//go:embed templates
var templates embed.FS

// contentSecurityPolicy lets a page load only this service's scripts, styles and
// fonts: nothing from another site, no inline script, and as inline style only the
// <style> the components' loader adds with the page's nonce (it hides components
// until they render), which it reads from <meta name="csp-nonce">.
func contentSecurityPolicy(nonce string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "'; font-src 'self'; " +
		"img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// LinkSender emails a one-time sign-in link.
type LinkSender interface {
	SendSignInLink(ctx context.Context, to, link string, validFor time.Duration, lang string) error
}

// Config is what the pages need.
type Config struct {
	Store          *store.DB
	Vocab          *opendata.Vocabulary
	Mailer         LinkSender       // sends sign-in links (mail.LinkSender)
	Registry       publish.Registry // the publishing targets' registries: token sealing and checks
	PublicURL      string           // the service's address as people reach it, for links in email
	Location       *time.Location   // for "not after today" in the metadata editor; default UTC
	EmailDomains   []string         // allowed addresses, for sign-in and email_contact; empty allows any
	SessionTTL     time.Duration    // how long a sign-in lasts; default 12h
	OIDC           *OIDC            // OpenID Connect sign-in; nil offers the emailed link only
	UploadMaxBytes int64            // largest signed approval accepted; default 10 MiB
	KeyMaxLifetime time.Duration    // longest an API key made on the admin page lives; default opendata.DefaultKeyMaxLifetime
	// A slow client must not hold a connection: how long a form's body may
	// take to arrive (default 1m), an upload's (10m), and a PDF to be sent (10m).
	FormReadTimeout      time.Duration
	UploadReadTimeout    time.Duration
	DownloadWriteTimeout time.Duration
	Logger               *slog.Logger
	Now                  func() time.Time // the clock; default time.Now
}

// Server renders the pages.
type Server struct {
	cfg    Config
	db     *store.DB
	vocab  *opendata.Vocabulary
	pages  map[string]*template.Template // by file name, each with the layout
	assets *assets
	logger *slog.Logger
	secure bool // cookies only over HTTPS: the public URL is https
	limits *signInLimits
}

// New parses the templates and indexes the static files.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Vocab == nil {
		return nil, fmt.Errorf("web: a store and a vocabulary are required")
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.UploadMaxBytes <= 0 {
		cfg.UploadMaxBytes = 10 << 20
	}
	if cfg.KeyMaxLifetime <= 0 {
		cfg.KeyMaxLifetime = opendata.DefaultKeyMaxLifetime
	}
	if cfg.FormReadTimeout <= 0 {
		cfg.FormReadTimeout = time.Minute
	}
	if cfg.UploadReadTimeout <= 0 {
		cfg.UploadReadTimeout = 10 * time.Minute
	}
	if cfg.DownloadWriteTimeout <= 0 {
		cfg.DownloadWriteTimeout = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	a, err := newAssets()
	if err != nil {
		return nil, err
	}
	vocab := cfg.Vocab
	pages, err := parsePages(template.FuncMap{
		"t":      func(lang i18n.Lang, key string, pairs ...string) string { return i18n.T(lang, key, pairs...) },
		"state":  func(lang i18n.Lang, s opendata.State) string { return i18n.T(lang, "state."+string(s)) },
		"label":  func(lang i18n.Lang, field, value string) string { return vocab.Label(field, value, string(lang)) },
		"date":   func(lang i18n.Lang, t time.Time) string { return when(lang, cfg.Location, t) },
		"static": a.url,
		"field":  newFormField,
		"actionForm": func(p interface{ page() *Page }, a actionView, own bool) actionForm {
			return actionForm{Lang: p.page().Lang, CSRF: p.page().CSRF, A: a, Own: own}
		},
	})
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, db: cfg.Store, vocab: vocab, pages: pages, assets: a, logger: cfg.Logger,
		secure: strings.HasPrefix(cfg.PublicURL, "https://"), limits: newSignInLimits()}, nil
}

// parsePages gives each page its own copy of the layout and partials, whose
// "title" and "main" blocks the page defines.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	// Partials (templates/partials/*.html) define sections that several pages share.
	layout, err := template.New("").Funcs(funcs).ParseFS(templates, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template, len(names))
	for _, name := range names {
		if name == "templates/layout.html" {
			continue
		}
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if pages[path.Base(name)], err = t.ParseFS(templates, name); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
	}
	return pages, nil
}

// Router is where routes are registered; *http.ServeMux is one.
type Router interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// Register adds the pages and their static files to mux. Each area of the UI
// registers its own routes, in the file that serves them.
func (s *Server) Register(router Router) {
	mux := &methodPages{Router: router, s: s, methods: map[string][]string{}}
	s.registerSignIn(mux)
	s.registerLists(mux)
	s.registerAdmin(mux)
	s.registerEditors(mux)
	s.registerFlow(mux)
	s.registerTasks(mux)
	mux.HandleFunc("GET /static/{version}/{name...}", s.assets.serve)
	router.HandleFunc("/", s.page(s.notFound))
}

// Page is what the layout needs from every page.
type Page struct {
	Lang     i18n.Lang
	Other    i18n.Lang // the language of the toggle
	Toggle   string    // this page in the other language, as a relative URL
	Modified string    // YYYY-MM-DD the page's content last changed, if it has such a date
	Nonce    string    // the CSP nonce of this response
	CSRF     string    // the token every form of the page carries in its csrf field
	User     string    // the signed-in person's address; "" when anonymous
	Admin    bool      // the viewer may open the admin pages
	Approver bool      // the viewer approves some project: the queue is in the menu
	Flash    string    // a message about the action just taken, shown once
	Failed   bool      // a form was refused: the title starts with "Error:"
}

func (p *Page) page() *Page { return p }

// newPage picks the reader's language, links this page in the other one and
// says who is signed in.
func (s *Server) newPage(w http.ResponseWriter, r *http.Request, v *viewer) Page {
	l := lang(r)
	q := r.URL.Query()
	q.Set("lang", string(l.Other()))
	q.Del("flash")
	p := Page{Lang: l, Other: l.Other(), Toggle: "?" + q.Encode(), Nonce: rand.Text(), CSRF: s.csrfToken(w, r, v)}
	if v.SignedIn() {
		p.User, p.Admin = v.Actor.Email, v.Actor.IsAdmin()
		p.Approver = v.Actor.Approver || len(v.Actor.ApproverOf) > 0
	}
	if f := r.URL.Query().Get("flash"); f != "" && i18n.Has(l, "flash."+f) && s.takeFlash(r, v, f) {
		p.Flash = i18n.T(l, "flash."+f)
	}
	return p
}

// lang picks the page language: ?lang=, then the cookie, then Accept-Language.
func lang(r *http.Request) i18n.Lang {
	if v := r.URL.Query().Get("lang"); v == "en" || v == "fr" {
		return i18n.Lang(v)
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "en" || c.Value == "fr") {
		return i18n.Lang(c.Value)
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

// keepLang remembers the language chosen with ?lang= in a cookie, Secure when
// the public URL is https (behind a proxy that ends TLS, r.TLS is nil).
func (s *Server) keepLang(w http.ResponseWriter, r *http.Request) {
	if v := r.URL.Query().Get("lang"); v == "en" || v == "fr" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: v, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure})
	}
}

// render writes the page name, built on the layout, with status; data is a
// pointer to a struct that embeds Page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data interface{ page() *Page }) {
	var buf bytes.Buffer
	data.page().Failed = status == http.StatusUnprocessableEntity
	t, ok := s.pages[name]
	if !ok {
		s.internalError(w, r, fmt.Errorf("no page %s", name))
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.internalError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	setPageHeaders(w, data.page().Nonce)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func setPageHeaders(w http.ResponseWriter, nonce string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy(nonce))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func randNonce() string { return rand.Text() }
