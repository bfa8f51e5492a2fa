package store

import (
	"context"
	"fmt"
	"slices"
	"time"

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

// NoticeSent reports whether notify job jobID already sent its email about submissionID.
func (db *DB) NoticeSent(ctx context.Context, jobID int64, submissionID string) (bool, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM notices_sent WHERE job_id = $1 AND submission_id = $2`,
		jobID, submissionID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("notice sent: %w", err)
	}
	return n > 0, nil
}

// MarkNoticeSent records that notify job jobID sent its email about submissionID.
func (db *DB) MarkNoticeSent(ctx context.Context, jobID int64, submissionID string) error {
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO notices_sent (job_id, submission_id, sent_at) VALUES ($1, $2, $3)
			ON CONFLICT (job_id, submission_id) DO NOTHING`, jobID, submissionID, micros(db.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("mark notice sent: %w", err)
	}
	return nil
}

// noticesSentKept is how long a sent email is remembered: far longer than a
// notify job can still be retried (River gives up within the hour).
const noticesSentKept = 7 * 24 * time.Hour

// PurgeNoticesSent forgets emails sent longer ago than a retry could come, and
// returns how many.
func (db *DB) PurgeNoticesSent(ctx context.Context) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`DELETE FROM notices_sent WHERE sent_at < $1`, micros(db.now().Add(-noticesSentKept)))
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge sent notices: %w", err)
	}
	return n, nil
}
