package store

// The statements CreateSubmission runs, exported so that the raw-insert
// ceiling (bench/rawinsert) writes the very rows the service writes.
const (
	// InsertSubmissionSQL: id, project, file_id, key_prefix, state, email_contact, fields, created_at (= updated_at).
	InsertSubmissionSQL = `INSERT INTO submissions (id, project, file_id, key_prefix, state, email_contact, fields, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (project, file_id) DO NOTHING`
	// InsertTransitionSQL: submission_id, from_state, to_state, actor, reason, at.
	InsertTransitionSQL = `INSERT INTO transitions (submission_id, from_state, to_state, actor, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6)`
	// InsertFileCheckSQL: submission_id, state, requested_at, job_id; it makes
	// a finished check pending again.
	InsertFileCheckSQL = `INSERT INTO file_checks (submission_id, state, requested_at, job_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (submission_id) DO UPDATE SET state = excluded.state, requested_at = excluded.requested_at,
			checked_at = NULL, attempts = 0, http_status = 0, size = 0, content_type = '', sha256 = '', format = '',
			reason = '', reason_code = '', reason_args = '{}', job_id = excluded.job_id`
	// InsertSubmissionJobSQL: submission_id, job_id, kind, created_at.
	InsertSubmissionJobSQL = `INSERT INTO submission_jobs (submission_id, job_id, kind, created_at) VALUES ($1, $2, $3, $4)`
)
