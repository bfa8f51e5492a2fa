package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/web"
)

// The people of the editor tests: the contact of the test submissions, an
// approver of their project and someone with no part in them.
const (
	edContact  = "jane.doe@example.gc.ca"
	edApprover = "approver@example.gc.ca"
	edStranger = "mallory@example.gc.ca"
)

// editorNow is the editor tests' clock: today, for date_published, and the
// date a PDF prints, so that the same form renders the same bytes.
var editorNow = time.Date(2025, 6, 2, 13, 0, 0, 0, time.UTC)

func newEditorServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServer(t, func(c *web.Config) { c.Now = func() time.Time { return editorNow } })
}

// signInAs grants email a role for testProject (every project for an admin), then signs it in.
func signInAs(t *testing.T, srv *testServer, email string, role opendata.Role) *visitor {
	t.Helper()
	project := testProject
	if role == opendata.RoleAdmin {
		project = ""
	}
	srv.grant(t, email, role, project)
	return signIn(t, srv, email)
}

func edFields() opendata.Fields {
	return opendata.Fields{
		FileURL: "https://example.gc.ca/forest.csv", FileID: "file-42", FileName: "forest.csv",
		EmailContact: edContact, Collection: "primary",
		TitleEN: "Forest inventory", TitleFR: "Inventaire forestier",
		NotesEN: "Plots.", NotesFR: "Placettes.",
		KeywordsEN: []string{"forests", "trees"}, KeywordsFR: []string{"forêts"},
		Subject: []string{"nature_and_environment"}, Frequency: "P1Y", DatePublished: "2024-03-15",
		Jurisdiction: "federal", Audience: []string{},
	}
}

// addDraft stores a submission of testProject in state.
func addDraft(t *testing.T, srv *testServer, id string, f opendata.Fields, state opendata.State) {
	t.Helper()
	s := opendata.NewSubmission(id, testProject, keyPrefix, f, editorNow.Add(-24*time.Hour))
	s.State = state
	if err := srv.db.CreateSubmission(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
}

// metadataPairs is the metadata form as a browser sends it for f: keywords as
// comma-separated text, each chosen subject and audience as its own value.
// The file_id is not sent: its control is read-only.
func metadataPairs(f opendata.Fields) []string {
	var pairs []string
	for name, v := range f.Raw() {
		switch {
		case name == opendata.FieldFileID:
		case name == opendata.FieldKeywordsEN || name == opendata.FieldKeywordsFR:
			pairs = append(pairs, name, strings.Join(v.List, ", "))
		case v.IsList:
			for _, it := range v.List {
				pairs = append(pairs, name, it)
			}
		default:
			pairs = append(pairs, name, v.Str)
		}
	}
	return pairs
}

// inFrench makes the person's browser ask for French pages, as the toggle does.
func inFrench(t *testing.T, p *visitor) {
	t.Helper()
	u, err := url.Parse(p.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "fr", Path: "/"}})
}

func storedFields(t *testing.T, db *store.DB, id string) opendata.Fields {
	t.Helper()
	sub, err := db.Submission(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sub.Fields
}

// control returns the opening tag of the control with this id.
func control(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<(?:input|select|textarea)[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	if m == "" {
		t.Fatalf("no control with id %q", id)
	}
	return m
}

// wantFieldError checks that message is shown next to the field and in the
// summary, and that the control points to it.
func wantFieldError(t *testing.T, body, field, target, message string) {
	t.Helper()
	next := regexp.MustCompile(`<p class="dh-error" id="error-` + field + `">([^<]*(?:<br>[^<]*)*)</p>`).FindStringSubmatch(body)
	if next == nil || !strings.Contains(next[1], message) {
		t.Errorf("next to %s: %q, want %q", field, next, message)
	}
	if !strings.Contains(body, `<a href="#`+target+`">`+message+`</a>`) {
		t.Errorf("the summary lacks %q linking to #%s", message, target)
	}
	ctl := control(t, body, target)
	if strings.Contains(ctl, `type="checkbox"`) { // a group: its fieldset names the error
		ctl += regexp.MustCompile(`<fieldset id="` + field + `"[^>]*>`).FindString(body)
	}
	if !strings.Contains(ctl, `aria-invalid="true"`) || !strings.Contains(ctl, "error-"+field) {
		t.Errorf("control %s is not marked invalid and described by its error: %s", target, ctl)
	}
}

func TestMetadataErrorsInFrenchKeepWhatWasTyped(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a41"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	jane := signIn(t, srv, edContact)
	inFrench(t, jane)

	f := edFields()
	f.TitleEN = "A new title, typed"
	f.DatePublished = "2024-02-30"
	f.KeywordsFR = []string{"forêts", "x"}
	f.Subject = []string{"nature_and_environment", "law"}
	r := jane.post(t, "/flow/"+id+"/metadata", metadataPairs(f)...)
	wantCode(t, r, http.StatusUnprocessableEntity)
	// The GC pattern: the title says so first, the summary is focused on load, at the top of the task's page.
	has(t, r, `<html lang="fr">`, `<div class="dh-error-summary" role="alert" tabindex="-1" autofocus>`,
		"<title>Erreur : Métadonnées — ")
	if i := strings.Index(r.body, "dh-error-summary"); i < 0 || i > strings.Index(r.body, `name="file_url"`) {
		t.Error("the error summary is not above the form's fields")
	}
	wantFieldError(t, r.body, "date_published", "date_published",
		"Le champ Date de publication doit être une date réelle écrite AAAA-MM-JJ.")
	wantFieldError(t, r.body, "keywords_fr", "keywords_fr",
		"Le mot-clé « x » du champ Mots-clés (français) est trop court : au moins 2 caractères.")
	if strings.Contains(control(t, r.body, "title_translated_en"), "aria-invalid") {
		t.Error("a valid field is marked invalid")
	}
	// Everything typed is there again, the valid fields too.
	if ctl := control(t, r.body, "date_published"); !strings.Contains(ctl, `value="2024-02-30"`) {
		t.Errorf("the typed date is lost: %s", ctl)
	}
	if ctl := control(t, r.body, "title_translated_en"); !strings.Contains(ctl, `value="A new title, typed"`) {
		t.Errorf("the typed title is lost: %s", ctl)
	}
	has(t, r, `value="forêts, x"`, `id="subject-law" name="subject" value="law" checked`,
		`id="subject-nature_and_environment" name="subject" value="nature_and_environment" checked`)
	if got := storedFields(t, srv.db, id); got.TitleEN != "Forest inventory" {
		t.Errorf("an invalid edit was saved: %q", got.TitleEN)
	}
}

func TestMetadataErrorsFollowTheAPIRules(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a42"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	jane := signIn(t, srv, edContact)

	f := edFields()
	f.FileURL = "ftp://example.gc.ca/forest.csv"
	f.DatePublished = editorNow.AddDate(0, 0, 1).Format(time.DateOnly) // tomorrow
	f.Subject = nil
	f.CoverageStart, f.CoverageEnd = "2024-01-01", "2023-12-31"
	f.DigitalObjectID = "not a doi"
	r := jane.post(t, "/flow/"+id+"/metadata", metadataPairs(f)...)
	wantCode(t, r, http.StatusUnprocessableEntity)
	has(t, r, `<html lang="en">`)
	wantFieldError(t, r.body, "file_url", "file_url", "File URL must be an absolute http or https URL.")
	wantFieldError(t, r.body, "date_published", "date_published", "Date published must not be after today.")
	// Subject is a group of checkboxes: the summary links to the first, which it focuses.
	first := opendata.MustLoadVocabulary().List("subject")[0].Value
	wantFieldError(t, r.body, "subject", "subject-"+first, "Subject is required.")
	lacks(t, r, `<select id="subject"`, `multiple`)
	wantFieldError(t, r.body, "time_period_coverage_end", "time_period_coverage_end",
		"Time period covered: end must not be before time_period_coverage_start.")
	wantFieldError(t, r.body, "digital_object_identifier", "digital_object_identifier",
		"Digital Object Identifier (DOI) must be a DOI such as 10.1234/abc (a https://doi.org/ or doi: prefix is accepted).")
}

func TestMetadataEditSaves(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a43"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	jane := signIn(t, srv, edContact)

	f := edFields()
	f.TitleEN, f.NotesFR = "Forest inventory 2025", "Placettes,\nparcelles."
	f.KeywordsEN = []string{"forests", "old growth", "trees"}
	f.Subject = []string{"nature_and_environment", "science_and_technology"}
	f.Audience = []string{"scientists", "educators"}
	f.CoverageStart, f.CoverageEnd = "2020-01-01", "2024-12-31"
	f.DigitalObjectID = "https://doi.org/10.1234/abcd"
	pairs := append(metadataPairs(f), "file_id", "forged-id") // ignored: the control is read-only
	seeOther(t, jane.post(t, "/flow/"+id+"/metadata", pairs...), "/flow/"+id+"/file-check?flash=metadata_saved")

	want := f
	want.DigitalObjectID = "10.1234/abcd"
	got := storedFields(t, srv.db, id)
	if got.TitleEN != want.TitleEN || got.NotesFR != want.NotesFR || got.DigitalObjectID != want.DigitalObjectID ||
		got.FileID != "file-42" || !slices.Equal(got.KeywordsEN, want.KeywordsEN) ||
		!slices.Equal(got.Subject, want.Subject) || !slices.Equal(got.Audience, want.Audience) ||
		got.CoverageStart != want.CoverageStart || got.CoverageEnd != want.CoverageEnd {
		t.Errorf("saved %+v, want %+v", got, want)
	}

	has(t, jane.get(t, "/flow/"+id+"/file-check?flash=metadata_saved"), "The metadata were saved")
	r := jane.get(t, "/flow/"+id+"/metadata")
	wantCode(t, r, http.StatusOK)
	has(t, r, `value="Forest inventory 2025"`, `value="forests, old growth, trees"`,
		`id="audience-educators" name="audience" value="educators" checked`, `id="save-metadata"`)
}

func TestMetadataNewFileURLChecksTheFileAgain(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a44"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	checkState := func() opendata.CheckState {
		t.Helper()
		c, err := srv.db.FileCheck(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return c.State
	}
	srv.passFileCheck(t, id)
	jane := signIn(t, srv, edContact)

	f := edFields()
	f.TitleEN = "Same file, new title"
	seeOther(t, jane.post(t, "/flow/"+id+"/metadata", metadataPairs(f)...), "/flow/"+id+"/file-check?flash=metadata_saved")
	if s := checkState(); s != opendata.CheckPassed {
		t.Errorf("the same file_url left the check %s, want it passed still", s)
	}
	f.FileURL = "https://example.gc.ca/forest-v2.csv"
	seeOther(t, jane.post(t, "/flow/"+id+"/metadata", metadataPairs(f)...), "/flow/"+id+"/file-check?flash=metadata_saved")
	if s := checkState(); s != opendata.CheckPending {
		t.Errorf("a new file_url left the check %s, want it pending", s)
	}
	if got := storedFields(t, srv.db, id).FileURL; got != f.FileURL {
		t.Errorf("file_url %q, want %q", got, f.FileURL)
	}
}

func TestMetadataEditRefusals(t *testing.T) {
	srv := newEditorServer(t)
	const (
		draft   = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a45"
		pending = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a46"
	)
	addDraft(t, srv, draft, edFields(), opendata.StateInPreparation)
	other := edFields()
	other.FileID = "file-43"
	addDraft(t, srv, pending, other, opendata.StatePendingApproval)
	f := edFields()
	f.TitleEN = "Changed"
	pairs := metadataPairs(f)

	for _, c := range []struct {
		name   string
		who    *visitor
		id     string
		status int
		raw    bool // send without the CSRF token
	}{
		{"stranger", signIn(t, srv, edStranger), draft, http.StatusForbidden, false},
		{"approver", signInAs(t, srv, edApprover, opendata.RoleApprover), draft, http.StatusForbidden, false},
		{"not with the contact", signIn(t, srv, edContact), pending, http.StatusConflict, false},
		{"no CSRF token", signIn(t, srv, edContact), draft, http.StatusForbidden, true},
		{"unknown submission", signIn(t, srv, edContact), "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a99", http.StatusNotFound, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if c.raw {
				r = c.who.postRaw(t, "/flow/"+c.id+"/metadata", pairs...)
			} else {
				r = c.who.post(t, "/flow/"+c.id+"/metadata", pairs...)
			}
			wantCode(t, r, c.status)
		})
	}
	for _, id := range []string{draft, pending} {
		if got := storedFields(t, srv.db, id).TitleEN; got != "Forest inventory" {
			t.Errorf("%s: a refused edit was saved: %q", id, got)
		}
	}
	// An anonymous post is refused before anything else.
	wantCode(t, srv.anonymous().postRaw(t, "/flow/"+draft+"/metadata", pairs...), http.StatusUnauthorized)
}

func TestMetadataAdminMayEdit(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a47"
	addDraft(t, srv, id, edFields(), opendata.StateChangesRequested)
	f := edFields()
	f.TitleFR = "Inventaire des forêts"
	boss := signInAs(t, srv, "boss@example.gc.ca", opendata.RoleAdmin)
	seeOther(t, boss.post(t, "/flow/"+id+"/metadata", metadataPairs(f)...), "/flow/"+id+"/file-check?flash=metadata_saved")
	if got := storedFields(t, srv.db, id).TitleFR; got != f.TitleFR {
		t.Errorf("title_translated_fr %q, want %q", got, f.TitleFR)
	}
}

func TestMetadataReadOnlyForApprovers(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a48"
	addDraft(t, srv, id, edFields(), opendata.StatePendingApproval)
	r := signInAs(t, srv, edApprover, opendata.RoleApprover).get(t, "/flow/"+id+"/metadata")
	wantCode(t, r, http.StatusOK)
	has(t, r, "<dt>Subject</dt><dd>Nature and Environment</dd>", "<dt>Keywords (English)</dt><dd lang=\"en\">forests, trees</dd>")
	lacks(t, r, `id="save-metadata"`, `name="title_translated_en"`)
	r = signInAs(t, srv, edApprover, opendata.RoleApprover).get(t, "/flow/"+id+"/approval-form")
	lacks(t, r, `id="save-approval-form"`)
	has(t, r, `id="download-pdf"`)
}

func TestMetadataEscapesStoredXSS(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a49"
	const attack = `"><script>alert(1)</script>`
	f := edFields()
	f.TitleEN, f.NotesEN, f.FileName = attack, attack, attack
	f.KeywordsEN = []string{attack}
	addDraft(t, srv, id, f, opendata.StateInPreparation)

	for _, who := range []*visitor{signIn(t, srv, edContact), signInAs(t, srv, edApprover, opendata.RoleApprover)} {
		r := who.get(t, "/flow/"+id+"/metadata")
		wantCode(t, r, http.StatusOK)
		lacks(t, r, "<script>alert(1)</script>", `"><script`)
		if who.email == edContact {
			has(t, r, `value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`)
		}
	}
}

// Metadata stored before the rules changed (a retired choice, say) show their
// problems next to the fields, and the stored value stays selectable.
func TestMetadataShowsStoredProblems(t *testing.T) {
	srv := newEditorServer(t)
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a50"
	f := edFields()
	f.Subject = []string{"nature_and_environment", "retired_subject"}
	addDraft(t, srv, id, f, opendata.StateInPreparation)
	r := signIn(t, srv, edContact).get(t, "/flow/"+id+"/metadata")
	wantCode(t, r, http.StatusOK)
	next := regexp.MustCompile(`<p class="dh-error" id="error-subject">[^<]*</p>`).FindString(r.body)
	if !strings.Contains(next, "&#34;retired_subject&#34; is not an allowed value of Subject.") {
		t.Errorf("next to subject: %q", next)
	}
	has(t, r, `id="subject-retired_subject" name="subject" value="retired_subject" checked aria-invalid="true">
<label for="subject-retired_subject">retired_subject</label>`)
}

// The allowed email domains of the API hold on the page too.
func TestMetadataEmailDomains(t *testing.T) {
	srv := newTestServer(t, func(c *web.Config) { c.EmailDomains = []string{"example.gc.ca"} })
	const id = "6f1c2a4e-1b0e-4f7a-9c55-0d6c1e2b3a51"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	f := edFields()
	f.EmailContact = "jane@example.com"
	r := signIn(t, srv, edContact).post(t, "/flow/"+id+"/metadata", metadataPairs(f)...)
	wantCode(t, r, http.StatusUnprocessableEntity)
	wantFieldError(t, r.body, "email_contact", "email_contact",
		"Contact email must be an address in one of these domains: example.gc.ca.")
}
