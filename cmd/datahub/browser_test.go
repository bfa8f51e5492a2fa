package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/mail"
)

// The workflow UI in a real browser (SPEC §3, docs: /work/notes/ui-contract.md):
// each test starts the binary, submits a dataset through the API and walks one
// path through the pages as the people in it would, taking a screenshot of
// every page and running axe-core on it.

const (
	alice = "alice@example.gc.ca" // the submission's contact
	bob   = "bob@example.gc.ca"   // an approver of project CFS
	carol = "carol@example.gc.ca" // signed in, but no role and not the contact
	dana  = "dana@example.gc.ca"  // an admin
)

// flowEnv is a running server with one submission whose file check passed.
type flowEnv struct {
	t      *testing.T
	data   string
	public string // the server's base URL, which it also puts in links
	srv    *server
	key    string
	id     string
	flow   string // the submission's flow_url
}

func startFlow(t *testing.T) *flowEnv {
	t.Helper()
	file := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "plot,species,height\n1,Picea glauca,12.5\n")
	}))
	t.Cleanup(file.Close)

	e := &flowEnv{t: t, data: t.TempDir()}
	e.key = createKey(t, e.data, "CFS")
	grant(t, e.data, "approver", bob, "--project", "CFS")
	grant(t, e.data, "admin", dana)
	addr := freeLoopbackAddr(t)
	e.public = "http://" + addr
	e.srv = startServer(t, e.data, "--addr", addr, "--public-url", e.public,
		"--job-workers", "1", "--allow-private-fetch")

	var body map[string]any
	json.Unmarshal([]byte(submission("browser")), &body)
	body["file_url"] = file.URL + "/plots.csv"
	body["email_contact"] = alice
	raw, _ := json.Marshal(body)
	code, m := e.srv.call(t, "POST", "/api/opendata/submit", e.key, string(raw))
	if code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	e.id, _ = m["datahub_id"].(string)
	e.flow = e.public + "/flow/" + e.id
	if m["flow_url"] != e.flow {
		t.Fatalf("flow_url %v, want %s", m["flow_url"], e.flow)
	}
	if fc := pollFileCheck(t, e.srv, e.key, e.id); fc["state"] != "passed" {
		t.Fatalf("file check: %v", fc)
	}
	return e
}

// freeLoopbackAddr finds a free port, so that the server's public URL can name it.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func grant(t *testing.T, data string, role, email string, extra ...string) {
	t.Helper()
	r := datahub(t, nil, append([]string{"users", "grant", role, email, "--data", data}, extra...)...)
	if r.code != 0 {
		t.Fatalf("users grant %s %s: %d %s", role, email, r.code, r.stderr)
	}
}

// state is the submission's state as the API reports it.
func (e *flowEnv) state() string {
	e.t.Helper()
	code, m := e.srv.call(e.t, "GET", "/api/opendata/submissions/"+e.id, e.key, "")
	if code != 200 {
		e.t.Fatalf("status: %d %v", code, m)
	}
	s, _ := m["state"].(string)
	return s
}

// signIn signs email in from the sign-in page the tab shows, checking every
// page on the way, and returns the status of the page it leads to and the
// link it used.
// approve, on the flow page as the approver: Approve stays disabled until
// the signed approval is opened, then approves.
func (e *flowEnv) approve(b *tab) {
	t := e.t
	t.Helper()
	b.check("flow-approver")
	if got := b.text("#signed-signatures"); !strings.Contains(got, "Alice Tremblay") {
		t.Fatalf("the approver is not told the file is signed digitally by Alice Tremblay: %q", got)
	}
	if _, disabled := b.attr("#action-approve", "disabled"); !disabled {
		t.Fatal("Approve is enabled before bob opened the signed approval")
	}
	openSigned(t, b)
	if st := b.visit(e.flow); st != 200 {
		t.Fatalf("flow page: status %d", st)
	}
	b.check("flow-approver-opened")
	if _, disabled := b.attr("#action-approve", "disabled"); disabled {
		t.Fatalf("Approve is still disabled after bob opened the signed approval: %s", b.text("#actions"))
	}
	if st := b.submit("action-approve"); st != 200 {
		t.Fatalf("approve: status %d", st)
	}
	b.check("approved")
}

func (e *flowEnv) signIn(b *tab, email string) (int64, string) {
	e.t.Helper()
	b.check("signin")
	b.fill("#email", email)
	mark := markOutbox(e.t, e.data)
	if st := b.submit("signin-submit"); st != 200 {
		e.t.Fatalf("sign-in request for %s: status %d", email, st)
	}
	if !b.has("#signin-sent") {
		e.t.Fatalf("after asking for a link, %s shows no #signin-sent", b.url())
	}
	b.check("signin-sent")
	link := signInLink(e.t, e.data, email, mark, e.public)
	if st := b.visit(link); st != 200 {
		e.t.Fatalf("the sign-in link: status %d", st)
	}
	b.check("signin-verify")
	return b.submit("signin-confirm"), link
}

// signInTo signs email in on a signed-out tab with path as the page to go
// back to; it returns the status of path and the link it used.
func (e *flowEnv) signInTo(b *tab, path, email string) (int64, string) {
	e.t.Helper()
	if st := b.visit(e.public + "/signin?next=" + path); st != 200 {
		e.t.Fatalf("sign-in page: status %d", st)
	}
	st, link := e.signIn(b, email)
	if got := b.url(); got != e.public+path {
		e.t.Fatalf("after signing in, %s is on %s, want %s", email, got, e.public+path)
	}
	return st, link
}

// mainText is the text of the page's main content.
func mainText(b *tab) string { return b.text("main") }

func TestBrowserContactPath(t *testing.T) {
	b := newTab(t, "alice")
	e := startFlow(t)
	e.prepareForApproval(b)
	if s := e.state(); s != "pending_approval" {
		t.Fatalf("state after submitting for approval: %s", s)
	}
	if got, want := b.text("#state"), i18n.T(i18n.FR, "state.pending_approval"); got != want {
		t.Fatalf("the page shows the state %q, want %q", got, want)
	}
	if st := b.visit(e.public + "/submissions"); st != 200 {
		t.Fatalf("my submissions: status %d", st)
	}
	b.check("my-submissions-fr")
	if !b.has(`#my-submissions a[href$="/flow/` + e.id + `"]`) {
		t.Fatalf("my submissions does not link the submission:\n%s", mainText(b))
	}
	// The approvers of the project are asked, with a link to their queue.
	waitEmail(t, e.data, bob, nil, func(m email) bool {
		return m.Subject == mail.ApprovalRequested(mail.Data{}).Subject && strings.Contains(m.Text, e.flow) &&
			strings.Contains(m.Text, e.public+"/queue")
	}, "approval requested")
}

// prepareForApproval is the contact's path: from the flow_url to the sign-in,
// the metadata (in French, with a mistake first), the approval form, its PDF,
// the signed copy and the submission for approval.
func (e *flowEnv) prepareForApproval(b *tab) {
	e.t.Helper()
	e.contactSignsIn(b)
	e.metadataInFrench(b)
	e.approvalForm(b)
	e.signedAndSubmitted(b)
}

// contactSignsIn follows the sign-in link of the anonymous flow page.
func (e *flowEnv) contactSignsIn(b *tab) {
	t := e.t
	t.Helper()
	if st := b.visit(e.flow); st != 200 {
		t.Fatalf("anonymous flow page: status %d", st)
	}
	b.check("flow-anonymous")
	signin := `main a[href^="/signin?next="]`
	if href, _ := b.attr(signin, "href"); !strings.Contains(href, e.id) {
		t.Fatalf("the anonymous flow page's sign-in link %q does not lead back to the submission", href)
	}
	if st := b.follow(signin); st != 200 {
		t.Fatalf("sign-in page: status %d", st)
	}
	if st, _ := e.signIn(b, alice); st != 200 {
		t.Fatalf("after signing in: status %d", st)
	}
	if got := b.url(); got != e.flow {
		t.Fatalf("signing in led to %s, want the flow page %s", got, e.flow)
	}
	for _, id := range []string{"summary", "tasks", "actions", "timeline"} {
		if !b.has("section#" + id) {
			t.Errorf("the contact's overview has no <section id=%q>", id)
		}
	}
	b.check("flow-contact")
	// The task list: each task on its own page, with a status.
	for _, task := range []string{"metadata", "file-check", "approval-form", "signed-approval", "submit"} {
		if href, _ := b.attr("#task-"+task+" a", "href"); href != "/flow/"+e.id+"/"+task {
			t.Errorf("the task list links %s to %q", task, href)
		}
	}
	if got := b.text("#task-file-check-status"); got != i18n.T(i18n.EN, "task.status.done") {
		t.Errorf("the passed file check's task says %q", got)
	}
	if st := b.follow("#task-submit a"); st != 200 {
		t.Fatalf("submit task: status %d", st)
	}
	b.check("task-submit")
	if _, disabled := b.attr("#action-submit_for_approval", "disabled"); !disabled {
		t.Fatal("Submit for approval is enabled before the approval form and the signed approval")
	}
	if st := b.visit(e.flow + "/file-check"); st != 200 {
		t.Fatalf("file check task: status %d", st)
	}
	b.check("task-file-check")
}

// errorLayout checks the contract's error markup around the control named
// name: the message beside it, and a link to it in the summary.
const errorLayout = `((name) => {
	const c = document.querySelector('#metadata [name="' + name + '"]');
	const err = document.getElementById('error-' + name);
	const summary = document.querySelector('.dh-error-summary[role="alert"]');
	if (!err || !err.parentElement.contains(c)) return 'the error is not next to the field';
	if (!summary) return 'no .dh-error-summary[role=alert]';
	if (!summary.querySelector('a[href="#' + c.id + '"]')) return 'no link to #' + c.id + ' in ' + summary.outerHTML;
	return '';
})`

// metadataInFrench switches to French, saves a keyword that is too short,
// sees the French error by the field with nothing typed lost, and corrects it.
func (e *flowEnv) metadataInFrench(b *tab) {
	t := e.t
	t.Helper()
	if st := b.visit(e.flow + "?lang=fr"); st != 200 {
		t.Fatalf("flow page in French: status %d", st)
	}
	if lang, _ := b.attr("html", "lang"); lang != "fr" {
		t.Fatalf("?lang=fr gives a page in %q", lang)
	}
	b.check("flow-contact-fr")
	if st := b.follow("#task-metadata a"); st != 200 {
		t.Fatalf("metadata task: status %d", st)
	}
	b.check("task-metadata-fr")

	kw := `#metadata [name="keywords_fr"]`
	b.fill(kw, "forêts, é")
	if st := b.submit("save-metadata"); st != 422 {
		t.Fatalf("invalid metadata: status %d, want 422", st)
	}
	b.check("metadata-error-fr")
	if got := b.text("#error-keywords_fr"); !strings.Contains(got, "« é »") || !strings.Contains(got, "trop court") {
		t.Errorf("#error-keywords_fr says %q, want the French too-short message for « é »", got)
	}
	if v := b.eval(`document.querySelector('` + kw + `').value`); v != "forêts, é" {
		t.Errorf("the keywords typed became %q", v)
	}
	if invalid, _ := b.attr(kw, "aria-invalid"); invalid != "true" {
		t.Errorf("keywords_fr has aria-invalid=%q", invalid)
	}
	if desc, _ := b.attr(kw, "aria-describedby"); !strings.Contains(" "+desc+" ", " error-keywords_fr ") {
		t.Errorf("keywords_fr has aria-describedby=%q, want error-keywords_fr in it", desc)
	}
	if msg := b.eval(errorLayout + `('keywords_fr')`); msg != "" {
		t.Errorf("keywords_fr: %s", msg)
	}
	// The GC pattern: "Erreur :" first in the title, the summary focused, where the person is looking.
	if title := b.eval(`document.title`); !strings.HasPrefix(title, "Erreur : ") {
		t.Errorf("the refused form's title is %q", title)
	}
	if focused := b.eval(`document.activeElement.className`); !strings.Contains(focused, "dh-error-summary") {
		t.Errorf("the focus is on %q, not the error summary", focused)
	}

	b.fill(kw, "forêts, inventaire")
	if st := b.submit("save-metadata"); st != 200 {
		t.Fatalf("corrected metadata: status %d", st)
	}
	// Save and continue: the next task, with the message.
	if got := b.url(); !strings.HasPrefix(got, e.flow+"/file-check") || !b.has("#flash") {
		t.Fatalf("after saving the metadata: %s (flash: %v)", got, b.has("#flash"))
	}
	b.check("metadata-saved-fr")
}

// approvalForm completes the approval form and downloads it as a PDF to sign.
func (e *flowEnv) approvalForm(b *tab) {
	t := e.t
	t.Helper()
	if st := b.visit(e.flow + "/approval-form"); st != 200 {
		t.Fatalf("approval form task: status %d", st)
	}
	for name, value := range map[string]string{
		"owner_name": "Alice Tremblay", "owner_email": alice, "owner_department": "Ressources naturelles Canada",
		"dataset_title": "Inventaire forestier",
	} {
		b.fill(`#approval-form [name="`+name+`"]`, value)
	}
	b.tick(`#approval-form input[name="type_of_data"][value="data"]`)
	for _, name := range []string{"copyright_cleared", "authority_to_release", "no_personal_information",
		"not_classified_or_protected", "free_of_charge", "machine_readable", "non_proprietary_format", "official_languages"} {
		b.tick(`#approval-form input[name="` + name + `"]`)
	}
	if st := b.submit("save-approval-form"); st != 200 {
		t.Fatalf("approval form: status %d", st)
	}
	if got := b.url(); !strings.HasPrefix(got, e.flow+"/signed-approval") {
		t.Fatalf("after saving the complete approval form: %s, want the next task", got)
	}
	b.check("approval-form-saved-fr")
	if st := b.visit(e.flow + "/approval-form"); st != 200 {
		t.Fatalf("approval form task: status %d", st)
	}
	if b.has("#approval-form .dh-error") {
		t.Fatalf("the approval form shows errors: %s", b.text("#approval-form .dh-error"))
	}
	b.check("task-approval-form-fr")
	pdf := b.download("download-pdf")
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("the approval form download is not a PDF: %q", pdf[:min(len(pdf), 40)])
	}
	if text := pdfText(t, pdf); !strings.Contains(text, "Alice Tremblay") {
		t.Fatalf("the approval form PDF lacks the owner's name:\n%s", text)
	}
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils, which CI installs).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		needBrowserTools(t, "no pdftotext: install poppler-utils")
	}
	cmd := exec.Command("pdftotext", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// signedAndSubmitted attaches the signed approval and submits for approval.
func (e *flowEnv) signedAndSubmitted(b *tab) {
	t := e.t
	t.Helper()
	if st := b.visit(e.flow + "/signed-approval"); st != 200 {
		t.Fatalf("signed approval task: status %d", st)
	}
	signed, _ := signedFormFor(t, e.id)
	b.upload(`#signed-approval input[type="file"][name="file"]`, signed)
	if st := b.submit("upload-signed"); st != 200 {
		t.Fatalf("signed approval upload: status %d", st)
	}
	if got := b.url(); !strings.HasPrefix(got, e.flow+"/submit") {
		t.Fatalf("after the upload: %s, want the submit task", got)
	}
	b.check("signed-uploaded-fr")
	if _, disabled := b.attr("#action-submit_for_approval", "disabled"); disabled {
		t.Fatalf("Submit for approval is still disabled: %s", b.text("#actions"))
	}
	if st := b.submit("action-submit_for_approval"); st != 200 {
		t.Fatalf("submit for approval: status %d", st)
	}
	b.check("submitted-fr")
	if got := b.text("#task-submit-status"); got != i18n.T(i18n.FR, "task.status.submitted") {
		t.Errorf("the submit task says %q after submitting", got)
	}
	// The submit page again (Back): no active button; the form's address, a page that leads back.
	if st := b.visit(e.flow + "/submit"); st != 200 || b.has("#action-submit_for_approval") {
		t.Fatalf("the submit page after submitting: status %d, button %v", st, b.has("#action-submit_for_approval"))
	}
	if st := b.visit(e.flow + "/actions/submit_for_approval"); st != 200 {
		t.Fatalf("GET of the submit action: status %d", st)
	}
	if st := b.visit(e.flow + "/check"); st != 405 || !b.has("#error-back") {
		t.Fatalf("GET of the file check form's address: status %d", st)
	}
	b.check("method-not-allowed-fr")
	if st := b.visit(e.public + "/nowhere"); st != 404 || !b.has("#error-back") {
		t.Fatalf("an unknown address: status %d", st)
	}
	b.check("not-found-fr")
	if st := b.visit(e.flow); st != 200 {
		t.Fatalf("the overview: status %d", st)
	}
}

// openSigned opens the signed approval by its link, as the approver would.
func openSigned(t *testing.T, b *tab) {
	t.Helper()
	if resp := b.open("#open-signed"); resp.Status != 200 || resp.MimeType != "application/pdf" {
		t.Fatalf("#open-signed: status %d, %s", resp.Status, resp.MimeType)
	}
}

func TestBrowserApproverPath(t *testing.T) {
	contact, b := newTab(t, "alice"), newTab(t, "bob")
	e := startFlow(t)
	e.prepareForApproval(contact)

	if st, _ := e.signInTo(b, "/queue", bob); st != 200 {
		t.Fatalf("queue: status %d", st)
	}
	b.check("queue")
	row := `#queue a[href$="/flow/` + e.id + `"]`
	if !b.has(row) {
		t.Fatalf("the queue does not list the submission:\n%s", b.text("#queue"))
	}
	if st := b.follow(row); st != 200 {
		t.Fatalf("flow page from the queue: status %d", st)
	}
	mark := markOutbox(t, e.data)
	e.approve(b)
	// The project has no publishing target, so nothing moves it on.
	if s := e.state(); s != "approved" {
		t.Fatalf("state after approval: %s", s)
	}
	if !strings.Contains(b.text("#state"), i18n.T(i18n.EN, "state.approved")) {
		t.Fatalf("the page shows the state %q", b.text("#state"))
	}
	if tl := b.text("#timeline"); !strings.Contains(tl, i18n.T(i18n.EN, "state.approved")) || !strings.Contains(tl, bob) {
		t.Fatalf("the timeline does not show bob's approval:\n%s", tl)
	}

	// The contact was told at each step: English first before she had read a
	// page, French first once she had (her path ends on the French pages).
	waitEmail(t, e.data, alice, nil, func(m email) bool {
		return m.Subject == mail.SubmissionReceived(mail.Data{}).Subject && strings.Contains(m.Text, e.flow)
	}, "submission received")
	waitEmail(t, e.data, alice, mark, func(m email) bool {
		return m.Subject == mail.Approved(mail.Data{Lang: "fr"}).Subject && strings.Contains(m.Text, e.flow) &&
			strings.HasPrefix(m.Text, "The English follows.")
	}, "approved, French first")
}

func TestBrowserChangesPath(t *testing.T) {
	contact, b := newTab(t, "alice"), newTab(t, "bob-then-alice")
	e := startFlow(t)
	e.prepareForApproval(contact)

	if st, _ := e.signInTo(b, "/flow/"+e.id, bob); st != 200 {
		t.Fatalf("flow page: status %d", st)
	}
	b.check("flow-approver")
	reason := "Please give the English title the place name: “Forest inventory, Lac-Saint-Jean”."
	mark := markOutbox(t, e.data)
	b.fill("#reason-request_changes", reason)
	if st := b.submit("action-request_changes"); st != 200 {
		t.Fatalf("request changes: status %d", st)
	}
	b.check("changes-requested")
	if s := e.state(); s != "changes_requested" {
		t.Fatalf("state: %s", s)
	}
	if st := b.submit("signout"); st != 200 {
		t.Fatalf("sign out: status %d", st)
	}
	b.check("signed-out")

	// The same browser, now alice's: the reason is in the timeline and in her mail.
	if st, _ := e.signInTo(b, "/flow/"+e.id, alice); st != 200 {
		t.Fatalf("flow page: status %d", st)
	}
	b.check("flow-contact-changes")
	if tl := b.text("#timeline"); !strings.Contains(tl, reason) {
		t.Fatalf("the timeline does not show the reason %q:\n%s", reason, tl)
	}
	// And at the top of the overview, in a notice.
	if got := b.text("#reason-text"); got != reason {
		t.Fatalf("the notice shows %q, want the reason %q", got, reason)
	}
	waitEmail(t, e.data, alice, mark, func(m email) bool {
		return m.Subject == mail.ChangesRequested(mail.Data{Lang: "fr"}).Subject && strings.Contains(m.Text, reason)
	}, "changes requested, French first: the language alice last read the pages in")

	// Withdraw asks first, on a page of its own.
	if st := b.follow("#action-withdraw"); st != 200 || !b.has("#confirm-consequence") {
		t.Fatalf("withdraw: status %d, no confirmation", st)
	}
	b.check("confirm-withdraw")
	if s := e.state(); s != "changes_requested" {
		t.Fatalf("state before confirming: %s", s)
	}
	if st := b.submit("action-withdraw"); st != 200 {
		t.Fatalf("confirmed withdraw: status %d", st)
	}
	if s := e.state(); s != "withdrawn" {
		t.Fatalf("state after confirming: %s", s)
	}
	b.check("withdrawn")
}

func TestBrowserOutsiderPath(t *testing.T) {
	b := newTab(t, "carol-then-dana")
	e := startFlow(t)
	st, link := e.signInTo(b, "/flow/"+e.id, carol)
	if st != 403 {
		t.Fatalf("carol on the submission: status %d, want 403", st)
	}
	b.check("flow-forbidden")
	if txt := mainText(b); strings.Contains(txt, "Forest inventory") || b.has("section#metadata") {
		t.Fatalf("the refusal shows the submission:\n%s", txt)
	}
	if st := b.visit(e.public + "/admin"); st != 403 {
		t.Fatalf("carol on /admin: status %d, want 403", st)
	}
	b.check("admin-forbidden")
	if st := b.submit("signout"); st != 200 {
		t.Fatalf("sign out: status %d", st)
	}
	// The link worked once. (Opening it does not use it: mail scanners open links.)
	if st := b.visit(link); st == 200 && b.has("#signin-confirm") {
		st = b.submit("signin-confirm")
		if st != 400 {
			t.Fatalf("a used sign-in link, confirmed again: status %d, want 400", st)
		}
	} else if st != 400 {
		t.Fatalf("a used sign-in link: status %d, want 400", st)
	}
	if !b.has("#signin-invalid") {
		t.Fatalf("the used link's page has no #signin-invalid:\n%s", mainText(b))
	}
	b.check("signin-used")
	// An admin is neither contact nor approver, and may open it.
	if st, _ := e.signInTo(b, "/flow/"+e.id, dana); st != 200 {
		t.Fatalf("the admin on the submission: status %d", st)
	}
	b.check("flow-admin")
	for _, page := range []string{"admin", "admin/keys", "admin/roles", "admin/targets"} {
		if st := b.visit(e.public + "/" + page); st != 200 {
			t.Fatalf("the admin on /%s: status %d", page, st)
		}
		b.check(strings.ReplaceAll(page, "/", "-"))
		if txt := mainText(b); page == "admin/roles" && !strings.Contains(txt, bob) {
			t.Fatalf("/admin/roles does not list bob's role:\n%s", txt)
		}
	}
}
