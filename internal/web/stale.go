package web

import (
	"net/http"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// stalePage says that a form was sent from a page that is out of date: what
// the submission is now, who changed it last, and the way back.
type stalePage struct {
	Page
	Action  string // the action that was not taken, in words
	State   opendata.State
	By      string
	At      string
	Back    string
	Title   string
	Message string
}

// stale answers an action the submission's state no longer allows: the
// person's own earlier step (Back, then the button again) or someone else's.
func (s *Server) stale(w http.ResponseWriter, r *http.Request, v *viewer, sub *opendata.Submission, act opendata.Action) {
	p := stalePage{Page: s.newPage(w, r, v), State: sub.State, Back: flowPath(sub.ID)}
	p.Action = t(p.Lang, "action."+string(act))
	p.Title = titleIn(p.Lang, sub.Fields)
	if n := len(sub.History); n > 0 {
		last := sub.History[n-1]
		p.By, p.At = actorName(p.Lang, last.Actor), when(p.Lang, s.cfg.Location, last.At)
		if v.SignedIn() && last.Actor == editedBy(v.Actor, sub) {
			p.By = t(p.Lang, "stale.you")
		}
	}
	p.Message = t(p.Lang, "stale.message", "action", p.Action, "state", t(p.Lang, "state."+string(sub.State)))
	s.render(w, r, http.StatusConflict, "stale.html", &p)
}

// staleAfterRead reads the submission again after the store refused a step
// because someone moved it meanwhile, and says where it is now.
func (s *Server) staleAfterRead(w http.ResponseWriter, r *http.Request, v *viewer, id string, act opendata.Action) {
	sub, err := s.db.Submission(r.Context(), id)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.stale(w, r, v, sub, act)
}
