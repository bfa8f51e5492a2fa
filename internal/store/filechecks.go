package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// Jobs enqueues background work inside a store transaction, so that a job
// exists if and only if the change that causes it commits. The job queue
// (internal/jobs) implements it; the store does not know the queue.
type Jobs interface {
	// Enqueue inserts these jobs inside tx, in one go (one call per group
	// commit), and returns their ids in the same order.
	Enqueue(ctx context.Context, tx *sql.Tx, jobs []Job) (jobIDs []int64, err error)
}

// Job is one background job a transaction asks for.
type Job struct {
	Kind         string // KindFileCheck or KindNotify
	SubmissionID string
	Event        string // KindNotify: what happened, a Notice* event
	Reason       string // KindNotify: the reason given, if any
}

// SetJobs sets the queue that writes enqueue their jobs on. Call it once,
// before the store is used; without it the rows are written and nothing is enqueued.
func (db *DB) SetJobs(j Jobs) { db.jobs = j }

// KindFileCheck is the job kind of a file check, for the queue and submission_jobs.
const KindFileCheck = "file_check"

// CheckState is the state of a file check (SPEC §4).
type CheckState string

const (
	CheckPending CheckState = "pending"
	CheckPassed  CheckState = "passed"
	CheckFailed  CheckState = "failed"
	CheckRefused CheckState = "refused"
)

// FileCheck is the latest check of a submission's file_url.
type FileCheck struct {
	SubmissionID string
	State        CheckState
	RequestedAt  time.Time
	CheckedAt    *time.Time // when the check finished; nil while pending
	Attempts     int
	HTTPStatus   int
	Size         int64
	ContentType  string // sniffed from the content
	SHA256       string
	Format       string // CKAN format code
	Reason       string // why it did not pass, or why the last attempt failed while pending
	JobID        int64  // the job running this request; 0 when none was enqueued
}

// queueFileCheck makes the submission's check pending and enqueues its job in tx.
func queueFileCheck(tx *Tx, id string) error {
	// job_id is set once its job is inserted with the batch's others (enqueueDeferred).
	_, err := tx.Exec(InsertFileCheckSQL, id, string(CheckPending), micros(tx.db.now()), 0)
	if err == nil && tx.db.jobs != nil {
		tx.jobs = append(tx.jobs, Job{Kind: KindFileCheck, SubmissionID: id})
	}
	return err
}

// enqueueDeferred inserts the jobs that the transaction's writes asked for, in
// one statement for the whole group commit, and links each to its submission.
// Writers call it after the last write and before COMMIT.
func (t *Tx) enqueueDeferred() error {
	if len(t.jobs) == 0 {
		return nil
	}
	ids, err := t.db.jobs.Enqueue(t.ctx, t.tx, t.jobs)
	if err != nil {
		return fmt.Errorf("enqueue jobs: %w", err)
	}
	if len(ids) != len(t.jobs) {
		return fmt.Errorf("enqueue jobs: %d ids for %d jobs", len(ids), len(t.jobs))
	}
	now := micros(t.db.now())
	for i, j := range t.jobs {
		if j.Kind == KindFileCheck {
			if _, err := t.Exec(`UPDATE file_checks SET job_id = $2 WHERE submission_id = $1`, j.SubmissionID, ids[i]); err != nil {
				return err
			}
		}
		if _, err := t.Exec(InsertSubmissionJobSQL, j.SubmissionID, ids[i], j.Kind, now); err != nil {
			return err
		}
	}
	t.jobs = t.jobs[:0]
	return nil
}

const fileCheckColumns = `submission_id, state, requested_at, checked_at, attempts, http_status, size,
	content_type, sha256, format, reason, job_id`

func scanFileCheck(row rowScanner) (*FileCheck, error) {
	var c FileCheck
	var state string
	var requested int64
	var checked sql.NullInt64
	if err := row.Scan(&c.SubmissionID, &state, &requested, &checked, &c.Attempts, &c.HTTPStatus, &c.Size,
		&c.ContentType, &c.SHA256, &c.Format, &c.Reason, &c.JobID); err != nil {
		return nil, err
	}
	c.State, c.RequestedAt, c.CheckedAt = CheckState(state), fromMicros(requested), timePtr(checked)
	return &c, nil
}

// FileCheck returns the submission's file check; ENOTFOUND if it has none
// (a submission stored before file checks existed, until one is requested).
func (db *DB) FileCheck(ctx context.Context, submissionID string) (*FileCheck, error) {
	c, err := scanFileCheck(db.queryRow(ctx, `SELECT `+fileCheckColumns+` FROM file_checks WHERE submission_id = $1`, submissionID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no file check for submission %s", submissionID)
	} else if err != nil {
		return nil, fmt.Errorf("get file check: %w", err)
	}
	return c, nil
}

// RequestFileCheck makes the submission's file check pending again and
// enqueues it, in one transaction, and returns the check as that transaction
// left it (a worker may finish it a moment later). A check already pending is
// left alone (enqueued is false) unless its job is deadJob: one the caller
// found finished or gone without saving a result. The submission must exist.
func (db *DB) RequestFileCheck(ctx context.Context, submissionID string, deadJob *int64) (c *FileCheck, enqueued bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		cur, err := scanFileCheck(tx.QueryRow(`SELECT `+fileCheckColumns+` FROM file_checks WHERE submission_id = $1`+
			db.dialect.forUpdate, submissionID))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && cur.State == CheckPending && (deadJob == nil || *deadJob != cur.JobID) {
			c = cur
			return nil
		}
		if err := queueFileCheck(tx, submissionID); err != nil {
			return err
		}
		enqueued = true
		c, err = scanFileCheck(tx.QueryRow(`SELECT `+fileCheckColumns+` FROM file_checks WHERE submission_id = $1`, submissionID))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("request file check: %w", err)
	}
	if enqueued && db.jobs != nil { // the job id is given just before COMMIT (enqueueDeferred)
		if err := db.queryRow(ctx, `SELECT job_id FROM file_checks WHERE submission_id = $1`, submissionID).Scan(&c.JobID); err != nil {
			return nil, false, fmt.Errorf("request file check: %w", err)
		}
	}
	return c, enqueued, nil
}

// SaveFileCheck records what job c.JobID found, a final result or a failed
// attempt (state still pending). It reports false, changing nothing, when a
// newer request has replaced that job.
func (db *DB) SaveFileCheck(ctx context.Context, c *FileCheck) (saved bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`UPDATE file_checks SET state = $3, checked_at = $4, attempts = $5, http_status = $6,
			size = $7, content_type = $8, sha256 = $9, format = $10, reason = $11
			WHERE submission_id = $1 AND job_id = $2`,
			c.SubmissionID, c.JobID, string(c.State), nullMicros(c.CheckedAt), c.Attempts, c.HTTPStatus,
			c.Size, c.ContentType, c.SHA256, c.Format, c.Reason)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		saved = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("save file check: %w", err)
	}
	return saved, nil
}

// SubmissionJobIDs returns the ids of the newest jobs enqueued for a
// submission, newest first, at most limit.
func (db *DB) SubmissionJobIDs(ctx context.Context, submissionID string, limit int) ([]int64, error) {
	rows, err := db.query(ctx, `SELECT job_id FROM submission_jobs WHERE submission_id = $1
		ORDER BY job_id DESC LIMIT $2`, submissionID, limit)
	if err != nil {
		return nil, fmt.Errorf("submission jobs: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("submission jobs: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("submission jobs: %w", err)
	}
	return ids, nil
}
