package opendata

// EffectKind names a consequence of a change to a submission that a
// background job carries out: the store enqueues it in the change's own
// transaction, so it happens if and only if the change commits.
type EffectKind string

// The effects of the workflow.
const (
	EffectCheckFile EffectKind = "file_check" // download file_url once and record what it is (SPEC §4)
	EffectNotify    EffectKind = "notify"     // email the people a step concerns
	EffectPublish   EffectKind = "publish"    // create or update the dataset on the registry (SPEC §5)
	EffectUnpublish EffectKind = "unpublish"  // delete the dataset on the registry
	EffectEvent     EffectKind = "event"      // tell the API client: the events feed, and its webhook if it has one
)

// Notice is what an email tells its recipients (SPEC §3, "Email").
type Notice string

// The notices.
const (
	NoticeReceived          Notice = "received"           // to the contact: the submission arrived
	NoticeApprovalRequested Notice = "approval_requested" // to the project's approvers
	NoticeChangesRequested  Notice = "changes_requested"  // to the contact, with the reason
	NoticeApproved          Notice = "approved"           // to the contact
	NoticeRejected          Notice = "rejected"           // to the contact, with the reason
	NoticeWithdrawn         Notice = "withdrawn"          // to the contact
	NoticePublished         Notice = "published"          // to the contact, with the registry link
	NoticePublishFailed     Notice = "publish_failed"     // to the contact and the admins, with the reasons
)

// Notices lists every notice.
var Notices = []Notice{
	NoticeReceived, NoticeApprovalRequested, NoticeChangesRequested, NoticeApproved,
	NoticeRejected, NoticeWithdrawn, NoticePublished, NoticePublishFailed,
}

// Effect is one consequence of a change, for one submission.
type Effect struct {
	Kind   EffectKind
	Notice Notice      // EffectNotify: what the email says
	Reason string      // the reason given with the change, if any
	Event  *EventDraft // EffectEvent: what the event says
}

func notify(n Notice) Effect { return Effect{Kind: EffectNotify, Notice: n} }

// effectsOf is the effects table, beside the transition table (ruleFor): what
// taking act causes. A reason given with the step travels with its effects.
func effectsOf(act Action) []Effect {
	switch act {
	case ActionSubmitForApproval:
		return []Effect{notify(NoticeApprovalRequested)}
	case ActionWithdraw:
		return []Effect{notify(NoticeWithdrawn)}
	case ActionApprove:
		return []Effect{notify(NoticeApproved), {Kind: EffectPublish}}
	case ActionRequestChanges:
		return []Effect{notify(NoticeChangesRequested)}
	case ActionReject:
		return []Effect{notify(NoticeRejected)}
	case ActionPublishSucceeded:
		return []Effect{notify(NoticePublished)}
	case ActionPublishFailed:
		return []Effect{notify(NoticePublishFailed)}
	case ActionRetryPublishing, ActionPublishNow, ActionPublishAgain:
		return []Effect{{Kind: EffectPublish}}
	case ActionUnpublish:
		return []Effect{{Kind: EffectUnpublish}}
	}
	return nil
}

// receivedEffects are what a new submission causes: its file check, the
// email that gives the contact its page, and its event.
func receivedEffects(s *Submission) []Effect {
	return []Effect{{Kind: EffectCheckFile}, notify(NoticeReceived),
		eventEffect(EventReceived, EventData{DatahubID: s.ID, FileID: s.Fields.FileID, State: s.State})}
}

// EditEffects are what replacing a submission's metadata causes: a new
// file_url must be checked again.
func EditEffects(old, updated Fields) []Effect {
	if old.FileURL != updated.FileURL {
		return []Effect{{Kind: EffectCheckFile}}
	}
	return nil
}

// RecheckEffects are what asking for another file check causes.
func RecheckEffects() []Effect { return []Effect{{Kind: EffectCheckFile}} }

// withReason gives every effect the step's reason.
func withReason(effects []Effect, reason string) []Effect {
	for i := range effects {
		effects[i].Reason = reason
	}
	return effects
}

// NoEvents drops the events from a list of effects, for callers that count jobs.
func NoEvents(effects []Effect) []Effect {
	var out []Effect
	for _, e := range effects {
		if e.Kind != EffectEvent {
			out = append(out, e)
		}
	}
	return out
}
