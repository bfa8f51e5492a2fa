package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// lockEditable reads the submission's fields in tx, locking its row, and
// checks that it is with its contact (in preparation or changes requested):
// ENOTFOUND when there is no such submission, ECONFLICT in any other state.
func lockEditable(tx *Tx, id string) (opendata.Fields, error) {
	var f opendata.Fields
	var state string
	var raw []byte
	err := tx.QueryRow(`SELECT state, fields FROM submissions WHERE id = $1`+tx.db.dialect.forUpdate, id).Scan(&state, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return f, opendata.Errorf(opendata.ENOTFOUND, "no submission %s", id)
	} else if err != nil {
		return f, err
	}
	if err := opendata.State(state).CheckEditable(); err != nil {
		return f, err
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("submission %s fields: %w", id, err)
	}
	return f, nil
}

// ApprovalForm returns the submission's approval form as last saved; saved is
// false (and the form empty) when none was.
func (db *DB) ApprovalForm(ctx context.Context, id string) (f opendata.ApprovalForm, saved bool, err error) {
	var raw []byte
	err = db.queryRow(ctx, `SELECT form FROM approval_forms WHERE submission_id = $1`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	} else if err != nil {
		return f, false, fmt.Errorf("get approval form: %w", err)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, false, fmt.Errorf("get approval form %s: %w", id, err)
	}
	return f, true, nil
}

// SaveApprovalForm keeps the form as given, complete or not, while the
// submission is with its contact (ENOTFOUND, ECONFLICT otherwise).
func (db *DB) SaveApprovalForm(ctx context.Context, id string, f opendata.ApprovalForm, by string) error {
	raw, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("save approval form: %w", err)
	}
	err = db.update(ctx, func(tx *Tx) error {
		if _, err := lockEditable(tx, id); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO approval_forms (submission_id, form, updated_at, updated_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (submission_id) DO UPDATE SET form = excluded.form, updated_at = excluded.updated_at,
				updated_by = excluded.updated_by`, id, string(raw), micros(db.now()), by)
		return err
	})
	if err != nil {
		return fmt.Errorf("save approval form: %w", err)
	}
	return nil
}

// UpdateFields replaces the submission's metadata while it is with its
// contact (ENOTFOUND, ECONFLICT otherwise). The file_id names the submission
// for its API client and cannot change (EINVALID). A new file_url makes the
// file check pending again and enqueues it, in the same transaction.
func (db *DB) UpdateFields(ctx context.Context, id string, f opendata.Fields, by string) error {
	raw, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("update fields: %w", err)
	}
	err = db.update(ctx, func(tx *Tx) error {
		cur, err := lockEditable(tx, id)
		if err != nil {
			return err
		}
		if f.FileID != cur.FileID {
			return opendata.Errorf(opendata.EINVALID, "the file_id of a submission cannot change (it is %q)", cur.FileID)
		}
		if _, err := tx.Exec(`UPDATE submissions SET fields = $2, email_contact = $3, updated_at = $4, updated_by = $5
			WHERE id = $1`, id, string(raw), opendata.NormEmail(f.EmailContact), micros(db.now()), by); err != nil {
			return err
		}
		return queueEffects(tx, id, opendata.EditEffects(cur, f))
	})
	if err != nil {
		return fmt.Errorf("update fields: %w", err)
	}
	return nil
}

// ApplyTransition records t, which opendata.Submission.Apply decided, if the
// submission is still in t.From, and enqueues its effects in the same
// transaction. Of concurrent transitions from one state exactly one wins; the
// others get ECONFLICT (ENOTFOUND when there is no such submission).
func (db *DB) ApplyTransition(ctx context.Context, id string, t opendata.Transition) error {
	if !t.From.Valid() || !t.To.Valid() {
		return opendata.Errorf(opendata.EINVALID, "apply transition: unknown state in %q → %q", t.From, t.To)
	}
	if err := db.update(ctx, func(tx *Tx) error { return applyTransition(tx, id, t) }); err != nil {
		return fmt.Errorf("apply transition: %w", err)
	}
	return nil
}

// applyTransition records t in tx if the submission is still in t.From, and queues its effects.
func applyTransition(tx *Tx, id string, t opendata.Transition) error {
	res, err := tx.Exec(`UPDATE submissions SET state = $3, updated_at = $4, updated_by = $5 WHERE id = $1 AND state = $2`,
		id, string(t.From), string(t.To), micros(t.At), t.Actor)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return missingOrChanged(tx, id)
	}
	if err := insertTransition(tx, id, t); err != nil {
		return err
	}
	return queueEffects(tx, id, t.Effects)
}

// missingOrChanged tells why a conditional update of a submission found no row.
func missingOrChanged(tx *Tx, id string) error {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM submissions WHERE id = $1`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return opendata.Errorf(opendata.ENOTFOUND, "no submission %s", id)
	}
	return opendata.Errorf(opendata.ECONFLICT, "the submission changed meanwhile; reload the page")
}

// SubmissionsByContact returns up to limit submissions whose contact is
// email (compared in normal form, opendata.NormEmail), newest first, without their history.
func (db *DB) SubmissionsByContact(ctx context.Context, email string, limit int) ([]*opendata.Submission, error) {
	out, err := db.listSubmissions(ctx, `SELECT `+submissionColumns+` FROM submissions
		WHERE email_contact = $1 ORDER BY seq DESC LIMIT $2`, opendata.NormEmail(email), limit)
	if err != nil {
		return nil, fmt.Errorf("submissions by contact: %w", err)
	}
	return out, nil
}

// PendingApproval returns up to limit submissions waiting for approval,
// oldest first, without their history: of every project when all is true (a
// global approver), else of these projects.
func (db *DB) PendingApproval(ctx context.Context, projects []string, all bool, limit int) ([]*opendata.Submission, error) {
	q := `SELECT ` + submissionColumns + ` FROM submissions WHERE state = $1`
	args := []any{string(opendata.StatePendingApproval)}
	if !all {
		if len(projects) == 0 {
			return nil, nil
		}
		marks := make([]string, len(projects))
		for i, p := range projects {
			args = append(args, opendata.NormProject(p))
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND project IN (` + strings.Join(marks, ", ") + `)`
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args))
	out, err := db.listSubmissions(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pending approval: %w", err)
	}
	return out, nil
}

func (db *DB) listSubmissions(ctx context.Context, q string, args ...any) ([]*opendata.Submission, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opendata.Submission
	for rows.Next() {
		s, _, err := scanSubmission(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
