package opendata

import "time"

// CheckState is the state of a file check (SPEC §4).
type CheckState string

// The file check states.
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
	Format       string            // CKAN format code
	Reason       string            // why it did not pass, or why the last attempt failed while pending, in English
	ReasonCode   string            // the same as a stable code (the file check's list); "" for checks saved before codes
	ReasonArgs   map[string]string // the code's arguments (status, host, limit, …)
	JobID        int64             // the job running this request; 0 when none was enqueued
}

// Passed reports whether the check found the file fit to publish.
func (c *FileCheck) Passed() bool { return c != nil && c.State == CheckPassed }
