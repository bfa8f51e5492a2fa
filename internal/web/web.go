// Package web serves the pages people see: for now the bilingual page behind
// flow_url, which shows a submission's state and what happens next.
package web

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

//go:embed templates
var templates embed.FS

// Submissions is what the pages read.
type Submissions interface {
	Submission(ctx context.Context, id string) (*opendata.Submission, error)
}

// Server renders the pages.
type Server struct {
	db     Submissions
	vocab  *opendata.Vocabulary
	tmpl   *template.Template
	logger *slog.Logger
}

// New parses the templates.
func New(db Submissions, vocab *opendata.Vocabulary, logger *slog.Logger) (*Server, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"t":     func(lang i18n.Lang, key string) string { return i18n.T(lang, key) },
		"state": func(lang i18n.Lang, s opendata.State) string { return i18n.T(lang, "state."+string(s)) },
		"label": func(lang i18n.Lang, field, value string) string { return vocab.Label(field, value, string(lang)) },
		"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	}).ParseFS(templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Server{db: db, vocab: vocab, tmpl: t, logger: logger}, nil
}

// Router is where routes are registered; *http.ServeMux is one.
type Router interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// Register adds the pages to mux.
func (s *Server) Register(mux Router) {
	mux.HandleFunc("GET /flow/{id}", s.flow)
}

// lang picks the page language: ?lang=, then the cookie, then Accept-Language.
func lang(w http.ResponseWriter, r *http.Request) i18n.Lang {
	if v := r.URL.Query().Get("lang"); v == "en" || v == "fr" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: v, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		return i18n.Lang(v)
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "en" || c.Value == "fr") {
		return i18n.Lang(c.Value)
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

type flowPage struct {
	Lang       i18n.Lang
	Other      i18n.Lang
	Submission *opendata.Submission
	Title      string
	Next       string
}

func (s *Server) flow(w http.ResponseWriter, r *http.Request) {
	l := lang(w, r)
	page := flowPage{Lang: l, Other: l.Other()}
	sub, err := s.db.Submission(r.Context(), r.PathValue("id"))
	status := http.StatusOK
	switch {
	case opendata.ErrorCode(err) == opendata.ENOTFOUND:
		status = http.StatusNotFound
	case err != nil:
		s.logger.ErrorContext(r.Context(), "flow page", "err", err)
		http.Error(w, "Internal error / Erreur interne", http.StatusInternalServerError)
		return
	default:
		page.Submission = sub
		page.Title = sub.Fields.TitleEN
		if l == i18n.FR {
			page.Title = sub.Fields.TitleFR
		}
		page.Next = i18n.T(l, "flow.next."+string(sub.State))
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "flow.html", page); err != nil {
		s.logger.ErrorContext(r.Context(), "render flow page", "err", err)
		http.Error(w, "Internal error / Erreur interne", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
