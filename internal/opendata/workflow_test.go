package opendata

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const testProject = "CFS"

var testNow = time.Date(2024, 6, 15, 14, 30, 0, 0, time.FixedZone("EDT", -4*3600))

// testActors are the actor kinds the workflow tells apart; the contact's
// email differs from the submission's only in case and spaces.
var testActors = map[string]Actor{
	"anonymous":                 {},
	"user without email":        {Kind: ActorUser},
	"contact":                   {Kind: ActorUser, Email: " JANE.doe@example.gc.ca"},
	"other user":                {Kind: ActorUser, Email: "bob@example.gc.ca"},
	"approver of the project":   {Kind: ActorUser, Email: "ann@example.gc.ca", ApproverOf: []string{"NRC", "cfs"}},
	"approver of other project": {Kind: ActorUser, Email: "ann@example.gc.ca", ApproverOf: []string{"NRC"}},
	"global approver":           {Kind: ActorUser, Email: "gus@example.gc.ca", Approver: true},
	"global approver contact":   {Kind: ActorUser, Email: "jane.doe@example.gc.ca", Approver: true},
	"admin":                     {Kind: ActorUser, Email: "Root@example.gc.ca", Admin: true},
	"admin contact":             {Kind: ActorUser, Email: "jane.doe@example.gc.ca", Admin: true},
	"system":                    {Kind: ActorSystem},
	"api key":                   {Kind: ActorAPIKey, KeyPrefix: "dh_abc123"},
}

// wantTable is SPEC §3's transition table, written out independently of ruleFor.
var wantTable = map[Action]struct {
	from   []State
	to     State
	who    []string
	reason bool
	needs  []ChecklistItem
}{
	ActionSubmitForApproval: {[]State{StateInPreparation, StateChangesRequested}, StatePendingApproval,
		[]string{"contact", "global approver contact", "admin", "admin contact"}, false, SubmitChecklist},
	ActionWithdraw: {[]State{StateInPreparation, StateChangesRequested, StatePendingApproval, StateApproved}, StateWithdrawn,
		[]string{"contact", "global approver contact", "admin", "admin contact"}, false, nil},
	ActionApprove: {[]State{StatePendingApproval}, StateApproved,
		[]string{"approver of the project", "global approver"}, false, []ChecklistItem{CheckSignedApprovalOpened}},
	ActionRequestChanges: {[]State{StatePendingApproval}, StateChangesRequested,
		[]string{"approver of the project", "global approver"}, true, nil},
	ActionReject: {[]State{StatePendingApproval}, StateRejected,
		[]string{"approver of the project", "global approver"}, true, nil},
	ActionStartPublishing:  {[]State{StateApproved}, StatePublishing, []string{"system"}, false, nil},
	ActionPublishSucceeded: {[]State{StatePublishing}, StatePublished, []string{"system"}, false, nil},
	ActionPublishFailed:    {[]State{StatePublishing}, StatePublishFailed, []string{"system"}, false, nil},
	ActionRetryPublishing:  {[]State{StatePublishFailed}, StatePublishing, []string{"admin", "admin contact"}, false, nil},
	ActionUnpublish:        {[]State{StatePublished}, StateUnpublished, []string{"admin", "admin contact"}, true, nil},
	ActionPublishNow: {[]State{StateApproved}, StatePublishing, []string{"admin", "admin contact"}, false,
		[]ChecklistItem{CheckPublishingTarget}},
	ActionPublishAgain: {[]State{StateUnpublished}, StatePublishing, []string{"admin", "admin contact"}, false,
		[]ChecklistItem{CheckPublishingTarget}},
}

var allFacts = Checklist{MetadataValid: true, FileCheckPassed: true, ApprovalFormComplete: true,
	SignedApprovalAttached: true, SignedApprovalOpened: true, PublishingTarget: true}

// testSubmission returns a submission of testProject in state st.
func testSubmission(st State) *Submission {
	s := NewSubmission("5b1c6a2e-0f6e-4d59-9a57-3c1c2f7b9e10", testProject, "dh_abc123",
		Fields{EmailContact: "Jane.Doe@example.gc.ca ", TitleEN: "Forests"}, testNow.Add(-time.Hour))
	s.State = st
	return s
}

// snapshot copies s deeply enough to tell whether Apply changed it.
func snapshot(s *Submission) Submission {
	c := *s
	c.History = slices.Clone(s.History)
	return c
}

// expectedCode is what the table says Apply must answer ("" for success).
func expectedCode(actor string, act Action, st State) string {
	w := wantTable[act]
	switch {
	case actor == "anonymous" || actor == "user without email":
		return EUNAUTHORIZED
	case !slices.Contains(w.who, actor):
		return EFORBIDDEN
	case !slices.Contains(w.from, st):
		return ECONFLICT
	}
	return ""
}

// TestWorkflowSweep tries every action by every actor kind in every state,
// with and without the checklist, and holds Apply, Allowed and Options to the table.
func TestWorkflowSweep(t *testing.T) {
	if len(wantTable) != len(Actions) {
		t.Fatalf("the test table has %d actions, the workflow %d", len(wantTable), len(Actions))
	}
	for _, st := range States {
		for name, a := range testActors {
			for _, facts := range []Checklist{allFacts, {}} {
				allowed := testSubmission(st).Allowed(a, facts)
				options := testSubmission(st).Options(a, facts)
				for _, act := range Actions {
					w := wantTable[act]
					want := expectedCode(name, act, st)
					if want == "" && len(w.needs) > 0 && facts != allFacts {
						want = EINVALID
					}
					s := testSubmission(st)
					before := snapshot(s)
					tr, err := s.Apply(a, act, "a reason", facts, testNow)
					if got := ErrorCode(err); got != want {
						t.Errorf("%s: %s by %s (facts %v): code %q (%v), want %q", st, act, name, facts == allFacts, got, err, want)
					}
					if ok := slices.Contains(allowed, act); ok != (err == nil) {
						t.Errorf("%s: %s by %s: Allowed says %v, Apply says %v", st, act, name, ok, err)
					}
					i := slices.IndexFunc(options, func(o Option) bool { return o.Action == act })
					if offered := i >= 0; offered != (want == "" || want == EINVALID) {
						t.Errorf("%s: %s by %s: offered %v, Apply code %q", st, act, name, offered, want)
					} else if offered && options[i].Ready() != (err == nil) {
						t.Errorf("%s: %s by %s: option ready %v, Apply says %v", st, act, name, options[i].Ready(), err)
					}
					if err != nil {
						if !reflect.DeepEqual(snapshot(s), before) {
							t.Errorf("%s: refused %s by %s changed the submission", st, act, name)
						}
						continue
					}
					if tr.From != st || tr.To != w.to || s.State != w.to || len(s.History) != len(before.History)+1 ||
						!reflect.DeepEqual(s.History[len(s.History)-1], tr) || !s.UpdatedAt.Equal(testNow) {
						t.Errorf("%s: %s by %s: transition %+v, state %s, history %d", st, act, name, tr, s.State, len(s.History))
					}
				}
			}
		}
	}
}

func TestErrorMessagesExplain(t *testing.T) {
	for _, c := range []struct {
		st    State
		actor string
		act   Action
		facts Checklist
		want  string
	}{
		{StatePublished, "contact", ActionWithdraw, allFacts, "in state published"},
		{StatePublishing, "admin", ActionWithdraw, allFacts, "in state publishing"},
		{StatePendingApproval, "other user", ActionWithdraw, allFacts, "contact or an admin"},
		{StatePendingApproval, "approver of other project", ActionApprove, allFacts, "approver of project CFS"},
		{StatePendingApproval, "admin", ActionApprove, allFacts, "approver of project CFS"},
		{StatePendingApproval, "global approver contact", ActionApprove, allFacts, "they are the contact"},
		{StatePendingApproval, "global approver contact", ActionReject, allFacts, "they are the contact"},
		{StateApproved, "admin", ActionStartPublishing, allFacts, "service itself"},
		{StatePublished, "contact", ActionUnpublish, allFacts, "only an admin"},
		{StateInPreparation, "anonymous", ActionWithdraw, allFacts, "sign in"},
		{StateInPreparation, "contact", ActionSubmitForApproval, Checklist{MetadataValid: true, ApprovalFormComplete: true},
			"checklist is incomplete: file_check_passed, signed_approval_attached"},
		{StateChangesRequested, "contact", ActionSubmitForApproval, Checklist{},
			"metadata_valid, file_check_passed, approval_form_complete, signed_approval_attached"},
		{StatePendingApproval, "global approver", ActionApprove, Checklist{MetadataValid: true}, "signed_approval_opened"},
	} {
		_, err := testSubmission(c.st).Apply(testActors[c.actor], c.act, "", c.facts, testNow)
		if msg := ErrorMessage(err); !strings.Contains(msg, c.want) {
			t.Errorf("%s: %s by %s: message %q, want it to contain %q", c.st, c.act, c.actor, msg, c.want)
		}
	}
	_, err := testSubmission(StateInPreparation).Apply(testActors["admin"], "publish_later", "", allFacts, testNow)
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "publish_later") {
		t.Errorf("unknown action: %v, want EINVALID naming it", err)
	}
}

func TestChecklistGating(t *testing.T) {
	for _, c := range []struct {
		facts Checklist
		want  []ChecklistItem
	}{
		{allFacts, nil},
		{Checklist{MetadataValid: true, FileCheckPassed: true, ApprovalFormComplete: true, SignedApprovalAttached: true}, nil},
		{Checklist{}, SubmitChecklist},
		{Checklist{SignedApprovalOpened: true}, SubmitChecklist},
		{Checklist{FileCheckPassed: true, ApprovalFormComplete: true, SignedApprovalAttached: true}, []ChecklistItem{CheckMetadataValid}},
		{Checklist{MetadataValid: true, ApprovalFormComplete: true, SignedApprovalAttached: true}, []ChecklistItem{CheckFileCheckPassed}},
		{Checklist{MetadataValid: true, FileCheckPassed: true, SignedApprovalAttached: true}, []ChecklistItem{CheckApprovalFormComplete}},
		{Checklist{MetadataValid: true, FileCheckPassed: true, ApprovalFormComplete: true}, []ChecklistItem{CheckSignedApprovalAttached}},
	} {
		if got := c.facts.Missing(); !slices.Equal(got, c.want) {
			t.Errorf("%+v: Missing() = %q, want %q", c.facts, got, c.want)
		}
		if got := c.facts.MissingFor(ActionSubmitForApproval); !slices.Equal(got, c.want) {
			t.Errorf("%+v: MissingFor(submit) = %q, want %q", c.facts, got, c.want)
		}
		opts := testSubmission(StateInPreparation).Options(testActors["contact"], c.facts)
		if len(opts) != 2 || opts[0].Action != ActionSubmitForApproval || !slices.Equal(opts[0].Missing, c.want) ||
			opts[1].Action != ActionWithdraw || !opts[1].Ready() {
			t.Errorf("%+v: Options = %+v", c.facts, opts)
		}
		_, err := testSubmission(StateInPreparation).Apply(testActors["contact"], ActionSubmitForApproval, "", c.facts, testNow)
		if (err == nil) != (c.want == nil) || (err != nil && !strings.HasSuffix(ErrorMessage(err), joinItems(c.want))) {
			t.Errorf("%+v: Apply error %v, want missing %q", c.facts, err, c.want)
		}
	}
	if got := (Checklist{}).MissingFor(ActionApprove); !slices.Equal(got, []ChecklistItem{CheckSignedApprovalOpened}) {
		t.Errorf("MissingFor(approve) = %q", got)
	}
	if got := (Checklist{}).MissingFor(ActionReject); got != nil {
		t.Errorf("MissingFor(reject) = %q, want none", got)
	}
	if (Checklist{}).Holds("unknown") || allFacts.Holds("unknown") {
		t.Error("an unknown item holds")
	}
}

func TestApproveNeedsTheOpenedDocument(t *testing.T) {
	s := testSubmission(StatePendingApproval)
	approver := testActors["approver of the project"]
	notOpened := Checklist{MetadataValid: true, FileCheckPassed: true, ApprovalFormComplete: true, SignedApprovalAttached: true}
	if slices.Contains(s.Allowed(approver, notOpened), ActionApprove) {
		t.Error("approve allowed before the signed approval was opened")
	}
	if got := s.Allowed(approver, notOpened); !slices.Equal(got, []Action{ActionRequestChanges, ActionReject}) {
		t.Errorf("Allowed before opening = %q", got)
	}
	if _, err := s.Apply(approver, ActionApprove, "", notOpened, testNow); ErrorCode(err) != EINVALID {
		t.Fatalf("approve before opening: %v, want EINVALID", err)
	}
	if _, err := s.Apply(approver, ActionApprove, "", Checklist{SignedApprovalOpened: true}, testNow); err != nil {
		t.Fatalf("approve after opening: %v", err)
	}
	if s.State != StateApproved {
		t.Errorf("state %s, want approved", s.State)
	}
}
