package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// DuplicateError says that the project already has a submission with this file_id.
type DuplicateError struct {
	ExistingID string
}

func (e *DuplicateError) Error() string {
	return "duplicate file_id: existing submission " + e.ExistingID
}

// CreateSubmission stores a new submission with its first transition and
// that transition's effects (opendata.NewSubmission: the file check and the
// email to the contact) and, when given, the idempotent response to replay,
// all in one durable commit. A file_id the project already used is a
// *DuplicateError, unless that submission was withdrawn or rejected: the new
// one then replaces it (Replaces).
func (db *DB) CreateSubmission(ctx context.Context, s *opendata.Submission, replay *IdempotentResponse) error {
	fields, err := json.Marshal(s.Fields)
	if err != nil {
		return fmt.Errorf("create submission: %w", err)
	}
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(InsertSubmissionSQL, s.ID, opendata.NormProject(s.Project), s.Fields.FileID, s.KeyPrefix, string(s.State),
			opendata.NormEmail(s.Fields.EmailContact), fields, micros(s.CreatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if s.Replaces, err = retireFileID(tx, s); err != nil {
				return err
			}
			if _, err := tx.Exec(InsertSubmissionSQL, s.ID, opendata.NormProject(s.Project), s.Fields.FileID, s.KeyPrefix,
				string(s.State), opendata.NormEmail(s.Fields.EmailContact), fields, micros(s.CreatedAt)); err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE submissions SET replaces = $2 WHERE id = $1`, s.ID, s.Replaces); err != nil {
				return err
			}
		}
		tx.noteOwner(s.ID, eventOwner{opendata.NormProject(s.Project), s.KeyPrefix})
		for _, t := range s.History {
			if err := insertTransition(tx, s.ID, t); err != nil {
				return err
			}
			if err := queueEffects(tx, s.ID, t.Effects); err != nil {
				return err
			}
		}
		if replay != nil {
			return saveIdempotent(tx, replay)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create submission: %w", err)
	}
	return nil
}

// retireFileID frees the file_id of the project's submission that holds it,
// if that one was withdrawn or rejected (opendata.State.FileIDReusable), and
// returns its id; a live one is a *DuplicateError.
func retireFileID(tx *Tx, s *opendata.Submission) (string, error) {
	var id, state string
	if err := tx.QueryRow(`SELECT id, state FROM submissions WHERE project = $1 AND file_id = $2`+tx.db.dialect.forUpdate,
		opendata.NormProject(s.Project), s.Fields.FileID).Scan(&id, &state); err != nil {
		return "", err
	}
	if !opendata.State(state).FileIDReusable() {
		return "", &DuplicateError{ExistingID: id}
	}
	// Not a file_id any submission can have (those are printable): a control character starts it.
	_, err := tx.Exec(`UPDATE submissions SET file_id = $2 WHERE id = $1`, id, retiredFileID+s.ID)
	return id, err
}

// retiredFileID starts the file_id column of a submission whose file_id a
// newer one took (retireFileID); its metadata keeps the one it was sent with.
const retiredFileID = "\x1freplaced-by:"

func insertTransition(tx *Tx, id string, t opendata.Transition) error {
	_, err := tx.Exec(InsertTransitionSQL, id, string(t.From), string(t.To), t.Actor, t.Reason, micros(t.At))
	return err
}

const submissionColumns = `seq, id, project, key_prefix, state, fields, created_at, updated_at, replaces`

type rowScanner interface{ Scan(dest ...any) error }

// scanSubmission reads the submissionColumns of row.
func scanSubmission(row rowScanner) (*opendata.Submission, int64, error) {
	var r submissionRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, 0, err
	}
	s, err := r.value()
	return s, r.seq, err
}

// submissionRow receives the submissionColumns of a row (dest), then makes the submission of them (value).
type submissionRow struct {
	s                     opendata.Submission
	seq, created, updated int64
	state                 string
	fields                []byte
}

func (r *submissionRow) dest() []any {
	s := &r.s
	return []any{&r.seq, &s.ID, &s.Project, &s.KeyPrefix, &r.state, &r.fields, &r.created, &r.updated, &s.Replaces}
}

func (r *submissionRow) value() (*opendata.Submission, error) {
	s := r.s
	if err := json.Unmarshal(r.fields, &s.Fields); err != nil {
		return nil, fmt.Errorf("submission %s fields: %w", s.ID, err)
	}
	s.State, s.CreatedAt, s.UpdatedAt = opendata.State(r.state), fromMicros(r.created), fromMicros(r.updated)
	return &s, nil
}

// Submission returns a submission with its history; ENOTFOUND if there is none.
// One query reads both: a status lookup's main cost is its round trips.
func (db *DB) Submission(ctx context.Context, id string) (*opendata.Submission, error) {
	var r submissionRow
	var history string
	err := db.queryRow(ctx, `SELECT `+submissionColumns+`, `+db.dialect.history+`
		FROM submissions s WHERE id = $1`, id).Scan(append(r.dest(), &history)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no submission %s", id)
	} else if err != nil {
		return nil, fmt.Errorf("get submission: %w", err)
	}
	s, err := r.value()
	if err != nil {
		return nil, err
	}
	if s.History, err = decodeHistory(history); err != nil {
		return nil, fmt.Errorf("get submission %s: %w", id, err)
	}
	return s, nil
}

// decodeHistory reads the history column (dialect.history).
func decodeHistory(history string) ([]opendata.Transition, error) {
	var rows []struct {
		From   string `json:"f"`
		To     string `json:"t"`
		Actor  string `json:"a"`
		Reason string `json:"r"`
		At     int64  `json:"at"`
	}
	if err := json.Unmarshal([]byte(history), &rows); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	out := make([]opendata.Transition, len(rows))
	for i, r := range rows {
		out[i] = opendata.Transition{From: opendata.State(r.From), To: opendata.State(r.To), Actor: r.Actor,
			Reason: r.Reason, At: fromMicros(r.At)}
	}
	return out, nil
}

// SubmissionIDByFileID returns the id of the project's live submission with
// this file_id (not withdrawn or rejected), or "" when there is none.
func (db *DB) SubmissionIDByFileID(ctx context.Context, project, fileID string) (string, error) {
	var id string
	err := db.queryRow(ctx, `SELECT id FROM submissions WHERE project = $1 AND file_id = $2 AND state NOT IN ($3, $4)`,
		opendata.NormProject(project), fileID, string(opendata.StateWithdrawn), string(opendata.StateRejected)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("find submission: %w", err)
	}
	return id, nil
}

// Filter selects a project's submissions for a listing.
type Filter struct {
	Project string
	State   opendata.State // "" for any
	FileID  string         // "" for any
	Limit   int
	After   int64 // a cursor: only submissions older than this position
}

// Page is one page of a listing, newest first.
type Page struct {
	// Submissions are summaries: of the metadata only Fields.FileID is read,
	// and no history, which is what a listing shows and keeps its pages cheap.
	Submissions []*opendata.Submission
	Next        int64 // the cursor of the next page, 0 when this is the last
}

// summaryColumns are the columns of a listing's summaries (scanSummary);
// the metadata is read only for a submission whose file_id column was retired.
const summaryColumns = `seq, id, project, key_prefix, state, file_id, created_at, updated_at, replaces,
	CASE WHEN file_id LIKE '` + retiredFileID + `%' THEN fields ELSE '' END`

func scanSummary(row rowScanner) (*opendata.Submission, int64, error) {
	var s opendata.Submission
	var seq, created, updated int64
	var state, retired string
	if err := row.Scan(&seq, &s.ID, &s.Project, &s.KeyPrefix, &state, &s.Fields.FileID, &created, &updated, &s.Replaces, &retired); err != nil {
		return nil, 0, err
	}
	if retired != "" {
		var f struct {
			FileID string `json:"file_id"`
		}
		if err := json.Unmarshal([]byte(retired), &f); err != nil {
			return nil, 0, fmt.Errorf("submission %s fields: %w", s.ID, err)
		}
		s.Fields.FileID = f.FileID
	}
	s.State, s.CreatedAt, s.UpdatedAt = opendata.State(state), fromMicros(created), fromMicros(updated)
	return &s, seq, nil
}

// ListSubmissions returns a page of the project's submissions, newest first.
func (db *DB) ListSubmissions(ctx context.Context, f Filter) (*Page, error) {
	after := f.After
	if after <= 0 {
		after = 1<<63 - 1
	}
	// One condition per filter given, never "($n = '' OR col = $n)": SQLite
	// cannot use an index for that form, and would scan the project's rows.
	q := `SELECT ` + summaryColumns + ` FROM submissions WHERE project = $1 AND seq < $2`
	args := []any{opendata.NormProject(f.Project), after}
	if f.FileID != "" { // (project, file_id) is unique: one row at most
		args = append(args, f.FileID)
		q += fmt.Sprintf(` AND file_id = $%d`, len(args))
	}
	if f.State != "" {
		args = append(args, string(f.State))
		q += fmt.Sprintf(` AND state = $%d`, len(args))
	}
	args = append(args, f.Limit+1)
	rows, err := db.query(ctx, q+fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	defer rows.Close()
	page := &Page{}
	var last int64
	for rows.Next() {
		s, seq, err := scanSummary(rows)
		if err != nil {
			return nil, fmt.Errorf("list submissions: %w", err)
		}
		if len(page.Submissions) == f.Limit {
			page.Next = last
			break
		}
		page.Submissions = append(page.Submissions, s)
		last = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	return page, nil
}
