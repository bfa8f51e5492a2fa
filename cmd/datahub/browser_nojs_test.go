package main

import (
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// Every action that changes state must work without JavaScript: the pages are
// plain forms and links, which the GC Design System components only enhance
// (SPEC §3, /work/notes/ui-contract.md). This walks the contact's and the
// approver's paths with the pages' scripts switched off; check, on every page,
// also fails the test if the page ran its scripts (scriptsOffCheck).

func TestBrowserWithoutJavaScript(t *testing.T) {
	b := newTabWithoutScripts(t, "alice-nojs")
	e := startFlow(t)

	// The flow_url, anonymous, then the one-time link from the outbox.
	if st := b.visit(e.flow); st != 200 {
		t.Fatalf("anonymous flow page: status %d", st)
	}
	b.check("flow-anonymous")
	if st := b.follow(`main a[href^="/signin?next="]`); st != 200 {
		t.Fatalf("sign-in page: status %d", st)
	}
	if st, _ := e.signIn(b, alice); st != 200 {
		t.Fatalf("after signing in: status %d", st)
	}
	if got := b.url(); got != e.flow {
		t.Fatalf("signing in led to %s, want the flow page %s", got, e.flow)
	}
	b.check("flow-contact")

	// The plain toggle link of the fallback header, not ?lang= typed by hand.
	toggle := `.dh-header .dh-header__toggle a[lang="fr"]`
	if st := b.follow(toggle); st != 200 {
		t.Fatalf("language toggle: status %d", st)
	}
	if lang, _ := b.attr("html", "lang"); lang != "fr" {
		t.Fatalf("the toggle gives a page in %q, want fr", lang)
	}
	if got := b.url(); !strings.HasPrefix(got, e.flow) {
		t.Fatalf("the toggle left the flow page for %s", got)
	}
	b.check("flow-contact-fr")

	// Withdraw asks first, on its own page; Cancel leads back with nothing done.
	if st := b.follow("#action-withdraw"); st != 200 || !b.has("#confirm-consequence") {
		t.Fatalf("withdraw: status %d, no confirmation page", st)
	}
	b.check("confirm-withdraw-fr")
	if st := b.follow("#cancel"); st != 200 || b.url() != e.flow {
		t.Fatalf("cancel: status %d on %s", st, b.url())
	}
	if s := e.state(); s != "in_preparation" {
		t.Fatalf("state after cancelling: %s", s)
	}

	// One metadata field, edited and saved, on the metadata task's page.
	if st := b.follow("#task-metadata a"); st != 200 {
		t.Fatalf("metadata task: status %d", st)
	}
	b.check("task-metadata-fr")
	title := `#metadata [name="title_translated_fr"]`
	want := "Inventaire forestier du Lac-Saint-Jean"
	b.fill(title, want)
	if st := b.submit("save-metadata"); st != 200 {
		t.Fatalf("save metadata: status %d", st)
	}
	if b.has("#metadata .dh-error") {
		t.Fatalf("the metadata shows errors: %s", b.text("#metadata .dh-error"))
	}
	b.check("metadata-saved-fr")
	if st := b.visit(e.flow + "/metadata"); st != 200 {
		t.Fatalf("metadata page: status %d", st)
	}
	if got := b.eval(`document.querySelector('` + title + `').value`); got != want {
		t.Fatalf("after saving, the French title is %q, want %q", got, want)
	}

	// The approval form, its PDF, the signed copy and the submission, as a
	// contact with scripts does them; each helper checks its page.
	e.approvalForm(b)
	e.signedAndSubmitted(b)
	if s := e.state(); s != "pending_approval" {
		t.Fatalf("state after submitting for approval: %s", s)
	}

	// The approver, in a browser of his own with scripts off too.
	a := newTabWithoutScripts(t, "bob-nojs")
	if st, _ := e.signInTo(a, "/flow/"+e.id, bob); st != 200 {
		t.Fatalf("the approver on the flow page: status %d", st)
	}
	e.approve(a)
	if s := e.state(); s != "approved" {
		t.Fatalf("state after approval: %s", s)
	}
	if got := a.text("#state"); !strings.Contains(got, i18n.T(i18n.EN, "state.approved")) {
		t.Fatalf("the page shows the state %q", got)
	}
}
