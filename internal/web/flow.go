package web

import (
	"net/http"
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

type flowPage struct {
	Page
	Submission *opendata.Submission
	Title      string
	Next       string
}

// flow shows a submission's state and what happens next, to whoever has its flow_url.
func (s *Server) flow(w http.ResponseWriter, r *http.Request) {
	page := flowPage{Page: newPage(w, r)}
	sub, err := s.db.Submission(r.Context(), r.PathValue("id"))
	status := http.StatusOK
	switch {
	case opendata.ErrorCode(err) == opendata.ENOTFOUND:
		status = http.StatusNotFound
	case err != nil:
		s.internalError(w, r, err)
		return
	default:
		page.Submission = sub
		page.Title = sub.Fields.TitleEN
		if page.Lang == i18n.FR {
			page.Title = sub.Fields.TitleFR
		}
		page.Next = i18n.T(page.Lang, "flow.next."+string(sub.State))
		page.Modified = sub.UpdatedAt.UTC().Format(time.DateOnly)
	}
	s.render(w, r, status, "flow.html", &page)
}
