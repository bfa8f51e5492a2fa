package mail

import (
	"bytes"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// steps lists every constructor with the phrases and links its message must carry, once per language.
var steps = []struct {
	name  string
	build func(Data) Message
	en    []string // phrases of the English half
	fr    []string
	links func(Data) []string
	user  func(Data) []string // user text that must be escaped in HTML
}{
	{"SignInLink", SignInLink, []string{"sign in to DataHub", "15 minutes"}, []string{"vous connecter au DataHub", "15 minutes"},
		func(d Data) []string { return []string{d.SignInURL} }, nil},
	{"SubmissionReceived", SubmissionReceived, []string{"DataHub received your dataset", "approval form"},
		[]string{"Le DataHub a reçu votre jeu de données", "formulaire d'approbation"},
		func(d Data) []string { return []string{d.FlowURL} }, titles},
	{"ApprovalRequested", ApprovalRequested, []string{"waiting for your approval"}, []string{"attend votre approbation"},
		func(d Data) []string { return []string{d.FlowURL, d.QueueURL} }, titles},
	{"ChangesRequested", ChangesRequested, []string{"asked for changes"}, []string{"demandé des modifications"},
		func(d Data) []string { return []string{d.FlowURL} }, withReason},
	{"Approved", Approved, []string{"was approved"}, []string{"a été approuvé"},
		func(d Data) []string { return []string{d.FlowURL} }, titles},
	{"Rejected", Rejected, []string{"rejected"}, []string{"a rejeté"},
		func(d Data) []string { return []string{d.FlowURL} }, withReason},
	{"Withdrawn", Withdrawn, []string{"was withdrawn"}, []string{"a été retiré"},
		func(d Data) []string { return []string{d.FlowURL} }, withReason},
	{"Published", Published, []string{"now published"}, []string{"maintenant publié"},
		func(d Data) []string { return []string{d.DatasetURL, d.FlowURL} }, titles},
	{"PublishFailed", PublishFailed, []string{"could not publish"}, []string{"n'a pas pu publier"},
		func(d Data) []string { return []string{d.FlowURL} },
		func(d Data) []string { return append(titles(d), d.Detail) }},
}

func titles(d Data) []string     { return []string{d.TitleEN, d.TitleFR} }
func withReason(d Data) []string { return append(titles(d), d.Reason) }

// halves splits a body at sep, where its second language starts, so that each
// phrase is checked in its own language.
func halves(t *testing.T, body, sep string) (first, second string) {
	t.Helper()
	i := strings.Index(body, sep)
	if i < 0 {
		t.Fatalf("no %q between the languages in:\n%s", sep, body)
	}
	return body[:i], body[i:]
}

// hasPhrases reports each of phrases that half, named what, lacks.
func hasPhrases(t *testing.T, what, half string, phrases []string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(half, p) {
			t.Errorf("%s lacks %q", what, p)
		}
	}
}

// bodyHalves is one body of a message (kind "text" or "html") cut into its
// English and French halves.
type bodyHalves struct{ kind, text, en, fr string }

// langHalves cuts m's text and HTML bodies into their halves, first being
// the language that comes first ("en" or "fr"), after checking that each body
// opens with the note that the other language follows.
func langHalves(t *testing.T, m Message, first string) []bodyHalves {
	t.Helper()
	second, note := "fr", "Le français suit."
	if first == "fr" {
		second, note = "en", "The English follows."
	}
	var out []bodyHalves
	for _, b := range []struct{ kind, text, sep string }{
		{"text", m.Text, "-----\n"}, {"html", m.HTML, `<div lang="` + second + `"`},
	} {
		if !strings.Contains(b.text[:min(len(b.text), 800)], note) {
			t.Errorf("%s: no %q at the top", b.kind, note)
		}
		h := bodyHalves{kind: b.kind, text: b.text}
		if first == "fr" {
			h.fr, h.en = halves(t, b.text, b.sep)
		} else {
			h.en, h.fr = halves(t, b.text, b.sep)
		}
		out = append(out, h)
	}
	return out
}

func TestStepsAreBilingual(t *testing.T) {
	d := sample()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			m := s.build(d)
			en, fr, ok := strings.Cut(m.Subject, " / ")
			if !ok || en == "" || fr == "" || strings.Contains(m.Subject, "\n") {
				t.Errorf("subject %q: want one line, %q", m.Subject, "English / Français")
			}
			if len(m.To) != 1 || m.To[0] != d.To[0] || m.ReplyTo != d.ReplyTo {
				t.Errorf("to %q reply-to %q", m.To, m.ReplyTo)
			}
			for _, body := range langHalves(t, m, "en") {
				hasPhrases(t, body.kind+": English half", body.en, s.en)
				hasPhrases(t, body.kind+": French half", body.fr, s.fr)
				for _, link := range s.links(d) {
					if !strings.Contains(body.en, link) || !strings.Contains(body.fr, link) {
						t.Errorf("%s: link %q not in both languages", body.kind, link)
					}
				}
				if strings.Contains(body.text, "<no value>") {
					t.Errorf("%s: a template field is missing", body.kind)
				}
			}
		})
	}
}

func TestUserTextEscapedInHTML(t *testing.T) {
	d := sample()
	for _, s := range steps {
		if s.user == nil {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			m := s.build(d)
			if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>") || strings.Contains(m.HTML, "<conflict>") {
				t.Errorf("user markup reached the HTML raw:\n%s", m.HTML)
			}
			if !strings.Contains(m.HTML, "&lt;script&gt;") {
				t.Errorf("escaped title missing from the HTML")
			}
			for _, u := range s.user(d) {
				// Plain text carries user text as it is (indented line by line when it is a reason).
				first, _, _ := strings.Cut(u, "\n")
				if !strings.Contains(m.Text, first) {
					t.Errorf("plain text lacks %q", first)
				}
			}
		})
	}
}

func TestHTMLRefusesScriptLinks(t *testing.T) {
	d := sample()
	d.FlowURL = "javascript:alert(1)"
	if m := Approved(d); strings.Contains(m.HTML, "javascript:") {
		t.Errorf("a javascript: URL reached an href:\n%s", m.HTML)
	}
}

func TestSignInMinutes(t *testing.T) {
	d := sample()
	d.ValidFor = time.Minute
	m := SignInLink(d)
	if !strings.Contains(m.Text, "expires in 1 minute:") || !strings.Contains(m.Text, "expire dans 1 minute :") {
		t.Errorf("singular minute wrong:\n%s", m.Text)
	}
}

func TestWithdrawnWithoutReason(t *testing.T) {
	d := sample()
	d.Reason = ""
	m := Withdrawn(d)
	if strings.Contains(m.Text, "reason given") || strings.Contains(m.HTML, "blockquote") {
		t.Errorf("a missing reason still shows:\n%s", m.Text)
	}
}

func TestSubjectStaysOneLine(t *testing.T) {
	if got := oneLine(" a\r\nb\tc "); got != "a b c" {
		t.Errorf("oneLine = %q", got)
	}
}

// TestMailFollowsTheGlossary: the French of every email uses the service's
// terms (i18n.Glossary), as the pages do.
func TestMailFollowsTheGlossary(t *testing.T) {
	entries, err := templateFiles.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := templateFiles.ReadFile("templates/" + e.Name())
		text := strings.ToLower(string(b))
		if i := strings.Index(text, `{{define "fr"`); i >= 0 {
			text = text[i:]
		}
		for _, term := range i18n.Glossary {
			for _, bad := range term.Avoid {
				if strings.Contains(text, bad) {
					t.Errorf("%s: %q is said %q: use %q", e.Name(), term.EN, bad, term.FR)
				}
			}
		}
	}
}

// The approval email says exactly what happens next: publishing, or a dry run.
func TestApprovedSaysWhatHappensNext(t *testing.T) {
	d := Data{To: []string{"a@example.gc.ca"}, TitleEN: "T", TitleFR: "T", FlowURL: "https://datahub.example/flow/x"}
	if m := Approved(d); !strings.Contains(m.Text, "you will receive another message") || strings.Contains(m.Text, "nothing was sent") {
		t.Errorf("with a registry:\n%s", m.Text)
	}
	d.DryRun = true
	m := Approved(d)
	for _, want := range []string{"nothing was sent", "rien n’a donc été envoyé"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("dry run lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "another message") {
		t.Errorf("dry run promises publishing:\n%s", m.Text)
	}
}

// A reader who uses the service in French gets French first: the subject,
// the text and HTML bodies, the HTML's lang and Content-Language.
func TestFrenchFirst(t *testing.T) {
	d := sample()
	d.Lang = "fr"
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			m := s.build(d)
			en := s.build(sample())
			if m.Lang != "fr" || en.Lang != "en" {
				t.Errorf("Lang = %q (French first), %q (default)", m.Lang, en.Lang)
			}
			enSubj, frSubj, _ := strings.Cut(en.Subject, " / ")
			if m.Subject != frSubj+" / "+enSubj {
				t.Errorf("subject %q, want %q", m.Subject, frSubj+" / "+enSubj)
			}
			for _, body := range langHalves(t, m, "fr") {
				hasPhrases(t, body.kind+": French half (first)", body.fr, s.fr)
				hasPhrases(t, body.kind+": English half (second)", body.en, s.en)
			}
			if !strings.Contains(m.HTML, `<html lang="fr">`) {
				t.Errorf("html lang is not fr")
			}
			if h := contentLanguage(t, m); h != "fr, en" {
				t.Errorf("Content-Language %q, want %q", h, "fr, en")
			}
			if h := contentLanguage(t, en); h != "en, fr" {
				t.Errorf("default Content-Language %q, want %q", h, "en, fr")
			}
		})
	}
}

// contentLanguage builds m as it would be sent and returns its Content-Language header.
func contentLanguage(t *testing.T, m Message) string {
	t.Helper()
	from, err := parseFrom("DataHub <datahub@example.gc.ca>")
	if err != nil {
		t.Fatal(err)
	}
	m.ID, m.Date = "x@example.gc.ca", time.Now()
	msg, err := m.build(from)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	parsed, err := netmail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Header.Get("Content-Language")
}
