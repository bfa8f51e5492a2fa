package api

import (
	"context"
	"net/http"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// FileCheckView is a submission's file check as the status API shows it (SPEC §4).
type FileCheckView struct {
	State       opendata.CheckState `json:"state"`
	RequestedAt time.Time           `json:"requested_at"`
	CheckedAt   *time.Time          `json:"checked_at,omitempty"`
	HTTPStatus  int                 `json:"http_status,omitempty"`
	Size        int64               `json:"size,omitempty"`
	ContentType string              `json:"content_type,omitempty"`
	SHA256      string              `json:"sha256,omitempty"`
	Format      string              `json:"format,omitempty"`
	Reason      string              `json:"reason,omitempty"`
	ReasonCode  string              `json:"reason_code,omitempty"`
	ReasonArgs  map[string]string   `json:"reason_args,omitempty"`
	Attempts    int                 `json:"attempts"`
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

func fileCheckView(c *opendata.FileCheck) *FileCheckView {
	return &FileCheckView{State: c.State, RequestedAt: c.RequestedAt, CheckedAt: c.CheckedAt, HTTPStatus: c.HTTPStatus,
		Size: c.Size, ContentType: c.ContentType, SHA256: c.SHA256, Format: c.Format, Reason: c.Reason, ReasonCode: c.ReasonCode, ReasonArgs: c.ReasonArgs, Attempts: c.Attempts}
}

// addBackground adds the file check, the publication and the submission's
// recent file check jobs to its view. A failure to read the jobs, which the
// queue keeps, is logged and leaves them out.
func (s *Server) addBackground(ctx context.Context, v *SubmissionView, st *store.Status) {
	c := st.FileCheck
	if c != nil {
		v.FileCheck = fileCheckView(c)
	}
	if st.Publication != nil {
		v.Publication = publicationView(st.Publication)
	}
	list, err := s.db.JobStatuses(ctx, st.CheckJobIDs)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "could not read the submission's jobs", "err", err, "datahub_id", v.DatahubID)
		return
	}
	for _, j := range list {
		jv := JobView{Kind: j.Kind, State: j.State, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, ScheduledAt: j.ScheduledAt}
		if j.LastError != "" && c != nil && c.JobID == j.ID {
			jv.LastError = c.Reason // what the check found, as file_check shows it
		}
		v.Jobs = append(v.Jobs, jv)
	}
}

// checkFile handles POST /api/opendata/submissions/{id}/check: it runs the
// file check again, unless one is already pending. Another project's id is 404.
func (s *Server) checkFile(w http.ResponseWriter, r *http.Request, cl *auth.Client) {
	sub, err := s.ownSubmission(r, cl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, _, err := s.db.RequestFileCheck(r.Context(), sub.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, fileCheckView(c))
}
