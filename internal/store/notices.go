package store

import (
	"fmt"
	"slices"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// KindNotify is the job kind of an email notice, for the queue and submission_jobs.
const KindNotify = "notify"

// Notice events: what a notice tells its recipients (SPEC §3, "Email").
const (
	NoticeReceived          = "received"           // to the contact: the submission arrived
	NoticeApprovalRequested = "approval_requested" // to the project's approvers
	NoticeChangesRequested  = "changes_requested"  // to the contact, with the reason
	NoticeApproved          = "approved"           // to the contact
	NoticeRejected          = "rejected"           // to the contact, with the reason
	NoticeWithdrawn         = "withdrawn"          // to the contact
	NoticePublished         = "published"          // to the contact
	NoticePublishFailed     = "publish_failed"     // to the admins, with the error
)

// NoticeEvents lists every notice event.
var NoticeEvents = []string{
	NoticeReceived, NoticeApprovalRequested, NoticeChangesRequested, NoticeApproved,
	NoticeRejected, NoticeWithdrawn, NoticePublished, NoticePublishFailed,
}

// Notice is an email about a submission, sent by a durable job enqueued in
// the transaction of the change it reports, so it is sent if and only if
// that change commits.
type Notice struct {
	SubmissionID string
	Event        string // a Notice* event
	Reason       string // the reason given with the transition, or the publishing error
}

// NoticesFor returns the notices that a transition of submission id calls
// for: one for every state a person must hear about, none otherwise.
func NoticesFor(id string, t opendata.Transition) []Notice {
	var event string
	switch t.To {
	case opendata.StatePendingApproval:
		event = NoticeApprovalRequested
	case opendata.StateChangesRequested:
		event = NoticeChangesRequested
	case opendata.StateApproved:
		event = NoticeApproved
	case opendata.StateRejected:
		event = NoticeRejected
	case opendata.StateWithdrawn:
		event = NoticeWithdrawn
	case opendata.StatePublished:
		event = NoticePublished
	case opendata.StatePublishFailed:
		event = NoticePublishFailed
	default:
		return nil
	}
	return []Notice{{SubmissionID: id, Event: event, Reason: t.Reason}}
}

// queueNotice asks for n's job, inserted before COMMIT with the
// transaction's other jobs (enqueueDeferred); without a queue it does nothing.
func queueNotice(tx *Tx, n Notice) error {
	if !slices.Contains(NoticeEvents, n.Event) {
		return fmt.Errorf("queue notice: unknown event %q", n.Event)
	}
	if tx.db.jobs != nil {
		tx.jobs = append(tx.jobs, Job{Kind: KindNotify, SubmissionID: n.SubmissionID, Event: n.Event, Reason: n.Reason})
	}
	return nil
}
