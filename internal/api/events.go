package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// EventList is one page of a project's events feed.
type EventList struct {
	Events []opendata.Event `json:"events"`
	Next   string           `json:"next"` // the cursor to ask with next: the last event's id, or the one asked with
}

// maxEventWait bounds a long poll; pollEvery is how often it looks.
const (
	maxEventWait = 60 * time.Second
	pollEvery    = 250 * time.Millisecond
)

// listEvents handles GET /api/opendata/events?after=&limit=&wait=: the key's
// project's events after the cursor, oldest first; with wait, the request is
// held until an event comes or the time passes (long poll).
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	q := r.URL.Query()
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	var errs []FieldProblem
	bad := func(field, key string, pairs ...string) {
		errs = append(errs, FieldProblem{Field: field, Code: opendata.CodeInvalidFormat, Message: i18n.T(lang, key, pairs...)})
	}
	after, err := opendata.EventSeq(q.Get("after"))
	if err != nil {
		bad("after", "query.after")
	}
	limit := defaultPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxEventsPage {
			bad("limit", "query.limit", "max", strconv.Itoa(store.MaxEventsPage))
		}
		limit = n
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if n, nerr := strconv.Atoi(v); nerr == nil { // plain seconds
			d, err = time.Duration(n)*time.Second, nil
		}
		if err != nil || d < 0 || d > maxEventWait {
			bad("wait", "query.wait", "max", strconv.Itoa(int(maxEventWait.Seconds())))
		}
		wait = d
	}
	if len(errs) > 0 {
		sendProblem(w, invalid(r, "bad_query", errs))
		return
	}
	events, err := s.db.Events(r.Context(), c.Project, after, limit)
	if len(events) == 0 && err == nil && wait > 0 {
		events, err = s.waitEvents(r, c.Project, after, limit, wait)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := q.Get("after")
	if n := len(events); n > 0 {
		next = events[n-1].ID
	}
	writeJSON(w, http.StatusOK, EventList{Events: events, Next: next})
}

// waitEvents looks for events every pollEvery until some come, wait passes or the client leaves.
func (s *Server) waitEvents(r *http.Request, project string, after int64, limit int, wait time.Duration) ([]opendata.Event, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return []opendata.Event{}, nil
		case <-deadline.C:
			return []opendata.Event{}, nil
		case <-tick.C:
			events, err := s.db.Events(r.Context(), project, after, limit)
			if err != nil || len(events) > 0 {
				return events, err
			}
		}
	}
}
