package store

import (
	"context"
	"fmt"
	"time"
)

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
