package web

import (
	"net/http"
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// listLimit bounds the lists of submissions; a page that reaches it says so.
const listLimit = 200

func (s *Server) registerLists(mux Router) {
	mux.HandleFunc("GET /submissions", s.signedIn(s.mySubmissions))
	mux.HandleFunc("GET /queue", s.signedIn(s.queue))
}

// listRow is one submission in a list, in the page's language.
type listRow struct {
	ID      string
	Title   string
	Project string
	Contact string
	State   opendata.State
	Changed time.Time // the last change; in the queue, when it was sent for approval
}

type listPage struct {
	Page
	Rows  []listRow
	Limit int
	Full  bool // the list reached Limit: older entries are not shown
}

func newListPage(p Page, subs []*opendata.Submission) listPage {
	lp := listPage{Page: p, Limit: listLimit, Full: len(subs) >= listLimit, Rows: make([]listRow, 0, len(subs))}
	for _, sub := range subs {
		title := sub.Fields.TitleEN
		if p.Lang == i18n.FR {
			title = sub.Fields.TitleFR
		}
		if title == "" { // a link needs text
			title = sub.Fields.FileName
		}
		lp.Rows = append(lp.Rows, listRow{ID: sub.ID, Title: title, Project: sub.Project,
			Contact: sub.Fields.EmailContact, State: sub.State, Changed: sub.UpdatedAt})
	}
	return lp
}

// mySubmissions lists the submissions whose contact is the viewer, newest first.
func (s *Server) mySubmissions(w http.ResponseWriter, r *http.Request, v *viewer) {
	subs, err := s.db.SubmissionsByContact(r.Context(), v.Actor.Email, listLimit)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p := newListPage(s.newPage(w, r, v), subs)
	s.render(w, r, http.StatusOK, "submissions.html", &p)
}

// queue lists the submissions waiting for the viewer's approval, oldest first.
// Only approvers have a queue; admins approve only when granted the role too.
func (s *Server) queue(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.Actor.Approver && len(v.Actor.ApproverOf) == 0 {
		key := "error.forbidden_queue"
		if v.Actor.IsAdmin() {
			key = "error.forbidden_queue_admin"
		}
		s.fail(w, r, v, http.StatusForbidden, key)
		return
	}
	subs, err := s.db.PendingApproval(r.Context(), v.Actor.ApproverOf, v.Actor.Approver, listLimit)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p := newListPage(s.newPage(w, r, v), subs)
	s.render(w, r, http.StatusOK, "queue.html", &p)
}
