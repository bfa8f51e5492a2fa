package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// The people of the flow page's tests, besides the contact of fields().
const (
	approver  = "approver@example.gc.ca" // approves testProject
	otherAppr = "other.approver@example.gc.ca"
	admin     = "admin@example.gc.ca"
	stranger  = "mallory@example.gc.ca"
	otherID   = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b" // a second submission, of someone else
)

// flowRig is a test server with the submission subID of contact, and
// browsers for each person with a part in it, or none.
type flowRig struct {
	*testServer
	contact, approver, admin, stranger *visitor
}

func newFlowRig(t *testing.T) *flowRig {
	t.Helper()
	srv := newTestServer(t)
	srv.submission(t, subID, fields())
	srv.grant(t, approver, opendata.RoleApprover, testProject)
	srv.grant(t, otherAppr, opendata.RoleApprover, "another")
	srv.grant(t, admin, opendata.RoleAdmin, "")
	return &flowRig{testServer: srv, contact: signIn(t, srv, contact), approver: signIn(t, srv, approver),
		admin: signIn(t, srv, admin), stranger: signIn(t, srv, stranger)}
}

// buttonTag returns the start tag of the button with this id, failing if there is none.
func buttonTag(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<button [^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	if m == "" {
		t.Fatalf("no button %q on the page", id)
	}
	return m
}

func disabled(t *testing.T, body, id string) bool {
	t.Helper()
	return strings.Contains(buttonTag(t, body, id), " disabled")
}

// section returns the <section> with this id, failing if there is none.
func section(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `<section id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no section %q on the page", id)
	}
	end := strings.Index(body[start:], "</section>")
	if end < 0 {
		t.Fatalf("section %q does not end", id)
	}
	return body[start : start+end]
}

// flowSections are the overview's sections; taskSections each task page's.
var flowSections = []string{"summary", "tasks", "actions", "timeline"}

var taskSections = map[string]string{"metadata": "metadata", "file-check": "file-check",
	"approval-form": "approval-form", "signed-approval": "signed-approval", "submit": "checklist"}

// Only the contact, approvers of the project and admins see the page.
func TestFlowWhoMaySee(t *testing.T) {
	rig := newFlowRig(t)
	tests := []struct {
		name   string
		who    *visitor
		status int
	}{
		{"contact", rig.contact, http.StatusOK},
		{"contact, address in capitals", signIn(t, rig.testServer, strings.ToUpper(contact)), http.StatusOK},
		{"approver of the project", rig.approver, http.StatusOK},
		{"approver of every project", func() *visitor {
			rig.grant(t, "global@example.gc.ca", opendata.RoleApprover, "")
			return signIn(t, rig.testServer, "global@example.gc.ca")
		}(), http.StatusOK},
		{"admin", rig.admin, http.StatusOK},
		{"approver of another project", signIn(t, rig.testServer, otherAppr), http.StatusForbidden},
		{"someone else", rig.stranger, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.who.get(t, "/flow/"+subID)
			wantCode(t, r, tt.status)
			checkHeaders(t, r)
			if tt.status == http.StatusForbidden {
				has(t, r, `id="error-forbidden"`, "Access refused")
				lacks(t, r, "Forest inventory", "forest.csv", "file-42", `<section id="`)
				return
			}
			for _, id := range flowSections {
				section(t, r.body, id)
			}
			has(t, r, "<title>Dataset submission — Forest inventory — ", "Forest inventory", "forest.csv",
				"<code>file-42</code>", testProject, contact, `<span class="state" id="state">In preparation</span>`)
			for task, id := range taskSections {
				r := tt.who.get(t, "/flow/"+subID+"/"+task)
				wantCode(t, r, http.StatusOK)
				section(t, r.body, id)
				has(t, r, `<a id="back-to-overview" href="/flow/`+subID+`">`)
			}
		})
	}
}

// The full sign-in: the anonymous page's link signs in by email and comes back to the page.
func TestFlowSignInComesBack(t *testing.T) {
	rig := newFlowRig(t)
	b := rig.anonymous()
	r := b.get(t, "/flow/"+subID)
	wantCode(t, r, http.StatusOK)
	has(t, r, signInLink(subID))

	r = b.get(t, "/signin?next="+url.QueryEscape("/flow/"+subID))
	wantCode(t, r, http.StatusOK)
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(r.body)
	if token == nil {
		t.Fatal("no CSRF token on the sign-in form")
	}
	r = b.postRaw(t, "/signin", "csrf", token[1], "email", contact, "next", "/flow/"+subID)
	wantCode(t, r, http.StatusOK)

	link := outboxLink(t, rig.outbox)
	r = b.get(t, "/signin/verify?token="+link)
	token = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(r.body)
	if token == nil {
		t.Fatal("no CSRF token on the confirm form")
	}
	r = b.postRaw(t, "/signin/verify", "csrf", token[1], "token", link)
	seeOther(t, r, "/flow/"+subID)
	r = b.get(t, "/flow/"+subID)
	wantCode(t, r, http.StatusOK)
	section(t, r.body, "tasks")
}

// outboxLink returns the token of the one sign-in link in the outbox.
func outboxLink(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d messages in the outbox, want 1", len(files))
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("=\r\n", "", "=\n", "", "=3D", "=").Replace(string(raw))
	m := regexp.MustCompile(`/signin/verify\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no sign-in link in the message")
	}
	return m[1]
}

// The checklist says in words what is done, and Submit for approval stays
// disabled, and refused, until all four items hold.
func TestFlowChecklistGatesSubmit(t *testing.T) {
	rig := newFlowRig(t)
	page := "/flow/" + subID
	steps := []struct {
		name string
		do   func()
		done []string
	}{
		{"new", func() {}, []string{"Metadata complete and valid"}},
		{"file checked", func() { rig.passFileCheck(t, subID) }, []string{"Metadata complete and valid", "File check passed"}},
		{"form saved", func() { rig.saveForm(t, subID, completeForm()) },
			[]string{"Metadata complete and valid", "File check passed", "Approval form complete"}},
	}
	all := []string{"Metadata complete and valid", "File check passed", "Approval form complete", "Signed approval attached"}
	for _, st := range steps {
		st.do()
		r := rig.contact.get(t, page+"/submit")
		wantCode(t, r, http.StatusOK)
		list := section(t, r.body, "checklist")
		for _, item := range all {
			state := "Not done:"
			for _, d := range st.done {
				if d == item {
					state = "Done:"
				}
			}
			if !regexp.MustCompile(regexp.QuoteMeta(state) + `</span>\s*<a href="/flow/[^"]+">` + regexp.QuoteMeta(item)).MatchString(list) {
				t.Errorf("%s: %q is not marked %q", st.name, item, state)
			}
		}
		if !disabled(t, r.body, "action-submit_for_approval") {
			t.Errorf("%s: submit is enabled", st.name)
		}
		has(t, r, `id="missing-submit_for_approval"`, "Not available yet. Still to do:", "<li>Signed approval attached</li>")
		if o := rig.contact.get(t, page); !strings.Contains(o.body, `id="action-withdraw"`) {
			t.Errorf("%s: the overview offers no withdraw", st.name)
		}

		r = rig.contact.post(t, page+"/actions/submit_for_approval")
		wantCode(t, r, http.StatusUnprocessableEntity)
		has(t, r, `id="error-action-submit_for_approval"`, "This cannot be done yet. Still to do:", "Signed approval attached.")
		if got := rig.state(t, subID); got != opendata.StateInPreparation {
			t.Fatalf("%s: state %s after a refused submit", st.name, got)
		}
	}

	rig.attachSigned(t, subID)
	r := rig.contact.get(t, page+"/submit")
	if disabled(t, r.body, "action-submit_for_approval") {
		t.Fatal("submit is disabled with the checklist complete")
	}
	lacks(t, r, "Not done:", `id="missing-submit_for_approval"`)
	seeOther(t, rig.contact.post(t, page+"/actions/submit_for_approval"), page+"?flash=submit_for_approval")
	if got := rig.state(t, subID); got != opendata.StatePendingApproval {
		t.Fatalf("state %s, want pending_approval", got)
	}
	r = rig.contact.get(t, page+"?flash=submit_for_approval")
	has(t, r, `id="flash"`, "The submission was sent for approval.", `<span class="state" id="state">Pending approval</span>`)
	if n := rig.notices(t, subID); len(n) != 2 || n[1].Event != opendata.NoticeApprovalRequested {
		t.Errorf("notices %+v, want received then approval_requested", n)
	}
	has(t, r, `id="task-submit-status">Submitted</strong>`)
	// Sent for approval, nothing is editable any more.
	for _, task := range []string{"metadata", "file-check", "approval-form", "signed-approval"} {
		lacks(t, rig.contact.get(t, page+"/"+task), `id="recheck"`, `id="upload-signed"`, `id="save-metadata"`, `id="save-approval-form"`)
	}
}

// Metadata that break the rules keep the first item undone, with the count of problems.
func TestFlowChecklistInvalidMetadata(t *testing.T) {
	srv := newTestServer(t)
	f := fields()
	f.TitleFR, f.Frequency = "", "sometimes"
	srv.submission(t, subID, f)
	r := signIn(t, srv, contact).get(t, "/flow/"+subID+"/submit")
	wantCode(t, r, http.StatusOK)
	list := section(t, r.body, "checklist")
	if !strings.Contains(list, `Not done:</span>
<a href="/flow/`+subID+`/metadata">Metadata complete and valid</a> <span class="dh-checklist__detail">(2 problem(s) to fix)</span>`) {
		t.Errorf("checklist:\n%s", list)
	}
}

// The file check shows its result in words and can be run again by the contact.
func TestFlowFileCheck(t *testing.T) {
	rig := newFlowRig(t)
	ctx := context.Background()
	page := "/flow/" + subID

	r := rig.contact.get(t, page+"/file-check")
	check := section(t, r.body, "file-check")
	for _, want := range []string{"Waiting or in progress", "Requested", `id="recheck"`, `action="/flow/` + subID + `/check"`} {
		if !strings.Contains(check, want) {
			t.Errorf("pending check lacks %q", want)
		}
	}
	// Already pending: nothing new is enqueued.
	seeOther(t, rig.contact.post(t, page+"/check"), page+"/file-check?flash=check_pending")

	c, err := rig.db.FileCheck(ctx, subID)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 2, 3, 16, 0, 0, 0, time.UTC)
	c.State, c.CheckedAt, c.HTTPStatus, c.Size = opendata.CheckFailed, &at, 404, 0
	c.Reason = "the server answered 404 Not Found: check that the file URL is right"
	if _, err := rig.db.SaveFileCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A check saved before reason codes: its English words, marked as English on a French page.
	for _, tt := range []struct{ lang, state, explain, reason, dd string }{
		{"en", "Failed", "The file could not be downloaded.", "Reason", `<dd id="file-check-reason">`},
		{"fr", "Échouée", "Le fichier n’a pas pu être téléchargé.", "Motif (en anglais)", `<dd lang="en" id="file-check-reason">`},
	} {
		r = rig.contact.get(t, page+"/file-check?lang="+tt.lang)
		check = section(t, r.body, "file-check")
		for _, want := range []string{tt.state, tt.explain, tt.reason, "2025-02-03 16:00 UTC",
			tt.dd + `the server answered 404 Not Found: check that the file URL is right</dd>`} {
			if !strings.Contains(check, want) {
				t.Errorf("%s: failed check lacks %q", tt.lang, want)
			}
		}
		if !strings.Contains(section(t, rig.contact.get(t, page).body, "tasks"), tt.state) {
			t.Errorf("%s: the checklist does not say the check %s", tt.lang, tt.state)
		}
	}
	// A coded reason is said in the page's language.
	c.ReasonCode, c.ReasonArgs = "http_not_found", map[string]string{"status": "404 Not Found"}
	if _, err := rig.db.SaveFileCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{
		"en": `<dt>Reason</dt><dd id="file-check-reason">the server answered 404 Not Found: check that the file URL is right</dd>`,
		"fr": `<dt>Motif</dt><dd id="file-check-reason">le serveur a répondu 404 Not Found : vérifiez que l’adresse du fichier est exacte</dd>`,
	} {
		if check := section(t, rig.contact.get(t, page+"/file-check?lang="+lang).body, "file-check"); !strings.Contains(check, want) {
			t.Errorf("%s: coded reason: page lacks %q", lang, want)
		}
	}
	// A reason given after the job's last attempt says how many, in the page's language too.
	c.ReasonCode, c.ReasonArgs = "connect_timeout", map[string]string{"host": "files.example.gc.ca", "duration": "30s", "attempts": "5"}
	if _, err := rig.db.SaveFileCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"en": "(after 5 attempts)</dd>", "fr": "(après 5 tentatives)</dd>"} {
		if check := section(t, rig.contact.get(t, page+"/file-check?lang="+lang).body, "file-check"); !strings.Contains(check, want) {
			t.Errorf("%s: attempts: page lacks %q", lang, want)
		}
	}
	before := len(jobIDs(t, rig.testServer, subID))
	seeOther(t, rig.contact.post(t, page+"/check"), page+"/file-check?flash=check_requested")
	if c, _ := rig.db.FileCheck(ctx, subID); c.State != opendata.CheckPending {
		t.Errorf("state %s after a re-check, want pending", c.State)
	}
	if after := len(jobIDs(t, rig.testServer, subID)); after != before+1 {
		t.Errorf("%d jobs after a re-check, want %d", after, before+1)
	}
	has(t, rig.contact.get(t, page+"/file-check?lang=en&flash=check_requested"), "The file will be checked again in a moment.")

	rig.passFileCheck(t, subID)
	r = rig.admin.get(t, page+"/file-check")
	check = section(t, r.body, "file-check")
	for _, want := range []string{"Passed", "2 KB", "<code>text/csv</code>", "<code>CSV</code>", `id="recheck"`} {
		if !strings.Contains(check, want) {
			t.Errorf("passed check lacks %q", want)
		}
	}
	// An approver sees the result but may not run the check.
	r = rig.approver.get(t, page+"/file-check")
	if strings.Contains(section(t, r.body, "file-check"), `id="recheck"`) {
		t.Error("an approver is offered the re-check")
	}
	wantCode(t, rig.approver.post(t, page+"/check"), http.StatusForbidden)
	wantCode(t, rig.stranger.post(t, page+"/check"), http.StatusForbidden)
	if c, _ := rig.db.FileCheck(ctx, subID); c.State != opendata.CheckPassed {
		t.Errorf("state %s after refused re-checks", c.State)
	}
}

func jobIDs(t *testing.T, srv *testServer, id string) []int64 {
	t.Helper()
	ids, err := srv.db.SubmissionJobIDs(context.Background(), id, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// The timeline lists every transition with its actor in words.
func TestFlowTimeline(t *testing.T) {
	rig := newFlowRig(t)
	ctx := context.Background()
	at := created.Add(time.Hour)
	for _, tr := range []opendata.Transition{
		{From: opendata.StateInPreparation, To: opendata.StatePendingApproval, Actor: "user:" + contact, At: at},
		{From: opendata.StatePendingApproval, To: opendata.StateChangesRequested, Actor: "user:" + approver,
			Reason: "Add the French keywords.\nAnd the notes.", At: at.Add(time.Hour)},
		{From: opendata.StateChangesRequested, To: opendata.StateWithdrawn, Actor: "admin:" + admin, At: at.Add(2 * time.Hour)},
	} {
		if err := rig.db.ApplyTransition(ctx, subID, tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"<caption id=\"timeline-caption\">Every change of state of this submission, oldest first</caption>",
			"<td>2025-02-03 14:05 UTC</td><td>In preparation</td><td>API client (key dh_abcdefgh)</td>",
			"<td>Pending approval</td><td>" + contact + "</td>",
			"<td>Changes requested</td><td>" + approver + "</td><td class=\"dh-reason\">Add the French keywords.\nAnd the notes.</td>",
			"<td>Withdrawn</td><td>" + admin + " (administrator)</td>"}},
		{"fr", []string{"Chaque changement d’état de cette soumission",
			"<td>En préparation</td><td>Client de l’API (clé dh_abcdefgh)</td>",
			"<td>Retirée</td><td>" + admin + " (administrateur)</td>"}},
	} {
		r := rig.contact.get(t, "/flow/"+subID+"?lang="+tt.lang)
		tl := section(t, r.body, "timeline")
		for _, want := range tt.want {
			if !strings.Contains(tl, want) {
				t.Errorf("%s: timeline lacks %q:\n%s", tt.lang, want, tl)
			}
		}
		if i, j := strings.Index(tl, "dh_abcdefgh"), strings.Index(tl, "(administr"); i < 0 || j < i {
			t.Errorf("%s: timeline out of order", tt.lang)
		}
	}
	// Withdrawn: no one has anything left to do.
	r := rig.contact.get(t, "/flow/"+subID+"?lang=en")
	has(t, r, `<p id="no-actions">There is nothing for you to do on this submission now.</p>`)
}

// The page speaks French throughout when asked to.
func TestFlowInFrench(t *testing.T) {
	rig := newFlowRig(t)
	r := rig.contact.get(t, "/flow/"+subID+"?lang=fr")
	wantCode(t, r, http.StatusOK)
	for _, task := range []string{"metadata", "file-check", "approval-form", "signed-approval", "submit", "actions/withdraw"} {
		p := rig.contact.get(t, "/flow/"+subID+"/"+task)
		wantCode(t, p, http.StatusOK)
		has(t, p, french.htmlLang, "Retour à la vue d’ensemble de la soumission")
		r.body += p.body
	}
	has(t, r, "Tâches à accomplir", "Non commencé", "Terminé", "Pas encore possible", "Enregistrer et continuer")
	has(t, r, french.htmlLang, french.toggle, "<h1>"+french.title+"</h1>")
	has(t, r, "<title>Soumission de jeu de données — Inventaire forestier — ", "À propos de cette soumission",
		"Inventaire forestier", "État actuel", `<span class="state" id="state">En préparation</span>`,
		"Liste de contrôle", "À faire :", "Fait :", "Métadonnées complètes et valides", "Métadonnées",
		"Vérification du fichier", "En attente ou en cours", "Vérifier le fichier de nouveau",
		"Formulaire d’approbation", "Approbation signée", "Aucune approbation signée n’est encore jointe.",
		"Joindre l’approbation signée", "Un fichier PDF d’au plus 10 Mo, sans mot de passe.",
		"Ce que vous pouvez faire", "Soumettre pour approbation", "Pas encore possible. Reste à faire :",
		"Retirer", "Motif", "(facultatif)", "Historique", "Prochaines étapes")
	lacks(t, r, "Checklist", "File check", "Signed approval", "What you can do", "Not done:", "Submit for approval")
}

// Text from the API client, the contact and the approvers is escaped
// wherever the page shows it: every metadata field, the file check's reason,
// the approval form, the signed approval's name and the timeline's reasons.
func TestFlowEscapesStoredXSS(t *testing.T) {
	rig := newFlowRig(t)
	ctx := context.Background()
	payload := "x " + xssScript + " y " + xssAttr
	raw := map[string]any{}
	for _, name := range opendata.FieldNames {
		if opendata.IsListField(name) {
			raw[name] = []string{xssScript, xssAttr}
		} else {
			raw[name] = payload
		}
	}
	var f opendata.Fields
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	id := "7c1e2b3a-0000-4000-8000-000000000001"
	rig.submission(t, id, f)
	c, _ := rig.db.FileCheck(ctx, id)
	at := time.Now()
	c.State, c.CheckedAt, c.Reason, c.ContentType, c.Format = opendata.CheckFailed, &at, payload, payload, payload
	if _, err := rig.db.SaveFileCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	form := completeForm()
	form.OwnerName, form.OwnerDepartment, form.DatasetTitle, form.Exceptions = payload, payload, payload, payload
	form.SubjectToExceptions = true
	if err := rig.db.SaveApprovalForm(ctx, id, form, "user:x"); err != nil {
		t.Fatal(err)
	}
	if err := rig.db.SaveSignedApproval(ctx, id, store.SignedApproval{FileName: xssAttr + ".pdf", UploadedBy: "user:" + payload},
		signedPDF(t)); err != nil {
		t.Fatal(err)
	}
	if err := rig.db.ApplyTransition(ctx, id, opendata.Transition{From: opendata.StateInPreparation,
		To: opendata.StatePendingApproval, Actor: "user:" + payload, Reason: payload, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := rig.db.ApplyTransition(ctx, id, opendata.Transition{From: opendata.StatePendingApproval,
		To: opendata.StateChangesRequested, Actor: "admin:" + payload, Reason: payload, At: at}); err != nil {
		t.Fatal(err)
	}
	rig.grant(t, payload, opendata.RoleAdmin, "") // an address that was never checked, to see it in the menu
	for _, who := range []*visitor{rig.admin, signIn(t, rig.testServer, payload)} {
		for _, q := range []string{"?lang=en", "?lang=fr"} {
			r := who.get(t, "/flow/"+id+q)
			wantCode(t, r, http.StatusOK)
			checkHeaders(t, r)
			body := withoutLoader(t, r.body)
			for _, bad := range []string{xssScript, xssAttr, "<script", "<img", "onerror=alert(1)>"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s: page contains raw %q", q, bad)
				}
			}
			for raw, esc := range escaped {
				if n := strings.Count(r.body, esc); n < 10 {
					t.Errorf("%s: the escaped %q shows %d times, want it in every field", q, raw, n)
				}
			}
			start, end := strings.Index(r.body, "<title>"), strings.Index(r.body, "</title>")
			if title := r.body[start:end]; !strings.Contains(title, escaped[xssScript]) {
				t.Errorf("%s: title %q lacks the escaped payload", q, title)
			}
			has(t, r, `<td class="dh-reason">x `+escaped[xssScript])
		}
	}
}
