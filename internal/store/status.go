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

// Status is what a submission's status answer is made of, read at once.
type Status struct {
	Submission  *opendata.Submission // with its history
	FileCheck   *opendata.FileCheck  // nil when it has none
	Publication *opendata.Publication
	CheckJobIDs []int64 // its newest file check jobs, newest first
}

// The file check's and the publication's columns as a LEFT JOIN gives them:
// NULL columns made zero values, so that their scanners read them; the
// joined row's key, read first, says whether there is one.
const (
	joinedFileCheck = `fc.submission_id IS NOT NULL, coalesce(fc.submission_id, ''), coalesce(fc.state, ''),
		coalesce(fc.requested_at, 0), fc.checked_at, coalesce(fc.attempts, 0), coalesce(fc.http_status, 0),
		coalesce(fc.size, 0), coalesce(fc.content_type, ''), coalesce(fc.sha256, ''), coalesce(fc.format, ''),
		coalesce(fc.reason, ''), coalesce(fc.job_id, 0), coalesce(fc.reason_code, ''), coalesce(fc.reason_args, '')`
	joinedPublication = `p.submission_id IS NOT NULL, coalesce(p.submission_id, ''), coalesce(p.dry_run, 0),
		coalesce(p.target, ''), coalesce(p.registry_id, ''), coalesce(p.registry_url, ''), coalesce(p.attempts, 0),
		p.last_attempt_at, coalesce(p.last_error, ''), coalesce(p.errors, '[]'), coalesce(p.payload, ''),
		p.published_at, p.unpublished_at`
)

// qualifiedSubmissionColumns are the submissionColumns of the submissions aliased s.
var qualifiedSubmissionColumns = "s." + strings.Join(strings.Split(submissionColumns, ", "), ", s.")

// SubmissionStatus reads a submission with its history, its file check, its
// publication and the ids of its newest file check jobs (at most jobs) in one
// query: the status lookup is the API's most frequent read, and its cost was
// its round trips. ENOTFOUND if there is no such submission.
func (db *DB) SubmissionStatus(ctx context.Context, id string, jobs int) (*Status, error) {
	var sr submissionRow
	var fr fileCheckRow
	var pr publicationRow
	var history, jobIDs string
	var hasCheck, hasPublication bool
	dest := append(sr.dest(), &history, &hasCheck)
	dest = append(append(dest, fr.dest()...), &hasPublication)
	dest = append(append(dest, pr.dest()...), &jobIDs)
	err := db.queryRow(ctx, `SELECT `+qualifiedSubmissionColumns+`, `+db.dialect.history+`, `+joinedFileCheck+`, `+joinedPublication+`,
		`+db.dialect.checkJobIDs+`
		FROM submissions s LEFT JOIN file_checks fc ON fc.submission_id = s.id LEFT JOIN publications p ON p.submission_id = s.id
		WHERE s.id = $1`, id, string(opendata.EffectCheckFile)).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no submission %s", id)
	} else if err != nil {
		return nil, fmt.Errorf("submission status: %w", err)
	}
	st := &Status{}
	if st.Submission, err = sr.value(); err != nil {
		return nil, err
	}
	if st.Submission.History, err = decodeHistory(history); err != nil {
		return nil, fmt.Errorf("submission status %s: %w", id, err)
	}
	if hasCheck {
		if st.FileCheck, err = fr.value(); err != nil {
			return nil, err
		}
	}
	if hasPublication {
		if st.Publication, err = pr.value(); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal([]byte(jobIDs), &st.CheckJobIDs); err != nil {
		return nil, fmt.Errorf("submission status %s: job ids: %w", id, err)
	}
	if len(st.CheckJobIDs) > jobs {
		st.CheckJobIDs = st.CheckJobIDs[:jobs]
	}
	return st, nil
}
