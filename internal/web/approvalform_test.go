package web_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/pdf"
	"github.com/opendata-datahub/datahub/internal/store"
)

// approvalPairs is the approval form as a browser sends it: ticked boxes as "on", unticked ones absent.
func approvalPairs(f opendata.ApprovalForm) []string {
	pairs := []string{
		opendata.FormOwnerDepartment, f.OwnerDepartment, opendata.FormOwnerSector, f.OwnerSector,
		opendata.FormOwnerBranch, f.OwnerBranch, opendata.FormOwnerDivision, f.OwnerDivision,
		opendata.FormOwnerSection, f.OwnerSection, opendata.FormOwnerName, f.OwnerName,
		opendata.FormOwnerPhone, f.OwnerPhone, opendata.FormOwnerEmail, f.OwnerEmail,
		opendata.FormDatasetTitle, f.DatasetTitle,
		opendata.FormExceptions, f.Exceptions, opendata.FormBlanketOtherText, f.BlanketOtherText,
	}
	if f.TypeOfData != "" {
		pairs = append(pairs, opendata.FormTypeOfData, f.TypeOfData)
	}
	ticked := map[string]bool{
		opendata.FormSubjectToExceptions: f.SubjectToExceptions, opendata.FormBlanketOngoing: f.BlanketOngoing,
		opendata.FormBlanketCollection: f.BlanketCollection, opendata.FormBlanketInSitu: f.BlanketInSitu,
		opendata.FormBlanketOther: f.BlanketOther,
	}
	for _, c := range f.ReleaseCriteria() {
		ticked[c.Field] = c.Confirmed
	}
	for name, on := range ticked {
		if on {
			pairs = append(pairs, name, "on")
		}
	}
	return pairs
}

func completeApprovalForm() opendata.ApprovalForm {
	return opendata.ApprovalForm{
		OwnerDepartment: "Natural Resources Canada", OwnerBranch: "Canadian Forest Service",
		OwnerName: "Pat Owner", OwnerPhone: "613-555-0123", OwnerEmail: "pat.owner@example.gc.ca",
		DatasetTitle: "Forest inventory", TypeOfData: opendata.TypeData,
		CopyrightCleared: true, AuthorityToRelease: true, NoPersonalInformation: true, NotClassifiedOrProtected: true,
		FreeOfCharge: true, MachineReadable: true, NonProprietaryFormat: true, OfficialLanguages: true,
		BlanketOngoing: true,
	}
}

func storedApprovalForm(t *testing.T, db *store.DB, id string) (opendata.ApprovalForm, bool) {
	t.Helper()
	f, saved, err := db.ApprovalForm(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return f, saved
}

func TestApprovalFormIsPrefilledUntilSaved(t *testing.T) {
	srv := newEditorServer(t)
	const id = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b51"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	jane := signIn(t, srv, edContact)
	r := jane.get(t, "/flow/"+id+"/approval-form")
	wantCode(t, r, http.StatusOK)
	if ctl := control(t, r.body, "dataset_title"); !strings.Contains(ctl, `value="Forest inventory"`) {
		t.Errorf("dataset_title is not the English title: %s", ctl)
	}
	if ctl := control(t, r.body, "owner_email"); !strings.Contains(ctl, `value="`+edContact+`"`) {
		t.Errorf("owner_email is not the contact: %s", ctl)
	}
	// No problems, and nothing left to do, are shown for a form not yet saved.
	lacks(t, r, `id="error-owner_name"`, `id="error-copyright_cleared"`, `id="todo-owner_name"`,
		`id="todo-copyright_cleared"`, `id="approval-form-todo"`, `class="dh-error-summary"`)
	wantApprovalChecklist(t, jane, id, false)
	has(t, r, `id="save-approval-form"`, `<a id="download-pdf"`, `href="/flow/`+id+`/approval-form.pdf"`)

	inFrench(t, jane)
	if ctl := control(t, jane.get(t, "/flow/"+id+"/approval-form").body, "dataset_title"); !strings.Contains(ctl, `value="Inventaire forestier"`) {
		t.Errorf("in French, dataset_title is not the French title: %s", ctl)
	}
}

// wantTodo checks that message is shown next to field as something left to
// do, which the control points to, without marking it invalid.
func wantTodo(t *testing.T, body, field, target, message string) {
	t.Helper()
	if !strings.Contains(body, `<p class="dh-todo" id="todo-`+field+`">`+message+`</p>`) {
		t.Errorf("next to %s: no %q", field, message)
	}
	if strings.Contains(body, `id="error-`+field+`"`) {
		t.Errorf("%s, only unfinished, is shown as an error", field)
	}
	if field == target { // a radio group's fieldset carries its description
		ctl := control(t, body, target)
		if strings.Contains(ctl, `aria-invalid`) || !strings.Contains(ctl, "todo-"+field) {
			t.Errorf("control %s is marked invalid or not described by what is left to do: %s", target, ctl)
		}
	}
}

// wantApprovalChecklist checks whether the checklist shows the approval form as complete.
func wantApprovalChecklist(t *testing.T, p *visitor, id string, done bool) {
	t.Helper()
	r := p.get(t, "/flow/"+id+"/submit")
	m := regexp.MustCompile(`<li class="dh-checklist__item dh-checklist__item--(done|todo)">\s*<span[^>]*>[^<]*</span>\s*<a href="/flow/[^"]+/approval-form">`).
		FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("the checklist has no approval form item")
	}
	if got := m[1] == "done"; got != done {
		t.Errorf("checklist: approval form done = %v, want %v", got, done)
	}
}

func TestApprovalFormSavesUnfinished(t *testing.T) {
	srv := newEditorServer(t)
	const id = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b58"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	jane := signIn(t, srv, edContact)

	// Half filled in: no name, no type of data, two criteria and the exceptions still to do.
	f := completeApprovalForm()
	f.OwnerName, f.TypeOfData, f.OwnerDepartment = "", "", "  Natural Resources Canada "
	f.AuthorityToRelease, f.OfficialLanguages = false, false
	f.SubjectToExceptions = true
	seeOther(t, jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(f)...),
		"/flow/"+id+"/approval-form?flash=approval_form_saved_incomplete")
	got, saved := storedApprovalForm(t, srv.db, id)
	if want := f.Clean(); !saved || got != want {
		t.Errorf("saved %v: %+v, want %+v", saved, got, want)
	}

	r := jane.get(t, "/flow/"+id+"/approval-form?flash=approval_form_saved_incomplete")
	wantCode(t, r, http.StatusOK)
	has(t, r, "The approval form was saved, but it is not complete yet.", `value="Natural Resources Canada"`,
		`<div class="dh-todo-summary" id="approval-form-todo">`, "5 items are still to do")
	wantTodo(t, r.body, "owner_name", "owner_name", "Still to fill in.")
	wantTodo(t, r.body, "type_of_data", "type_of_data-data", "Still to choose.")
	wantTodo(t, r.body, "authority_to_release", "authority_to_release", "Still to be confirmed by the business owner.")
	wantTodo(t, r.body, "official_languages", "official_languages", "Still to be confirmed by the business owner.")
	wantTodo(t, r.body, "exceptions", "exceptions", "Still to describe, as the box above is ticked.")
	has(t, r, `aria-describedby="type_of_data-hint todo-type_of_data"`)
	// What is done is not marked, and nothing reads as an error.
	lacks(t, r, `id="todo-owner_email"`, `id="todo-copyright_cleared"`, `class="dh-error-summary"`, `class="dh-error"`)
	for _, name := range []string{"copyright_cleared", "subject_to_exceptions", "blanket_ongoing"} {
		if ctl := control(t, r.body, name); !strings.Contains(ctl, " checked") {
			t.Errorf("%s is no longer ticked: %s", name, ctl)
		}
	}
	wantApprovalChecklist(t, jane, id, false)

	inFrench(t, jane)
	// The confirmation was shown once; reloading the page does not repeat it.
	r = jane.get(t, "/flow/"+id+"/approval-form?flash=approval_form_saved_incomplete")
	lacks(t, r, "Le formulaire d’approbation a été enregistré", `id="flash"`)
	has(t, r, "il reste 5 éléments à compléter")
	wantTodo(t, r.body, "owner_name", "owner_name", "Reste à remplir.")
	wantTodo(t, r.body, "authority_to_release", "authority_to_release",
		"Reste à faire confirmer par le responsable opérationnel.")

	// One thing left reads in the singular; finishing it completes the form.
	f.OwnerName, f.TypeOfData, f.AuthorityToRelease, f.OfficialLanguages = "Pat Owner", opendata.TypeData, true, true
	seeOther(t, jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(f)...),
		"/flow/"+id+"/approval-form?flash=approval_form_saved_incomplete")
	r = jane.get(t, "/flow/"+id+"/approval-form?lang=en")
	has(t, r, "1 item is still to do")
	wantTodo(t, r.body, "exceptions", "exceptions", "Still to describe, as the box above is ticked.")
	wantApprovalChecklist(t, jane, id, false)

	f.Exceptions = "Section 20(1)(b): third-party data."
	seeOther(t, jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(f)...), "/flow/"+id+"/signed-approval?flash=approval_form_saved")
	r = jane.get(t, "/flow/"+id+"/approval-form")
	lacks(t, r, `class="dh-todo"`, `id="approval-form-todo"`, `class="dh-error"`)
	wantApprovalChecklist(t, jane, id, true)
}

func TestApprovalFormWrongValuesAreNotSaved(t *testing.T) {
	srv := newEditorServer(t)
	const id = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b52"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	jane := signIn(t, srv, edContact)

	// A wrong email refuses the whole form; what is merely unfinished shows as such.
	f := completeApprovalForm()
	f.OwnerName, f.OwnerEmail, f.TypeOfData = "", "pat at example", ""
	f.AuthorityToRelease = false
	f.SubjectToExceptions, f.Exceptions = true, "  "
	r := jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(f)...)
	wantCode(t, r, http.StatusUnprocessableEntity)
	wantFieldError(t, r.body, "owner_email", "owner_email", "Email must be one email address, such as name@example.gc.ca.")
	wantTodo(t, r.body, "owner_name", "owner_name", "Still to fill in.")
	wantTodo(t, r.body, "type_of_data", "type_of_data-data", "Still to choose.")
	wantTodo(t, r.body, "authority_to_release", "authority_to_release", "Still to be confirmed by the business owner.")
	wantTodo(t, r.body, "exceptions", "exceptions", "Still to describe, as the box above is ticked.")
	has(t, r, "4 items are still to do")
	// What was typed and ticked is kept.
	if ctl := control(t, r.body, "owner_department"); !strings.Contains(ctl, `value="Natural Resources Canada"`) {
		t.Errorf("owner_department lost: %s", ctl)
	}
	if ctl := control(t, r.body, "owner_email"); !strings.Contains(ctl, `value="pat at example"`) {
		t.Errorf("owner_email lost: %s", ctl)
	}
	for _, name := range []string{"copyright_cleared", "subject_to_exceptions", "blanket_ongoing"} {
		if ctl := control(t, r.body, name); !strings.Contains(ctl, " checked") {
			t.Errorf("%s is no longer ticked: %s", name, ctl)
		}
	}
	if ctl := control(t, r.body, "authority_to_release"); strings.Contains(ctl, " checked") {
		t.Errorf("authority_to_release was not ticked: %s", ctl)
	}
	if _, saved := storedApprovalForm(t, srv.db, id); saved {
		t.Error("an approval form with a wrong value was saved")
	}

	inFrench(t, jane)
	r = jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(f)...)
	wantCode(t, r, http.StatusUnprocessableEntity)
	wantFieldError(t, r.body, "owner_email", "owner_email", "Le champ Courriel doit être une seule adresse courriel, comme nom@exemple.gc.ca.")
	wantTodo(t, r.body, "owner_name", "owner_name", "Reste à remplir.")

	// Each kind of wrong value is refused on an otherwise complete form, and
	// leaves the form saved before as it was.
	before := completeApprovalForm()
	before.OwnerName = ""
	if err := srv.db.SaveApprovalForm(context.Background(), id, before, "user:"+edContact); err != nil {
		t.Fatal(err)
	}
	wantCode(t, jane.get(t, "/flow/"+id+"?lang=en"), http.StatusOK)
	for _, c := range []struct {
		name, field, message string
		edit                 func(*opendata.ApprovalForm)
	}{
		{"too long", "owner_phone", "Telephone is too long: at most 50 characters.", func(f *opendata.ApprovalForm) {
			f.OwnerPhone = strings.Repeat("6", opendata.MaxPhone+1)
		}},
		{"control character", "dataset_title", "Dataset title must not contain control characters.", func(f *opendata.ApprovalForm) { f.DatasetTitle = "Forest\x07inventory" }},
		{"unknown type", "type_of_data", "is not an allowed value of Type of data.", func(f *opendata.ApprovalForm) { f.TypeOfData = "spreadsheet" }},
		{"ticked exceptions too long", "exceptions", "Exceptions or exclusions is too long: at most 2000 characters.", func(f *opendata.ApprovalForm) {
			f.SubjectToExceptions, f.Exceptions = true, strings.Repeat("x", opendata.MaxFormText+1)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := completeApprovalForm()
			c.edit(&f)
			r := jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(f)...)
			wantCode(t, r, http.StatusUnprocessableEntity)
			has(t, r, `<p class="dh-error" id="error-`+c.field+`">`, c.message, `class="dh-error-summary"`)
			lacks(t, r, `id="approval-form-todo"`)
			if got, _ := storedApprovalForm(t, srv.db, id); got != before {
				t.Errorf("the saved form changed: %+v", got)
			}
		})
	}
}

func TestApprovalFormSaves(t *testing.T) {
	srv := newEditorServer(t)
	const id = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b53"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	jane := signIn(t, srv, edContact)

	f := completeApprovalForm()
	f.OwnerName = "  Pat Owner  "
	f.BlanketOtherText = "Not ticked, so dropped"
	seeOther(t, jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(f)...), "/flow/"+id+"/signed-approval?flash=approval_form_saved")
	got, saved := storedApprovalForm(t, srv.db, id)
	if want := completeApprovalForm(); !saved || got != want {
		t.Errorf("saved %v: %+v, want %+v", saved, got, want)
	}

	has(t, jane.get(t, "/flow/"+id+"/signed-approval?flash=approval_form_saved"), "The approval form was saved.")
	r := jane.get(t, "/flow/"+id+"/approval-form")
	wantCode(t, r, http.StatusOK)
	has(t, r, `value="Pat Owner"`)
	lacks(t, r, `class="dh-todo"`, `id="approval-form-todo"`, `class="dh-error"`)
	wantApprovalChecklist(t, jane, id, true)
	if ctl := control(t, r.body, "type_of_data-data"); !strings.Contains(ctl, " checked") {
		t.Errorf("type_of_data is not shown: %s", ctl)
	}
}

func TestApprovalFormRefusals(t *testing.T) {
	srv := newEditorServer(t)
	const (
		draft   = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b54"
		pending = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b55"
	)
	addDraft(t, srv, draft, edFields(), opendata.StateInPreparation)
	other := edFields()
	other.FileID = "file-43"
	addDraft(t, srv, pending, other, opendata.StatePendingApproval)
	pairs := approvalPairs(completeApprovalForm())
	wantCode(t, signIn(t, srv, edStranger).post(t, "/flow/"+draft+"/approval-form", pairs...), http.StatusForbidden)
	wantCode(t, signInAs(t, srv, edApprover, opendata.RoleApprover).post(t, "/flow/"+draft+"/approval-form", pairs...),
		http.StatusForbidden)
	wantCode(t, signIn(t, srv, edContact).postRaw(t, "/flow/"+draft+"/approval-form", pairs...), http.StatusForbidden)
	wantCode(t, signIn(t, srv, edContact).post(t, "/flow/"+pending+"/approval-form", pairs...), http.StatusConflict)
	for _, id := range []string{draft, pending} {
		if _, saved := storedApprovalForm(t, srv.db, id); saved {
			t.Errorf("%s: a refused approval form was saved", id)
		}
	}
}

func TestApprovalFormPDF(t *testing.T) {
	srv := newEditorServer(t)
	const id = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b56"
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	path := "/flow/" + id + "/approval-form.pdf"
	// The same data and time give the same bytes, so the download can be compared whole.
	want := func(form opendata.ApprovalForm) []byte {
		var buf bytes.Buffer
		err := pdf.Render(&buf, pdf.FormData{ID: id, Project: testProject, Fields: edFields(), Form: form,
			FlowURL: srv.URL + "/flow/" + id, Generated: editorNow})
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	check := func(r response, form opendata.ApprovalForm) {
		t.Helper()
		wantCode(t, r, http.StatusOK)
		for name, v := range map[string]string{
			"Content-Type":           "application/pdf",
			"Content-Disposition":    `attachment; filename="approval-form-` + id + `.pdf"`,
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := r.header.Get(name); got != v {
				t.Errorf("%s: %q, want %q", name, got, v)
			}
		}
		if !strings.HasPrefix(r.body, "%PDF-") {
			t.Fatalf("not a PDF: %.20q", r.body)
		}
		if r.body != string(want(form)) {
			t.Error("the PDF is not the form expected")
		}
	}

	jane := signIn(t, srv, edContact)
	draft := opendata.ApprovalForm{DatasetTitle: "Forest inventory", OwnerEmail: edContact}
	check(jane.get(t, path), draft)
	seeOther(t, jane.post(t, "/flow/"+id+"/approval-form", approvalPairs(completeApprovalForm())...),
		"/flow/"+id+"/signed-approval?flash=approval_form_saved")
	check(jane.get(t, path), completeApprovalForm())
	check(signInAs(t, srv, edApprover, opendata.RoleApprover).get(t, path), completeApprovalForm())
	check(signInAs(t, srv, "boss@example.gc.ca", opendata.RoleAdmin).get(t, path), completeApprovalForm())

	r := signIn(t, srv, edStranger).get(t, path)
	wantCode(t, r, http.StatusForbidden)
	if strings.HasPrefix(r.body, "%PDF") {
		t.Error("a stranger got the PDF")
	}
	r = srv.anonymous().get(t, path)
	if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?next=") {
		t.Errorf("anonymous: %d to %q, want 303 to sign in", r.status, loc)
	}
	wantCode(t, jane.get(t, "/flow/7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b99/approval-form.pdf"), http.StatusNotFound)
}

func TestApprovalFormEscapesStoredXSS(t *testing.T) {
	srv := newEditorServer(t)
	const id = "7a2d3b5f-2c1f-4a8b-8d66-1e7d2f3c4b57"
	const attack = `"><script>alert(1)</script>`
	addDraft(t, srv, id, edFields(), opendata.StateInPreparation)
	f := completeApprovalForm()
	f.OwnerName, f.DatasetTitle, f.SubjectToExceptions, f.Exceptions = attack, attack, true, attack
	if err := srv.db.SaveApprovalForm(context.Background(), id, f, "user:"+edContact); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*visitor{signIn(t, srv, edContact), signInAs(t, srv, edApprover, opendata.RoleApprover)} {
		r := who.get(t, "/flow/"+id+"/approval-form")
		wantCode(t, r, http.StatusOK)
		lacks(t, r, "<script>alert(1)</script>", `"><script`)
		has(t, r, "&lt;script&gt;alert(1)&lt;/script&gt;")
	}
}
