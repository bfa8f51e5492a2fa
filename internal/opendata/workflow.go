package opendata

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is a step of the publishing workflow (SPEC §3).
type Action string

// The workflow actions.
const (
	ActionSubmitForApproval Action = "submit_for_approval"
	ActionWithdraw          Action = "withdraw"
	ActionApprove           Action = "approve"
	ActionRequestChanges    Action = "request_changes"
	ActionReject            Action = "reject"
	ActionStartPublishing   Action = "start_publishing"
	ActionPublishSucceeded  Action = "publish_succeeded"
	ActionPublishFailed     Action = "publish_failed"
	ActionRetryPublishing   Action = "retry_publishing"
	ActionUnpublish         Action = "unpublish"
	ActionPublishNow        Action = "publish_now"   // an admin sends a dry-run submission once a target exists
	ActionPublishAgain      Action = "publish_again" // an admin restores an unpublished dataset
)

// Actions lists every action in workflow order, the order in which the UI shows them.
var Actions = []Action{
	ActionSubmitForApproval, ActionApprove, ActionRequestChanges, ActionReject, ActionWithdraw,
	ActionPublishNow, ActionStartPublishing, ActionPublishSucceeded, ActionPublishFailed, ActionRetryPublishing,
	ActionUnpublish, ActionPublishAgain,
}

// Valid reports whether act is a known action.
func (act Action) Valid() bool { return slices.Contains(Actions, act) }

// MaxReason bounds the reason given with a transition, in characters.
const MaxReason = 2000

// role is who may take an action.
type role int

const (
	byContactOrAdmin role = iota
	byApprover            // of the submission's project, never its own contact
	byAdmin
	bySystem
)

// rule is one row of the transition table.
type rule struct {
	from      []State
	to        State
	by        role
	reason    bool            // a reason is required
	askReason bool            // the form asks for an optional reason
	needs     []ChecklistItem // facts that must hold
}

// ruleFor returns the transition table's row for act.
func ruleFor(act Action) (rule, bool) {
	switch act {
	case ActionSubmitForApproval:
		return rule{from: []State{StateInPreparation, StateChangesRequested}, to: StatePendingApproval,
			by: byContactOrAdmin, needs: SubmitChecklist}, true
	case ActionWithdraw: // withdrawal until publishing
		return rule{from: []State{StateInPreparation, StateChangesRequested, StatePendingApproval, StateApproved},
			to: StateWithdrawn, by: byContactOrAdmin, askReason: true}, true
	case ActionApprove:
		return rule{from: []State{StatePendingApproval}, to: StateApproved, by: byApprover,
			needs: []ChecklistItem{CheckSignedApprovalOpened}}, true
	case ActionRequestChanges:
		return rule{from: []State{StatePendingApproval}, to: StateChangesRequested, by: byApprover, reason: true}, true
	case ActionReject:
		return rule{from: []State{StatePendingApproval}, to: StateRejected, by: byApprover, reason: true}, true
	case ActionPublishNow:
		return rule{from: []State{StateApproved}, to: StatePublishing, by: byAdmin,
			needs: []ChecklistItem{CheckPublishingTarget}}, true
	case ActionStartPublishing:
		return rule{from: []State{StateApproved}, to: StatePublishing, by: bySystem}, true
	case ActionPublishSucceeded:
		return rule{from: []State{StatePublishing}, to: StatePublished, by: bySystem}, true
	case ActionPublishFailed:
		return rule{from: []State{StatePublishing}, to: StatePublishFailed, by: bySystem}, true
	case ActionRetryPublishing:
		return rule{from: []State{StatePublishFailed}, to: StatePublishing, by: byAdmin}, true
	case ActionUnpublish:
		return rule{from: []State{StatePublished}, to: StateUnpublished, by: byAdmin, reason: true}, true
	case ActionPublishAgain:
		return rule{from: []State{StateUnpublished}, to: StatePublishing, by: byAdmin,
			needs: []ChecklistItem{CheckPublishingTarget}}, true
	}
	return rule{}, false
}

// Apply takes act on the submission for a: on success it moves the state,
// records the transition and returns it with its effects (effectsOf); on
// failure the submission is unchanged and the error is EUNAUTHORIZED
// (anonymous), EFORBIDDEN (not for this actor), ECONFLICT (not in this state)
// or a *Refusal (bad reason, checklist incomplete).
func (s *Submission) Apply(a Actor, act Action, reason string, facts Checklist, now time.Time) (Transition, error) {
	r, name, err := s.check(a, act)
	if err != nil {
		return Transition{}, err
	}
	if reason, err = cleanReason(a, act, r.reason, reason); err != nil {
		return Transition{}, err
	}
	if missing := facts.missing(r.needs); len(missing) > 0 {
		return Transition{}, &Refusal{Code: RefuseNotReady, Action: act, Missing: missing}
	}
	t := Transition{From: s.State, To: r.to, Actor: name, Reason: reason, At: now.UTC(), Action: act}
	t.Effects = append(withReason(effectsOf(act), reason), stateChanged(s, t))
	s.State, s.UpdatedAt = t.To, t.At
	s.History = append(s.History, t)
	return t, nil
}

// Option is an action the actor may take in the submission's current state,
// with the checklist items that still keep it from being taken.
type Option struct {
	Action  Action
	Missing []ChecklistItem
}

// Ready reports whether the action can be taken now.
func (o Option) Ready() bool { return len(o.Missing) == 0 }

// Options lists, in workflow order, the actions a may take in the current
// state, ready or not, so that the UI can show a disabled button and say why.
func (s *Submission) Options(a Actor, facts Checklist) []Option {
	var out []Option
	for _, act := range Actions {
		if r, _, err := s.check(a, act); err == nil {
			out = append(out, Option{Action: act, Missing: facts.missing(r.needs)})
		}
	}
	return out
}

// Allowed lists the actions Apply would accept from a now (given a valid reason where one is required).
func (s *Submission) Allowed(a Actor, facts Checklist) []Action {
	var out []Action
	for _, o := range s.Options(a, facts) {
		if o.Ready() {
			out = append(out, o.Action)
		}
	}
	return out
}

// check decides whether a may take act in the current state, ignoring the
// reason and the checklist, and names a in the history. Who is checked before
// the state, so that an outsider learns nothing about what others may do.
func (s *Submission) check(a Actor, act Action) (rule, string, error) {
	r, ok := ruleFor(act)
	if !ok {
		return rule{}, "", Errorf(EINVALID, "unknown action %q", act)
	}
	if a.anonymous() {
		return rule{}, "", Errorf(EUNAUTHORIZED, "sign in to %s a submission", act)
	}
	name, err := s.permit(a, act, r.by)
	if err != nil {
		return rule{}, "", err
	}
	if !slices.Contains(r.from, s.State) {
		return rule{}, "", Errorf(ECONFLICT, "cannot %s a submission in state %s", act, s.State)
	}
	return r, name, nil
}

// permit checks a against the role an action requires and returns the name
// the history records: the capacity a acts in, so an admin's override shows.
func (s *Submission) permit(a Actor, act Action, by role) (string, error) {
	switch by {
	case byContactOrAdmin:
		if a.IsContact(s) {
			return UserActorName(a.Email), nil
		}
		if a.IsAdmin() {
			return AdminActorName(a.Email), nil
		}
		return "", Errorf(EFORBIDDEN, "only the submission's contact or an admin may %s it", act)
	case byApprover:
		if !s.CanReview(a) {
			if a.Approves(s.Project) { // separation of duties
				return "", Errorf(EFORBIDDEN, "an approver may not %s a submission of which they are the contact", act)
			}
			return "", Errorf(EFORBIDDEN, "only an approver of project %s may %s this submission", s.Project, act)
		}
		return UserActorName(a.Email), nil
	case byAdmin:
		if a.IsAdmin() {
			return AdminActorName(a.Email), nil
		}
		return "", Errorf(EFORBIDDEN, "only an admin may %s a submission", act)
	case bySystem:
		if a.Kind == ActorSystem {
			return SystemActorName, nil
		}
		return "", Errorf(EFORBIDDEN, "only the service itself may %s a submission", act)
	}
	return "", Errorf(EINTERNAL, "no role for action %s", act)
}

// cleanReason trims the reason and checks it. A background job's reason (an
// error from CKAN, say) is shortened instead, since no one is there to fix it
// and refusing would strand the submission.
func cleanReason(a Actor, act Action, required bool, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if a.Kind == ActorSystem {
		return systemReason(reason), nil
	}
	switch {
	case required && reason == "":
		return "", &Refusal{Code: RefuseReasonRequired, Action: act}
	case utf8.RuneCountInString(reason) > MaxReason:
		return "", &Refusal{Code: RefuseReasonTooLong, Action: act, Limit: MaxReason}
	case hasControl(reason, true):
		return "", &Refusal{Code: RefuseReasonControl, Action: act}
	}
	return reason, nil
}

func systemReason(reason string) string {
	reason = strings.Map(func(r rune) rune {
		if hasControl(string(r), true) {
			return ' '
		}
		return r
	}, reason)
	if utf8.RuneCountInString(reason) > MaxReason {
		reason = string([]rune(reason)[:MaxReason-1]) + "…"
	}
	return reason
}

// CheckEdit says whether a may edit the submission's metadata, approval form
// and signed approval: the contact or an admin, while it is with the contact.
func (s *Submission) CheckEdit(a Actor) error {
	if a.anonymous() {
		return Errorf(EUNAUTHORIZED, "sign in to edit a submission")
	}
	if !a.IsContact(s) && !a.IsAdmin() {
		return Errorf(EFORBIDDEN, "only the submission's contact or an admin may edit it")
	}
	return s.State.CheckEditable()
}

// Editable reports whether a submission in state s is with its contact, who
// may still change its metadata, approval form and signed approval.
func (s State) Editable() bool { return s == StateInPreparation || s == StateChangesRequested }

// CheckEditable is ECONFLICT unless s is Editable.
func (s State) CheckEditable() error {
	if !s.Editable() {
		return Errorf(ECONFLICT, "cannot edit a submission in state %s", s)
	}
	return nil
}

// CanEdit reports whether a may edit the submission now.
func (s *Submission) CanEdit(a Actor) bool { return s.CheckEdit(a) == nil }

// CanView reports whether a may see the submission and its signed approval:
// the contact, an admin, or an approver of the submission's project.
func (s *Submission) CanView(a Actor) bool {
	return a.IsContact(s) || a.IsAdmin() || a.Approves(s.Project)
}

// CanReview reports whether a may review the submission as its approver:
// an approver of its project who is not its contact (separation of duties).
func (s *Submission) CanReview(a Actor) bool { return a.Approves(s.Project) && !a.IsContact(s) }
