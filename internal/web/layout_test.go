package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	// toggleLink is the plain-HTML language toggle of the header.
	toggleLink = regexp.MustCompile(`<a href="([^"]*)" lang="(en|fr)">`)
	// headerToggle is the address the gcds-header component gives its own toggle.
	headerToggle = regexp.MustCompile(`<gcds-header role="banner" lang-href="([^"]*)" skip-to-href="#main-content">`)
	stylesheet   = regexp.MustCompile(`<link rel="stylesheet" href="(/static/[0-9a-f]{12}/[^"]+)">`)
	// external finds absolute and protocol-relative URLs.
	external = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9]`)
)

// checkLayout checks what every page has from the layout, in language lang.
func checkLayout(t *testing.T, r response, lang string) {
	t.Helper()
	other := map[string]string{"en": "fr", "fr": "en"}[lang]
	for _, want := range []string{
		`<html lang="` + lang + `">`,
		`<main id="main-content" tabindex="-1">`,
		`<a href="#main-content">`, // the skip link without JavaScript
		`<gcds-footer role="contentinfo" display="compact">`, `<div class="dh-footer">`,
		`<gcds-container main-container size="xl" centered>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	// The toggle is a real link to this page in the other language, for the
	// component and without it alike.
	m := toggleLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("page has no language toggle link")
	}
	if m[2] != other {
		t.Errorf("toggle link is in %q, want %q", m[2], other)
	}
	href := html.UnescapeString(m[1])
	if u, err := url.Parse(href); err != nil || u.Scheme != "" || u.Host != "" || u.Path != "" || u.Query().Get("lang") != other {
		t.Errorf("toggle link %q is not ?lang=%s on this page", href, other)
	}
	if h := headerToggle.FindStringSubmatch(r.body); h == nil || h[1] != m[1] {
		t.Errorf("gcds-header lang-href = %q, want the toggle link %q", h, m[1])
	}

	// The design system's styles and loader, from this service only.
	var sheets []string
	for _, s := range stylesheet.FindAllStringSubmatch(r.body, -1) {
		sheets = append(sheets, s[1][len("/static/123456789abc/"):])
	}
	if got, want := strings.Join(sheets, " "), "gcds/gcds.css gcds/fonts.css site.css"; got != want {
		t.Errorf("stylesheets %q, want %q", got, want)
	}
	withoutLoader(t, r.body)
	if loc := external.FindAllString(r.body, -1); len(loc) > 0 {
		t.Errorf("page names other sites: %q", loc)
	}
	if strings.Contains(r.body, " style=") || strings.Contains(r.body, "<style") {
		t.Error("page has inline style")
	}
}

// The pages every test below visits: each one must be on the layout.
func TestLayoutOnEveryPage(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	tests := []struct {
		name, path, lang string
		status           int
	}{
		{"flow", "/flow/" + subID, "en", http.StatusOK},
		{"flow in French", "/flow/" + subID + "?lang=fr", "fr", http.StatusOK},
		{"flow, no such submission", "/flow/00000000-0000-0000-0000-000000000000", "en", http.StatusNotFound},
		{"flow, no such submission, in French", "/flow/00000000-0000-0000-0000-000000000000?lang=fr", "fr", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, nil, ts.URL+tt.path)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d", r.status, tt.status)
			}
			checkHeaders(t, r)
			checkLayout(t, r, tt.lang)
		})
	}
}

// The toggle switches the language and keeps the rest of the query.
func TestLayoutToggleKeepsQuery(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	r := get(t, nil, ts.URL+"/flow/"+subID+"?lang=fr&tab=history")
	if want := `<a href="?lang=en&amp;tab=history" lang="en">`; !strings.Contains(r.body, want) {
		t.Errorf("page lacks %q", want)
	}
	r = get(t, nil, ts.URL+"/flow/"+subID+"?tab=%22%3E%3Cscript%3E")
	if want := `<a href="?lang=fr&amp;tab=%22%3E%3Cscript%3E" lang="fr">`; !strings.Contains(r.body, want) {
		t.Errorf("page lacks %q", want)
	}
}

// Each response has its own CSP nonce.
func TestLayoutNonceIsPerResponse(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	seen := map[string]bool{}
	for range 5 {
		m := cspNonce.FindStringSubmatch(get(t, nil, ts.URL+"/flow/"+subID).body)
		if m == nil {
			t.Fatal("no nonce")
		}
		if seen[m[1]] {
			t.Fatalf("nonce %q served twice", m[1])
		}
		seen[m[1]] = true
	}
}
