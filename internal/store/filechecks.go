package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// pendFileCheck makes the submission's file check pending: the row that an
// EffectCheckFile keeps beside its job (see effectRows).
func pendFileCheck(tx *Tx, j *Job) (bool, error) {
	// job_id is set once its job is inserted with the batch's others (linkFileCheck).
	_, err := tx.Exec(InsertFileCheckSQL, j.SubmissionID, string(opendata.CheckPending), micros(tx.db.now()), 0)
	return true, err
}

// linkFileCheck names the job that runs the submission's pending check.
func linkFileCheck(tx *Tx, j Job, jobID int64) error {
	_, err := tx.Exec(`UPDATE file_checks SET job_id = $2 WHERE submission_id = $1`, j.SubmissionID, jobID)
	return err
}

const fileCheckColumns = `submission_id, state, requested_at, checked_at, attempts, http_status, size,
	content_type, sha256, format, reason, job_id, reason_code, reason_args`

func scanFileCheck(row rowScanner) (*opendata.FileCheck, error) {
	var r fileCheckRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.value()
}

// fileCheckRow receives the fileCheckColumns of a row (dest), then makes the check of them (value).
type fileCheckRow struct {
	c         opendata.FileCheck
	state     string
	requested int64
	checked   sql.NullInt64
	args      string
}

func (r *fileCheckRow) dest() []any {
	c := &r.c
	return []any{&c.SubmissionID, &r.state, &r.requested, &r.checked, &c.Attempts, &c.HTTPStatus, &c.Size,
		&c.ContentType, &c.SHA256, &c.Format, &c.Reason, &c.JobID, &c.ReasonCode, &r.args}
}

func (r *fileCheckRow) value() (*opendata.FileCheck, error) {
	c := r.c
	if r.args != "" && r.args != "{}" {
		if err := json.Unmarshal([]byte(r.args), &c.ReasonArgs); err != nil {
			return nil, fmt.Errorf("file check of %s: reason arguments: %w", c.SubmissionID, err)
		}
	}
	c.State, c.RequestedAt, c.CheckedAt = opendata.CheckState(r.state), fromMicros(r.requested), timePtr(r.checked)
	return &c, nil
}

// FileCheck returns the submission's file check; ENOTFOUND if it has none
// (a submission stored before file checks existed, until one is requested).
func (db *DB) FileCheck(ctx context.Context, submissionID string) (*opendata.FileCheck, error) {
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
// left alone (enqueued is false) unless its job can no longer run: finished,
// given up or deleted without saving a result, as when its replica died on
// the last attempt. The submission must exist. The API, the pages and the
// command line all ask through here.
func (db *DB) RequestFileCheck(ctx context.Context, submissionID string) (c *opendata.FileCheck, enqueued bool, err error) {
	dead, err := db.deadCheckJob(ctx, submissionID)
	if err != nil {
		return nil, false, fmt.Errorf("request file check: %w", err)
	}
	err = db.update(ctx, func(tx *Tx) error {
		cur, err := scanFileCheck(tx.QueryRow(`SELECT `+fileCheckColumns+` FROM file_checks WHERE submission_id = $1`+
			db.dialect.forUpdate, submissionID))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && cur.State == opendata.CheckPending && (dead == 0 || dead != cur.JobID) {
			c = cur
			return nil
		}
		if err := queueEffects(tx, submissionID, opendata.RecheckEffects()); err != nil {
			return err
		}
		enqueued = true
		c, err = scanFileCheck(tx.QueryRow(`SELECT `+fileCheckColumns+` FROM file_checks WHERE submission_id = $1`, submissionID))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("request file check: %w", err)
	}
	if enqueued { // the job id is given just before COMMIT (enqueueEffects)
		if err := db.queryRow(ctx, `SELECT job_id FROM file_checks WHERE submission_id = $1`, submissionID).Scan(&c.JobID); err != nil {
			return nil, false, fmt.Errorf("request file check: %w", err)
		}
	}
	return c, enqueued, nil
}

// deadCheckJob returns the job of the submission's pending check when that
// job can no longer run, else 0.
func (db *DB) deadCheckJob(ctx context.Context, submissionID string) (int64, error) {
	c, err := db.FileCheck(ctx, submissionID)
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if c.State != opendata.CheckPending || c.JobID == 0 {
		return 0, nil
	}
	list, err := db.JobStatuses(ctx, []int64{c.JobID})
	if err != nil {
		return 0, err
	}
	if len(list) == 1 && list[0].Live() {
		return 0, nil
	}
	return c.JobID, nil
}

// SaveFileCheck records what job c.JobID found, a final result or a failed
// attempt (state still pending), with its effects (opendata.FileCheckedEffects).
// It reports false, changing nothing, when a newer request has replaced that job.
func (db *DB) SaveFileCheck(ctx context.Context, c *opendata.FileCheck, effects ...opendata.Effect) (saved bool, err error) {
	args := []byte("{}")
	if len(c.ReasonArgs) > 0 {
		if args, err = json.Marshal(c.ReasonArgs); err != nil {
			return false, fmt.Errorf("save file check: %w", err)
		}
	}
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`UPDATE file_checks SET state = $3, checked_at = $4, attempts = $5, http_status = $6,
			size = $7, content_type = $8, sha256 = $9, format = $10, reason = $11, reason_code = $12, reason_args = $13
			WHERE submission_id = $1 AND job_id = $2`,
			c.SubmissionID, c.JobID, string(c.State), nullMicros(c.CheckedAt), c.Attempts, c.HTTPStatus,
			c.Size, c.ContentType, c.SHA256, c.Format, c.Reason, c.ReasonCode, string(args))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if saved = n == 1; err != nil || !saved {
			return err
		}
		return queueEffects(tx, c.SubmissionID, effects)
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
