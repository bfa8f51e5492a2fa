package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// SubmissionView is a submission as the status API shows it.
type SubmissionView struct {
	DatahubID   string                `json:"datahub_id"`
	Project     string                `json:"project"`
	FileID      string                `json:"file_id"`
	State       opendata.State        `json:"state"`
	FlowURL     string                `json:"flow_url"`
	CreatedAt   time.Time             `json:"created_at"`
	UpdatedAt   time.Time             `json:"updated_at"`
	Metadata    *opendata.Fields      `json:"metadata,omitempty"`
	History     []opendata.Transition `json:"history,omitempty"`
	FileCheck   *FileCheckView        `json:"file_check,omitempty"`
	Publication *PublicationView      `json:"publication,omitempty"`
	Replaces    string                `json:"replaces,omitempty"` // the withdrawn or rejected submission of the same file_id
	Jobs        []JobView             `json:"jobs,omitempty"`
}

// PublicationView is what was done to put the submission on the registry, or
// in dry run what would be sent (SPEC §5), once it is approved.
type PublicationView struct {
	DryRun        bool                     `json:"dry_run"`
	RegistryID    string                   `json:"registry_id,omitempty"`
	RegistryURL   string                   `json:"registry_url,omitempty"`
	Attempts      int                      `json:"attempts"`
	LastAttemptAt *time.Time               `json:"last_attempt_at,omitempty"`
	LastError     string                   `json:"last_error,omitempty"`
	Errors        []opendata.RegistryError `json:"errors"`
	Payload       json.RawMessage          `json:"payload,omitempty"`
	PublishedAt   *time.Time               `json:"published_at,omitempty"`
	UnpublishedAt *time.Time               `json:"unpublished_at,omitempty"`
}

func publicationView(p *opendata.Publication) *PublicationView {
	v := &PublicationView{DryRun: p.DryRun, RegistryID: p.RegistryID, RegistryURL: p.RegistryURL, Attempts: p.Attempts,
		LastAttemptAt: p.LastAttemptAt, LastError: p.LastError, Errors: p.Errors, PublishedAt: p.PublishedAt,
		UnpublishedAt: p.UnpublishedAt}
	if v.Errors == nil {
		v.Errors = []opendata.RegistryError{}
	}
	if json.Valid(p.Payload) {
		v.Payload = p.Payload
	}
	return v
}

// SubmissionList is one page of a project's submissions.
type SubmissionList struct {
	Items      []SubmissionView `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

func (s *Server) view(sub *opendata.Submission, full bool) SubmissionView {
	v := SubmissionView{
		DatahubID: sub.ID, Project: sub.Project, FileID: sub.Fields.FileID, State: sub.State,
		FlowURL: s.FlowURL(sub.ID), CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt,
	}
	if full {
		v.Metadata, v.History, v.Replaces = &sub.Fields, sub.History, sub.Replaces
	}
	return v
}

// getSubmission handles GET /api/opendata/submissions/{id}; another project's id is 404.
func (s *Server) getSubmission(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	st, err := s.db.SubmissionStatus(r.Context(), r.PathValue("id"), jobsShown)
	if err == nil && st.Submission.Project != c.Project {
		err = opendata.Errorf(opendata.ENOTFOUND, "no submission %s in project %s", st.Submission.ID, c.Project)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(st.Submission, true)
	s.addBackground(r.Context(), &v, st)
	writeJSON(w, http.StatusOK, v)
}

// ownSubmission reads the submission the path's {id} names, if it is of the
// key's project: another project's is ENOTFOUND, so a key learns nothing of it.
func (s *Server) ownSubmission(r *http.Request, c *auth.Client) (*opendata.Submission, error) {
	sub, err := s.db.Submission(r.Context(), r.PathValue("id"))
	if err == nil && sub.Project != c.Project {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no submission %s in project %s", sub.ID, c.Project)
	}
	return sub, err
}

const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// listSubmissions handles GET /api/opendata/submissions?state=&file_id=&limit=&cursor=.
func (s *Server) listSubmissions(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	q := r.URL.Query()
	f := store.Filter{Project: c.Project, State: opendata.State(q.Get("state")), FileID: q.Get("file_id"), Limit: defaultPageSize}
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	var errs []FieldProblem
	bad := func(field, code, key string, pairs ...string) {
		errs = append(errs, FieldProblem{Field: field, Code: code, Message: i18n.T(lang, key, pairs...)})
	}
	if f.State != "" && !f.State.Valid() {
		states := make([]string, len(opendata.States))
		for i, st := range opendata.States {
			states[i] = string(st)
		}
		bad("state", opendata.CodeInvalidChoice, "field.invalid_choice", "field", "state", "value", string(f.State), "allowed", strings.Join(states, ", "))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			bad("limit", opendata.CodeInvalidFormat, "query.limit", "max", strconv.Itoa(maxPageSize))
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		seq, ok := decodeCursor(v)
		if !ok {
			bad("cursor", opendata.CodeInvalidFormat, "query.cursor")
		}
		f.After = seq
	}
	if len(errs) > 0 {
		sendProblem(w, invalid(r, "bad_query", errs))
		return
	}
	page, err := s.db.ListSubmissions(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := SubmissionList{Items: make([]SubmissionView, 0, len(page.Submissions))}
	for _, sub := range page.Submissions {
		out.Items = append(out.Items, s.view(sub, false))
	}
	if page.Next > 0 {
		out.NextCursor = encodeCursor(page.Next)
	}
	writeJSON(w, http.StatusOK, out)
}

// Cursors are opaque to clients; they wrap a position in the listing.
func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("s" + strconv.FormatInt(seq, 10)))
}

func decodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 's' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[1:]), 10, 64)
	return n, err == nil && n > 0
}
