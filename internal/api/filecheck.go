package api

import (
	"context"
	"net/http"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// JobReader reads background jobs' state for the status view; *jobs.Queue is one.
type JobReader interface {
	Statuses(ctx context.Context, ids []int64) ([]jobs.Status, error)
}

// FileCheckView is a submission's file check as the status API shows it (SPEC §4).
type FileCheckView struct {
	State       store.CheckState `json:"state"`
	RequestedAt time.Time        `json:"requested_at"`
	CheckedAt   *time.Time       `json:"checked_at,omitempty"`
	HTTPStatus  int              `json:"http_status,omitempty"`
	Size        int64            `json:"size,omitempty"`
	ContentType string           `json:"content_type,omitempty"`
	SHA256      string           `json:"sha256,omitempty"`
	Format      string           `json:"format,omitempty"`
	Reason      string           `json:"reason,omitempty"`
	Attempts    int              `json:"attempts"`
}

// JobView is a file check job of the submission, as the status API shows it.
// Other jobs (email) are not the client's: their errors can name mail servers
// and recipients, and stay in the logs and `datahub jobs list`.
type JobView struct {
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   string    `json:"last_error,omitempty"` // the check's reason, never the worker's own error
	ScheduledAt time.Time `json:"scheduled_at"`
}

// jobsShown bounds the jobs listed in a submission's status.
const jobsShown = 10

func fileCheckView(c *store.FileCheck) *FileCheckView {
	return &FileCheckView{State: c.State, RequestedAt: c.RequestedAt, CheckedAt: c.CheckedAt, HTTPStatus: c.HTTPStatus,
		Size: c.Size, ContentType: c.ContentType, SHA256: c.SHA256, Format: c.Format, Reason: c.Reason, Attempts: c.Attempts}
}

// addBackground adds the file check and the submission's recent file check
// jobs to its view. A failure to read the jobs is logged and leaves them out.
func (s *Server) addBackground(ctx context.Context, v *SubmissionView) error {
	c, err := s.db.FileCheck(ctx, v.DatahubID)
	switch {
	case err == nil:
		v.FileCheck = fileCheckView(c)
	case opendata.ErrorCode(err) != opendata.ENOTFOUND:
		return err
	}
	if s.cfg.Jobs == nil {
		return nil
	}
	ids, err := s.db.SubmissionJobIDs(ctx, v.DatahubID, jobsShown)
	if err != nil {
		return err
	}
	list, err := s.cfg.Jobs.Statuses(ctx, ids)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "could not read the submission's jobs", "err", err, "datahub_id", v.DatahubID)
		return nil
	}
	for _, j := range list {
		if j.Kind != store.KindFileCheck {
			continue
		}
		jv := JobView{Kind: j.Kind, State: j.State, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, ScheduledAt: j.ScheduledAt}
		if j.LastError != "" && c != nil && c.JobID == j.ID {
			jv.LastError = c.Reason // what the check found, as file_check shows it
		}
		v.Jobs = append(v.Jobs, jv)
	}
	return nil
}

// checkFile handles POST /api/opendata/submissions/{id}/check: it runs the
// file check again, unless one is already pending. Another project's id is 404.
func (s *Server) checkFile(w http.ResponseWriter, r *http.Request, cl *auth.Client) {
	ctx := r.Context()
	sub, err := s.db.Submission(ctx, r.PathValue("id"))
	switch {
	case opendata.ErrorCode(err) == opendata.ENOTFOUND || (err == nil && sub.Project != cl.Project):
		writeProblem(w, r, http.StatusNotFound, "not_found", nil)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	dead, err := s.deadPendingJob(ctx, sub.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	c, _, err := s.db.RequestFileCheck(ctx, sub.ID, dead)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, fileCheckView(c))
}

// deadPendingJob returns the job of a pending check when that job can no
// longer run (finished, given up or deleted without saving a result, as when
// its replica died on the last attempt), so that a new request replaces it.
func (s *Server) deadPendingJob(ctx context.Context, id string) (*int64, error) {
	c, err := s.db.FileCheck(ctx, id)
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if c.State != store.CheckPending || s.cfg.Jobs == nil {
		return nil, nil
	}
	list, err := s.cfg.Jobs.Statuses(ctx, []int64{c.JobID})
	if err != nil {
		return nil, err
	}
	if len(list) == 1 && list[0].Live() {
		return nil, nil
	}
	return &c.JobID, nil
}
