package opendata

import (
	"errors"
	"reflect"
	"testing"
)

// TestEffects holds Apply to the effects table: what each step causes, with its reason.
func TestEffects(t *testing.T) {
	for _, c := range []struct {
		st     State
		actor  string
		act    Action
		reason string
		want   []Effect
	}{
		{StateInPreparation, "contact", ActionSubmitForApproval, "", []Effect{{Kind: EffectNotify, Notice: NoticeApprovalRequested}}},
		{StatePendingApproval, "global approver", ActionApprove, "", []Effect{{Kind: EffectNotify, Notice: NoticeApproved}, {Kind: EffectPublish}}},
		{StatePendingApproval, "global approver", ActionRequestChanges, "Fix it.", []Effect{{Kind: EffectNotify, Notice: NoticeChangesRequested, Reason: "Fix it."}}},
		{StatePendingApproval, "global approver", ActionReject, "No.", []Effect{{Kind: EffectNotify, Notice: NoticeRejected, Reason: "No."}}},
		{StateApproved, "contact", ActionWithdraw, "", []Effect{{Kind: EffectNotify, Notice: NoticeWithdrawn}}},
		{StateApproved, "system", ActionStartPublishing, "", nil},
		{StatePublishing, "system", ActionPublishSucceeded, "", []Effect{{Kind: EffectNotify, Notice: NoticePublished}}},
		{StatePublishing, "system", ActionPublishFailed, "503", []Effect{{Kind: EffectNotify, Notice: NoticePublishFailed, Reason: "503"}}},
		{StatePublishFailed, "admin", ActionRetryPublishing, "", []Effect{{Kind: EffectPublish}}},
		{StateApproved, "admin", ActionPublishNow, "", []Effect{{Kind: EffectPublish}}},
		{StatePublished, "admin", ActionUnpublish, "Gone.", []Effect{{Kind: EffectUnpublish, Reason: "Gone."}}},
		{StateUnpublished, "admin", ActionPublishAgain, "", []Effect{{Kind: EffectPublish}}},
	} {
		tr, err := testSubmission(c.st).Apply(testActors[c.actor], c.act, c.reason, allFacts, testNow)
		if err != nil {
			t.Fatalf("%s: %v", c.act, err)
		}
		if !reflect.DeepEqual(NoEvents(tr.Effects), c.want) || tr.Action != c.act {
			t.Errorf("%s: effects %+v (action %s), want %+v", c.act, tr.Effects, tr.Action, c.want)
		}
		// Every step tells the API client, last.
		last := tr.Effects[len(tr.Effects)-1]
		want := EventDraft{Type: EventStateChanged, Data: EventData{DatahubID: "5b1c6a2e-0f6e-4d59-9a57-3c1c2f7b9e10",
			State: tr.To, PreviousState: c.st, Reason: tr.Reason}}
		if last.Kind != EffectEvent || last.Event == nil || !reflect.DeepEqual(*last.Event, want) {
			t.Errorf("%s: event %+v, want %+v", c.act, last.Event, want)
		}
	}
	s := NewSubmission("id", testProject, "dh_abc123", Fields{FileURL: "https://a.example/x.csv"}, testNow)
	if want := []Effect{{Kind: EffectCheckFile}, {Kind: EffectNotify, Notice: NoticeReceived}}; !reflect.DeepEqual(NoEvents(s.History[0].Effects), want) {
		t.Errorf("a new submission causes %+v, want %+v", s.History[0].Effects, want)
	}
	if e := s.History[0].Effects[2]; e.Event == nil || e.Event.Type != EventReceived || e.Event.Data.State != StateInPreparation {
		t.Errorf("a new submission's event: %+v", e.Event)
	}
	if got := FileCheckedEffects(s, &FileCheck{State: CheckPending}); got != nil {
		t.Errorf("a pending check causes %+v", got)
	}
	if got := FileCheckedEffects(s, &FileCheck{State: CheckPassed, Format: "CSV"}); len(got) != 1 ||
		got[0].Event.Type != EventFileChecked || got[0].Event.Data.FileCheck.Format != "CSV" {
		t.Errorf("a finished check causes %+v", got)
	}
	for _, seq := range []int64{0, 1, 42, 1 << 40} {
		if got, err := EventSeq(EventID(seq)); err != nil || got != seq {
			t.Errorf("event id of %d reads back as %d, %v", seq, got, err)
		}
	}
	for _, bad := range []string{"evt_1", "evt_zzzzzzzzzzzzzzzz", "42", "evt_-000000000000001", "evt_+00000000000000f"} {
		if _, err := EventSeq(bad); ErrorCode(err) != EINVALID {
			t.Errorf("EventSeq(%q): %v", bad, err)
		}
	}
	if got := EditEffects(s.Fields, Fields{FileURL: "https://a.example/y.csv"}); len(got) != 1 || got[0].Kind != EffectCheckFile {
		t.Errorf("a new file_url causes %+v, want a file check", got)
	}
	if got := EditEffects(s.Fields, s.Fields); got != nil {
		t.Errorf("an edit that keeps file_url causes %+v, want nothing", got)
	}
}

// TestRefusal: what Apply refuses as invalid comes back structured, for the UI to render.
func TestRefusal(t *testing.T) {
	long := make([]rune, MaxReason+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, c := range []struct {
		st     State
		actor  string
		act    Action
		reason string
		facts  Checklist
		want   Refusal
	}{
		{StatePendingApproval, "global approver", ActionReject, "  ", allFacts, Refusal{Code: RefuseReasonRequired, Action: ActionReject}},
		{StatePendingApproval, "global approver", ActionReject, string(long), allFacts, Refusal{Code: RefuseReasonTooLong, Action: ActionReject, Limit: MaxReason}},
		{StatePendingApproval, "global approver", ActionReject, "a\x00b", allFacts, Refusal{Code: RefuseReasonControl, Action: ActionReject}},
		{StateInPreparation, "contact", ActionSubmitForApproval, "", Checklist{MetadataValid: true}, Refusal{Code: RefuseNotReady,
			Action: ActionSubmitForApproval, Missing: []ChecklistItem{CheckFileCheckPassed, CheckApprovalFormComplete, CheckSignedApprovalAttached}}},
		{StateApproved, "admin", ActionPublishNow, "", Checklist{}, Refusal{Code: RefuseNotReady, Action: ActionPublishNow,
			Missing: []ChecklistItem{CheckPublishingTarget}}},
	} {
		_, err := testSubmission(c.st).Apply(testActors[c.actor], c.act, c.reason, c.facts, testNow)
		var r *Refusal
		if !errors.As(err, &r) || !reflect.DeepEqual(*r, c.want) || ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v, want refusal %+v", c.act, err, c.want)
		}
	}
	for act, want := range map[Action][2]bool{ActionReject: {true, true}, ActionWithdraw: {true, false},
		ActionApprove: {false, false}, ActionUnpublish: {true, true}} {
		if asked, required := act.Reason(); asked != want[0] || required != want[1] {
			t.Errorf("%s: reason asked %v required %v, want %v", act, asked, required, want)
		}
	}
}

// TestContactComparedInNormalForm: a look-alike address by Unicode case
// folding (ſ, U+017F, folds to s) is not the contact.
func TestContactComparedInNormalForm(t *testing.T) {
	s := testSubmission(StateInPreparation)
	s.Fields.EmailContact = "sam@example.gc.ca"
	for email, want := range map[string]bool{"SAM@Example.gc.ca ": true, "ſam@example.gc.ca": false, "ſAM@example.gc.ca": false} {
		if got := (Actor{Kind: ActorUser, Email: email}).IsContact(s); got != want {
			t.Errorf("%q is contact: %v, want %v", email, got, want)
		}
	}
	if _, err := s.Apply(Actor{Kind: ActorUser, Email: "ſam@example.gc.ca"}, ActionWithdraw, "", allFacts, testNow); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("withdraw by a look-alike address: %v, want EFORBIDDEN", err)
	}
	if NormProject(" cfs ") != "CFS" || NormEmail(" A@B.ca ") != "a@b.ca" {
		t.Error("NormProject or NormEmail")
	}
}
