package opendata

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReasons(t *testing.T) {
	long := strings.Repeat("é", MaxReason)
	for _, c := range []struct {
		name   string
		st     State
		actor  string
		act    Action
		reason string
		want   string // the stored reason, or the error code
	}{
		{"changes need a reason", StatePendingApproval, "global approver", ActionRequestChanges, "", EINVALID},
		{"blank is no reason", StatePendingApproval, "global approver", ActionRequestChanges, " \n\t ", EINVALID},
		{"reject needs a reason", StatePendingApproval, "approver of the project", ActionReject, "", EINVALID},
		{"unpublish needs a reason", StatePublished, "admin", ActionUnpublish, "", EINVALID},
		{"reason trimmed", StatePendingApproval, "global approver", ActionRequestChanges, "  Fix the French title.\n", "Fix the French title."},
		{"lines kept", StatePendingApproval, "global approver", ActionReject, "Not ours.\nSee the policy.", "Not ours.\nSee the policy."},
		{"at the limit", StatePendingApproval, "global approver", ActionReject, " " + long + " ", long},
		{"over the limit", StatePendingApproval, "global approver", ActionReject, long + "x", EINVALID},
		{"control characters", StatePendingApproval, "global approver", ActionReject, "bad\x00reason", EINVALID},
		{"invalid UTF-8", StatePublished, "admin", ActionUnpublish, "bad \xff", EINVALID},
		{"optional reason kept", StateApproved, "contact", ActionWithdraw, " Wrong file. ", "Wrong file."},
		{"optional reason checked", StateApproved, "contact", ActionWithdraw, long + "x", EINVALID},
		{"no reason needed", StateInPreparation, "admin", ActionWithdraw, "", ""},
		{"system reason cleaned", StatePublishing, "system", ActionPublishFailed, " CKAN: 409\x1b[0m ", "CKAN: 409 [0m"},
		{"system reason shortened", StatePublishing, "system", ActionPublishFailed, long + "xyz", long[:len(long)-2] + "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSubmission(c.st)
			before := snapshot(s)
			tr, err := s.Apply(testActors[c.actor], c.act, c.reason, allFacts, testNow)
			if err != nil {
				if ErrorCode(err) != c.want {
					t.Fatalf("code %q (%v), want %q", ErrorCode(err), err, c.want)
				}
				if s.State != before.State || len(s.History) != len(before.History) {
					t.Error("a refused transition changed the submission")
				}
				return
			}
			if tr.Reason != c.want || s.History[len(s.History)-1].Reason != c.want {
				t.Errorf("reason %q, want %q", tr.Reason, c.want)
			}
		})
	}
}

func TestActorNames(t *testing.T) {
	for _, c := range []struct {
		st    State
		actor string
		act   Action
		want  string
	}{
		{StateInPreparation, "contact", ActionSubmitForApproval, "user:jane.doe@example.gc.ca"},
		{StateInPreparation, "admin contact", ActionSubmitForApproval, "user:jane.doe@example.gc.ca"},
		{StateInPreparation, "admin", ActionSubmitForApproval, "admin:root@example.gc.ca"},
		{StateApproved, "admin", ActionWithdraw, "admin:root@example.gc.ca"},
		{StatePendingApproval, "approver of the project", ActionApprove, "user:ann@example.gc.ca"},
		{StatePendingApproval, "global approver", ActionRequestChanges, "user:gus@example.gc.ca"},
		{StateApproved, "system", ActionStartPublishing, "system"},
		{StatePublishFailed, "admin contact", ActionRetryPublishing, "admin:jane.doe@example.gc.ca"},
		{StatePublished, "admin", ActionUnpublish, "admin:root@example.gc.ca"},
	} {
		tr, err := testSubmission(c.st).Apply(testActors[c.actor], c.act, "Because.", allFacts, testNow)
		if err != nil || tr.Actor != c.want {
			t.Errorf("%s by %s: actor %q (%v), want %q", c.act, c.actor, tr.Actor, err, c.want)
		}
	}
	if got := APIActor("dh_abc123"); got != "api:dh_abc123" {
		t.Errorf("APIActor = %q", got)
	}
}

// TestWholeLife walks a submission through every state the happy and unhappy
// paths reach and checks the recorded history.
func TestWholeLife(t *testing.T) {
	s := testSubmission(StateInPreparation)
	contact, approver, admin, system := testActors["contact"], testActors["approver of the project"],
		testActors["admin"], testActors["system"]
	steps := []struct {
		a      Actor
		act    Action
		reason string
		want   Transition
	}{
		{contact, ActionSubmitForApproval, "", Transition{From: StateInPreparation, To: StatePendingApproval, Actor: "user:jane.doe@example.gc.ca"}},
		{approver, ActionRequestChanges, "Add French keywords.", Transition{From: StatePendingApproval, To: StateChangesRequested, Actor: "user:ann@example.gc.ca", Reason: "Add French keywords."}},
		{contact, ActionSubmitForApproval, "", Transition{From: StateChangesRequested, To: StatePendingApproval, Actor: "user:jane.doe@example.gc.ca"}},
		{approver, ActionApprove, "", Transition{From: StatePendingApproval, To: StateApproved, Actor: "user:ann@example.gc.ca"}},
		{system, ActionStartPublishing, "", Transition{From: StateApproved, To: StatePublishing, Actor: "system"}},
		{system, ActionPublishFailed, "CKAN answered 503", Transition{From: StatePublishing, To: StatePublishFailed, Actor: "system", Reason: "CKAN answered 503"}},
		{admin, ActionRetryPublishing, "", Transition{From: StatePublishFailed, To: StatePublishing, Actor: "admin:root@example.gc.ca"}},
		{system, ActionPublishSucceeded, "", Transition{From: StatePublishing, To: StatePublished, Actor: "system"}},
		{admin, ActionUnpublish, "Superseded.", Transition{From: StatePublished, To: StateUnpublished, Actor: "admin:root@example.gc.ca", Reason: "Superseded."}},
	}
	created := s.History[0]
	for i, st := range steps {
		at := testNow.Add(time.Duration(i) * time.Minute)
		st.want.At = at.UTC()
		tr, err := s.Apply(st.a, st.act, st.reason, allFacts, at)
		if err != nil {
			t.Fatalf("step %d, %s: %v", i, st.act, err)
		}
		if !reflect.DeepEqual(recorded(tr), st.want) || !reflect.DeepEqual(recorded(s.History[i+1]), st.want) {
			t.Errorf("step %d: transition %+v, want %+v", i, tr, st.want)
		}
		if s.UpdatedAt != at.UTC() || s.UpdatedAt.Location() != time.UTC {
			t.Errorf("step %d: UpdatedAt %v, want %v in UTC", i, s.UpdatedAt, at.UTC())
		}
	}
	if len(s.History) != len(steps)+1 || !reflect.DeepEqual(s.History[0], created) {
		t.Errorf("history %d entries, the first %+v", len(s.History), s.History[0])
	}
	if got := s.Allowed(admin, allFacts); !slices.Equal(got, []Action{ActionPublishAgain}) {
		t.Errorf("unpublished allows only publishing again, yet Allowed = %q", got)
	}
}

func TestCheckEdit(t *testing.T) {
	editors := []string{"contact", "global approver contact", "admin", "admin contact"}
	for _, st := range States {
		for name, a := range testActors {
			s := testSubmission(st)
			want := ""
			switch {
			case name == "anonymous" || name == "user without email":
				want = EUNAUTHORIZED
			case !slices.Contains(editors, name):
				want = EFORBIDDEN
			case st != StateInPreparation && st != StateChangesRequested:
				want = ECONFLICT
			}
			if got := ErrorCode(s.CheckEdit(a)); got != want {
				t.Errorf("%s, %s: CheckEdit %q, want %q", st, name, got, want)
			}
			if s.CanEdit(a) != (want == "") {
				t.Errorf("%s, %s: CanEdit disagrees with CheckEdit", st, name)
			}
		}
	}
}

func TestCanView(t *testing.T) {
	readers := []string{"contact", "approver of the project", "global approver", "global approver contact", "admin", "admin contact"}
	for name, a := range testActors {
		if got := testSubmission(StatePendingApproval).CanView(a); got != slices.Contains(readers, name) {
			t.Errorf("%s: CanView = %v", name, got)
		}
	}
}

func TestActorRoles(t *testing.T) {
	s := testSubmission(StateInPreparation)
	for _, c := range []struct {
		a       Actor
		contact bool
	}{
		{Actor{Kind: ActorUser, Email: "jane.doe@example.gc.ca"}, true},
		{Actor{Kind: ActorUser, Email: "JANE.DOE@EXAMPLE.GC.CA  "}, true},
		{Actor{Kind: ActorUser, Email: "jane.doe@example.gc.ca.evil"}, false},
		{Actor{Kind: ActorAPIKey, Email: "jane.doe@example.gc.ca"}, false}, // only users are contacts
		{Actor{Kind: ActorSystem, Email: "jane.doe@example.gc.ca", Admin: true, Approver: true}, false},
	} {
		if got := c.a.IsContact(s); got != c.contact {
			t.Errorf("%+v: IsContact = %v", c.a, got)
		}
		if c.a.Kind != ActorUser && (c.a.IsAdmin() || c.a.Approves(testProject)) {
			t.Errorf("%+v: roles count for a non-user", c.a)
		}
	}
	if (Actor{Kind: ActorUser}).IsContact(&Submission{}) {
		t.Error("an empty email is the contact of a submission without one")
	}
	ann := testActors["approver of the project"]
	if !ann.Approves("CFS") || !ann.Approves("cfs") || ann.Approves("CF") || ann.Approves("") {
		t.Error("per-project approver role matched wrongly")
	}
	if testActors["admin"].Approves(testProject) {
		t.Error("an admin is an approver without a grant")
	}
}

func TestActionsValid(t *testing.T) {
	for _, act := range Actions {
		if !act.Valid() {
			t.Errorf("%s not valid", act)
		}
		if _, ok := ruleFor(act); !ok {
			t.Errorf("%s has no rule", act)
		}
	}
	if Action("publish").Valid() || Action("").Valid() {
		t.Error("an unknown action is valid")
	}
}

// recorded is the part of a transition that the history keeps.
func recorded(t Transition) Transition {
	t.Action, t.Effects = "", nil
	return t
}
