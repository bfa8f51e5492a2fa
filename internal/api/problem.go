package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Code      string         `json:"code,omitempty"`
	Errors    []FieldProblem `json:"errors,omitempty"`
	DatahubID string         `json:"datahub_id,omitempty"` // with a duplicate file_id
	FlowURL   string         `json:"flow_url,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
}

// FieldProblem is one problem with one field.
type FieldProblem struct {
	Field      string   `json:"field"`
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	Allowed    []string `json:"allowed,omitempty"`
	Suggestion string   `json:"suggestion,omitempty"`
	DatahubID  string   `json:"datahub_id,omitempty"`
	FlowURL    string   `json:"flow_url,omitempty"`
}

const (
	contentJSON    = "application/json; charset=utf-8"
	contentProblem = "application/problem+json; charset=utf-8"
)

// newProblem builds a problem whose title and detail are in the reader's language.
func newProblem(r *http.Request, status int, code string, args ...string) *Problem {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	return &Problem{
		Type:   "urn:datahub:problem:" + code,
		Title:  i18n.T(lang, "problem."+code+".title"),
		Status: status,
		Detail: i18n.T(lang, "problem."+code+".detail", args...),
		Code:   code,
	}
}

// writeProblem sends a problem with the given status and code.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, code string, args []string) {
	sendProblem(w, newProblem(r, status, code, args...))
}

// sendProblem sends p naming the request id, so a report can be found in the logs.
func sendProblem(w http.ResponseWriter, p *Problem) {
	if p.RequestID == "" {
		p.RequestID = RequestID(w)
	}
	body, _ := json.Marshal(p)
	writeBody(w, p.Status, contentProblem, body)
}

// fieldProblems renders validation problems in the reader's language.
func fieldProblems(lang i18n.Lang, errs []opendata.FieldError) []FieldProblem {
	out := make([]FieldProblem, len(errs))
	for i, fe := range errs {
		out[i] = FieldProblem{Field: fe.Field, Code: fe.Code, Message: i18n.FieldError(lang, fe), Suggestion: fe.Suggestion}
		if fe.Code == opendata.CodeInvalidChoice || fe.Reason == opendata.ReasonEmailDomain {
			out[i].Allowed = fe.Allowed
		}
	}
	return out
}

// invalid builds the 400 problem for a rejected submission or query.
func invalid(r *http.Request, code string, errs []FieldProblem) *Problem {
	p := newProblem(r, http.StatusBadRequest, code, "count", strconv.Itoa(len(errs)))
	p.Errors = errs
	return p
}

// errorProblems is the one table from the domain's error codes
// (opendata.Error) to the API's statuses and problem codes; any other error
// is a 500 (serverError). A submission of another project is not found, never forbidden.
// The store's faults (store.Fault) are a 503 the client may retry and a 507.
var errorProblems = map[string]struct {
	status int
	code   string
}{
	opendata.ENOTFOUND:    {http.StatusNotFound, "not_found"},
	opendata.EFORBIDDEN:   {http.StatusNotFound, "not_found"},
	opendata.EUNAVAILABLE: {http.StatusServiceUnavailable, "unavailable"},
	opendata.ESTORAGEFULL: {http.StatusInsufficientStorage, "storage_full"},
}

// retryAfterFault is the Retry-After, in seconds, of a 503 for a store fault:
// long enough for a database restart or a failover to be under way.
const retryAfterFault = "5"

// fail answers err with its problem from errorProblems.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if !s.faultProblem(w, r, err) {
		s.serverError(w, r, err)
	}
}

// faultProblem answers err when errorProblems knows its code, and says whether it did.
func (s *Server) faultProblem(w http.ResponseWriter, r *http.Request, err error) bool {
	err = store.Fault(err)
	code := opendata.ErrorCode(err)
	p, ok := errorProblems[code]
	if !ok {
		return false
	}
	if code == opendata.EUNAVAILABLE || code == opendata.ESTORAGEFULL {
		s.cfg.Logger.WarnContext(r.Context(), "request refused: storage fault", "err", err,
			"request_id", RequestID(w), "method", r.Method, "path", r.URL.Path)
	}
	if p.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterFault)
	}
	writeProblem(w, r, p.status, p.code, nil)
	return true
}

// serverError logs an unexpected error and sends a 500 naming the request id;
// a store fault is answered as such, whichever handler met it.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if code := opendata.ErrorCode(store.Fault(err)); code == opendata.EUNAVAILABLE || code == opendata.ESTORAGEFULL {
		s.faultProblem(w, r, err)
		return
	}
	s.cfg.Logger.ErrorContext(r.Context(), "request failed", "err", err, "request_id", RequestID(w),
		"method", r.Method, "path", r.URL.Path)
	writeProblem(w, r, http.StatusInternalServerError, "internal", nil)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding error", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, contentJSON, body)
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// sendInvalid answers 400 with one problem on one field of a request other
// than a submission: problem bad_query for a query parameter, bad_request for the body.
func (s *Server) sendInvalid(w http.ResponseWriter, r *http.Request, problem, field, code, key string, pairs ...string) {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	sendProblem(w, invalid(r, problem, []FieldProblem{{Field: field, Code: code, Message: i18n.T(lang, key, pairs...)}}))
}
