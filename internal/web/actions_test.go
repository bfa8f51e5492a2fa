package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// pendingRig is a flow rig whose submission the contact has sent for approval.
func pendingRig(t *testing.T) *flowRig {
	t.Helper()
	rig := newFlowRig(t)
	rig.makeReady(t, subID)
	seeOther(t, rig.contact.post(t, "/flow/"+subID+"/actions/submit_for_approval"), "/flow/"+subID+"?flash=submit_for_approval")
	return rig
}

func wantState(t *testing.T, srv *testServer, id string, want opendata.State) {
	t.Helper()
	if got := srv.state(t, id); got != want {
		t.Fatalf("state %s, want %s", got, want)
	}
}

// Approve is enabled only once the approver has opened the signed approval.
func TestActionApproveNeedsTheSignedApprovalOpened(t *testing.T) {
	rig := pendingRig(t)
	page := "/flow/" + subID

	r := rig.approver.get(t, page+"?lang=en")
	wantCode(t, r, http.StatusOK)
	if !disabled(t, r.body, "action-approve") {
		t.Fatal("approve is enabled before the signed approval was opened")
	}
	has(t, r, `id="signed-must-open"`, `id="missing-approve"`, "<li>Signed approval opened by the approver</li>",
		`<form method="post" action="/flow/`+subID+`/signed-approval/open">`,
		`<button type="submit" id="open-signed" class="dh-button dh-button--secondary">`)
	if disabled(t, r.body, "action-request_changes") {
		t.Error("request changes is disabled")
	}
	// Reject ends the submission: the overview links to the page that confirms it.
	has(t, r, `<a id="action-reject" class="dh-button dh-button--danger" href="/flow/`+subID+`/actions/reject"`)
	lacks(t, r, `id="action-withdraw"`, `id="action-submit_for_approval"`)

	r = rig.approver.post(t, page+"/actions/approve")
	wantCode(t, r, http.StatusUnprocessableEntity)
	has(t, r, `id="error-action-approve"`, "This cannot be done yet. Still to do: Signed approval opened by the approver.")
	wantState(t, rig.testServer, subID, opendata.StatePendingApproval)

	// The contact (or another approver) opening it does not count for this approver.
	wantCode(t, rig.contact.get(t, page+"/signed-approval.pdf"), http.StatusOK)
	if r = rig.approver.get(t, page); !disabled(t, r.body, "action-approve") {
		t.Fatal("the contact's opening enabled the approver's Approve")
	}

	// Nor does the approver's browser fetching the file without the form (a prefetch, a link from elsewhere).
	wantCode(t, rig.approver.get(t, page+"/signed-approval.pdf"), http.StatusOK)
	if r = rig.approver.get(t, page); !disabled(t, r.body, "action-approve") {
		t.Fatal("fetching the file without the form enabled Approve")
	}

	rig.approver.openSigned(t, subID)
	r = rig.approver.get(t, page)
	if disabled(t, r.body, "action-approve") {
		t.Fatal("approve is still disabled after opening the signed approval")
	}
	has(t, r, `id="signed-opened"`)
	lacks(t, r, `id="signed-must-open"`, `id="missing-approve"`)

	seeOther(t, rig.approver.post(t, page+"/actions/approve"), page+"?flash=approve")
	wantState(t, rig.testServer, subID, opendata.StateApproved)
	r = rig.approver.get(t, page+"?flash=approve")
	has(t, r, "The submission is approved.", "<td>Approved</td><td>"+approver+"</td>")
	n := rig.notices(t, subID)
	if last := n[len(n)-1]; last.Event != opendata.NoticeApproved {
		t.Errorf("last notice %+v, want approved", last)
	}
}

// Request changes needs a reason; refused, the page keeps what was typed.
func TestActionRequestChangesNeedsAReason(t *testing.T) {
	rig := pendingRig(t)
	page := "/flow/" + subID
	long := strings.Repeat("é", opendata.MaxReason+1)
	tests := []struct {
		name, reason, lang, message string
	}{
		{"empty", "", "en", "Enter a reason."},
		{"blank", "  \n ", "en", "Enter a reason."},
		{"in French", "", "fr", "Indiquez un motif."},
		{"too long", long, "en", "The reason is too long: at most 2000 characters."},
		{"control characters", "Fix\x00it", "en", "The reason must not contain control characters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig.approver.get(t, page+"?lang="+tt.lang)
			r := rig.approver.post(t, page+"/actions/request_changes", "reason", tt.reason)
			wantCode(t, r, http.StatusUnprocessableEntity)
			has(t, r, `<p class="dh-error" id="error-reason-request_changes">`+tt.message+`</p>`,
				`<div class="dh-error-summary" role="alert" tabindex="-1" autofocus>`, `<a href="#reason-request_changes">`+tt.message+`</a>`,
				`aria-describedby="reason-request_changes-hint error-reason-request_changes" aria-invalid="true">`)
			if tt.reason == long && !strings.Contains(r.body, ">"+long+"</textarea>") {
				t.Error("the typed reason is lost")
			}
			wantState(t, rig.testServer, subID, opendata.StatePendingApproval)
		})
	}
	rig.approver.get(t, page+"?lang=en")

	before := len(rig.notices(t, subID))
	reason := "Add the French keywords, please."
	seeOther(t, rig.approver.post(t, page+"/actions/request_changes", "reason", "  "+reason+"\n"), page+"?flash=request_changes")
	wantState(t, rig.testServer, subID, opendata.StateChangesRequested)
	n := rig.notices(t, subID)
	if len(n) != before+1 || n[len(n)-1].Event != opendata.NoticeChangesRequested || n[len(n)-1].Reason != reason {
		t.Errorf("notices %+v, want one more: changes_requested with the reason", n)
	}
	r := rig.contact.get(t, page+"?lang=en")
	has(t, r, "<td>Changes requested</td><td>"+approver+`</td><td class="dh-reason">`+reason+"</td>",
		`<span class="state" id="state">Changes requested</span>`)
	// The reason stands at the top of the overview, in a notice.
	has(t, r, `<div class="dh-notice-box" id="reason-notice"`, "Changes requested by the approver",
		`<p class="dh-reason" id="reason-text">`+reason+`</p>`)
	if strings.Index(r.body, `id="reason-notice"`) > strings.Index(r.body, `id="summary"`) {
		t.Error("the reason is not at the top of the overview")
	}
	// Back with the contact: editable again, and submittable again.
	has(t, rig.contact.get(t, page+"/signed-approval"), `id="upload-signed"`)
	has(t, rig.contact.get(t, page+"/file-check"), `id="recheck"`)
	if r := rig.contact.get(t, page+"/submit"); disabled(t, r.body, "action-submit_for_approval") {
		t.Error("submit is disabled after changes were requested")
	}
}

// Reject needs a reason too, and its email carries it.
func TestActionReject(t *testing.T) {
	rig := pendingRig(t)
	page := "/flow/" + subID
	// The confirmation page, from the overview's link or from a form sent without it.
	for _, r := range []response{rig.approver.get(t, page+"/actions/reject"),
		rig.approver.post(t, page+"/actions/reject", "reason", "Personal information in column 3.")} {
		wantCode(t, r, http.StatusOK)
		has(t, r, "Reject: are you sure?", `id="confirm-consequence"`, `<input type="hidden" name="confirmed" value="yes">`,
			`<a id="cancel" href="/flow/`+subID+`">`)
		wantState(t, rig.testServer, subID, opendata.StatePendingApproval)
	}
	r := rig.approver.post(t, page+"/actions/reject", "confirmed", "yes")
	wantCode(t, r, http.StatusUnprocessableEntity)
	has(t, r, "<title>Error: Reject", `<div class="dh-error-summary" role="alert" tabindex="-1" autofocus>`)
	seeOther(t, rig.approver.post(t, page+"/actions/reject", "reason", "Personal information in column 3.", "confirmed", "yes"), page+"?flash=reject")
	wantState(t, rig.testServer, subID, opendata.StateRejected)
	if n := rig.notices(t, subID); n[len(n)-1].Event != opendata.NoticeRejected || n[len(n)-1].Reason != "Personal information in column 3." {
		t.Errorf("notices %+v", n)
	}
}

// The contact may withdraw without a reason; a second try is a conflict.
func TestActionWithdraw(t *testing.T) {
	rig := newFlowRig(t)
	page := "/flow/" + subID
	seeOther(t, rig.contact.post(t, page+"/actions/withdraw", "reason", "", "confirmed", "yes"), page+"?flash=withdraw")
	wantState(t, rig.testServer, subID, opendata.StateWithdrawn)
	if n := rig.notices(t, subID); n[len(n)-1].Event != opendata.NoticeWithdrawn {
		t.Errorf("notices %+v", n)
	}
	// Back, and the button again: a page that says why nothing happened, and the way back.
	r := rig.contact.post(t, page+"/actions/withdraw", "confirmed", "yes")
	wantCode(t, r, http.StatusConflict)
	has(t, r, `id="error-stale"`, "Last change: you,", `id="stale-back"`)
}

// Who may take which action is the workflow's rule, enforced on POST whatever the page shows.
func TestActionPermissions(t *testing.T) {
	rig := pendingRig(t)
	page := "/flow/" + subID
	// The contact who is also an approver of the project may not approve their own submission.
	rig.grant(t, contact, opendata.RoleApprover, testProject)
	rig.contact.openSigned(t, subID)
	r := rig.contact.get(t, page)
	lacks(t, r, `id="action-approve"`, `id="action-reject"`)
	tests := []struct {
		name   string
		who    *visitor
		action string
		status int
	}{
		{"contact approves own", rig.contact, "approve", http.StatusForbidden},
		{"contact requests changes", rig.contact, "request_changes", http.StatusForbidden},
		{"approver of another project", signIn(t, rig.testServer, otherAppr), "approve", http.StatusForbidden},
		{"stranger", rig.stranger, "reject", http.StatusForbidden},
		{"admin who is no approver", rig.admin, "approve", http.StatusForbidden},
		{"approver submits", rig.approver, "submit_for_approval", http.StatusForbidden},
		{"admin runs a job's step", rig.admin, "start_publishing", http.StatusForbidden},
		{"admin retries what did not fail", rig.admin, "retry_publishing", http.StatusConflict},
		{"contact submits again", rig.contact, "submit_for_approval", http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.who.post(t, page+"/actions/"+tt.action, "reason", "Because.")
			wantCode(t, r, tt.status)
			wantState(t, rig.testServer, subID, opendata.StatePendingApproval)
		})
	}
}

// When someone else moved the submission since the page was loaded, the
// action is refused as a conflict and changes nothing.
func TestActionConflict(t *testing.T) {
	rig := pendingRig(t)
	page := "/flow/" + subID
	second := "second.approver@example.gc.ca"
	rig.grant(t, second, opendata.RoleApprover, testProject)
	other := signIn(t, rig.testServer, second)
	other.openSigned(t, subID)
	r := other.get(t, page)
	if disabled(t, r.body, "action-approve") {
		t.Fatal("approve disabled")
	}
	seeOther(t, rig.approver.post(t, page+"/actions/reject", "reason", "No.", "confirmed", "yes"), page+"?flash=reject")
	r = other.post(t, page+"/actions/approve")
	wantCode(t, r, http.StatusConflict)
	has(t, r, `id="error-stale"`, "“Approve” is not possible any more, because the submission is now “Rejected”",
		"Last change: "+approver, `<a id="stale-back" class="dh-button" href="/flow/`+subID+`">`)
	// The action's address opened as a page (Back, a bookmark) says the same.
	r = other.get(t, page+"/actions/approve")
	wantCode(t, r, http.StatusConflict)
	has(t, r, `id="error-stale"`)
	wantState(t, rig.testServer, subID, opendata.StateRejected)
}

// Admins retry a failed publication and unpublish, with a reason.
func TestActionAdminSteps(t *testing.T) {
	rig := newFlowRig(t)
	ctx := context.Background()
	page := "/flow/" + subID
	at := time.Now()
	for _, tr := range [][2]opendata.State{
		{opendata.StateInPreparation, opendata.StatePendingApproval}, {opendata.StatePendingApproval, opendata.StateApproved},
		{opendata.StateApproved, opendata.StatePublishing}, {opendata.StatePublishing, opendata.StatePublishFailed},
	} {
		if err := rig.db.ApplyTransition(ctx, subID, opendata.Transition{From: tr[0], To: tr[1], Actor: "system", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	r := rig.admin.get(t, page)
	lacks(t, r, `id="action-unpublish"`)
	if disabled(t, r.body, "action-retry_publishing") {
		t.Fatal("retry disabled")
	}
	lacks(t, rig.contact.get(t, page), `id="action-retry_publishing"`)
	wantCode(t, rig.contact.post(t, page+"/actions/retry_publishing"), http.StatusForbidden)
	seeOther(t, rig.admin.post(t, page+"/actions/retry_publishing"), page+"?flash=retry_publishing")
	wantState(t, rig.testServer, subID, opendata.StatePublishing)

	if err := rig.db.ApplyTransition(ctx, subID, opendata.Transition{From: opendata.StatePublishing,
		To: opendata.StatePublished, Actor: "system", At: at}); err != nil {
		t.Fatal(err)
	}
	r = rig.admin.post(t, page+"/actions/unpublish", "reason", "", "confirmed", "yes")
	wantCode(t, r, http.StatusUnprocessableEntity)
	has(t, r, `id="error-reason-unpublish"`)
	seeOther(t, rig.admin.post(t, page+"/actions/unpublish", "reason", "Superseded.", "confirmed", "yes"), page+"?flash=unpublish")
	wantState(t, rig.testServer, subID, opendata.StateUnpublished)
	has(t, rig.admin.get(t, page), "<td>"+admin+` (administrator)</td><td class="dh-reason">Superseded.</td>`)
}

// Every form of the page needs the session's CSRF token: without it, or
// with another, nothing changes.
func TestFlowFormsNeedTheCSRFToken(t *testing.T) {
	rig := newFlowRig(t)
	rig.makeReady(t, subID)
	page := "/flow/" + subID
	sha := func() string {
		a, err := rig.db.SignedApproval(context.Background(), subID)
		if err != nil {
			t.Fatal(err)
		}
		return a.SHA256
	}
	before := sha()
	other := signIn(t, rig.testServer, stranger) // a real token, of another session
	for _, csrf := range []string{"", "wrong", other.csrf} {
		for _, path := range []string{"/actions/submit_for_approval", "/actions/withdraw", "/check"} {
			pairs := []string{"reason", "x"}
			if csrf != "" {
				pairs = append(pairs, "csrf", csrf)
			}
			r := rig.contact.postRaw(t, page+path, pairs...)
			wantCode(t, r, http.StatusForbidden)
			has(t, r, `id="error-csrf"`)
		}
		r := rig.contact.uploadWith(t, page+"/signed-approval", csrf, "other.pdf", renderOther(t))
		wantCode(t, r, http.StatusForbidden)
		has(t, r, `id="error-csrf"`)
	}
	wantState(t, rig.testServer, subID, opendata.StateInPreparation)
	if c, _ := rig.db.FileCheck(context.Background(), subID); c.State != opendata.CheckPassed {
		t.Errorf("file check %s, want passed", c.State)
	}
	if sha() != before {
		t.Error("the signed approval was replaced")
	}
}

// The contact of one submission can neither see nor act on another's.
func TestFlowCrossSubmission(t *testing.T) {
	rig := newFlowRig(t)
	rig.makeReady(t, subID)
	f := fields()
	f.FileID, f.EmailContact = "file-43", "bob@example.gc.ca"
	rig.submission(t, otherID, f)
	rig.makeReady(t, otherID)
	bob := signIn(t, rig.testServer, "bob@example.gc.ca")
	b := "/flow/" + otherID
	wantCode(t, rig.contact.get(t, b), http.StatusForbidden)
	wantCode(t, rig.contact.get(t, b+"/signed-approval.pdf"), http.StatusForbidden)
	for _, path := range []string{"/actions/submit_for_approval", "/actions/withdraw", "/check"} {
		wantCode(t, rig.contact.post(t, b+path, "reason", "x"), http.StatusForbidden)
	}
	wantCode(t, rig.contact.upload(t, b+"/signed-approval", "mine.pdf", renderOther(t)), http.StatusForbidden)
	wantState(t, rig.testServer, otherID, opendata.StateInPreparation)
	a, err := rig.db.SignedApproval(context.Background(), otherID)
	if err != nil || a.FileName != "signed.pdf" {
		t.Errorf("B's signed approval: %+v, %v", a, err)
	}
	// Bob's own page and file are his.
	wantCode(t, bob.get(t, b), http.StatusOK)
	wantCode(t, bob.get(t, b+"/signed-approval.pdf"), http.StatusOK)
	wantCode(t, bob.get(t, "/flow/"+subID), http.StatusForbidden)
}
