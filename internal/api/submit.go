package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// statusClientClosed records, in metrics and logs, a request whose client left
// before it was answered (the code proxies use for it).
const statusClientClosed = 499

type submitted struct {
	DatahubID string `json:"datahub_id"`
	FlowURL   string `json:"flow_url"`
}

// submit handles POST /api/opendata/submit.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	body, ok := s.readJSON(w, r)
	if !ok {
		return
	}
	idem, ok := idempotencyKey(r.Header)
	if !ok {
		writeProblem(w, r, http.StatusBadRequest, "idem_bad", nil)
		return
	}
	if idem == "" {
		status, resp, err := s.createSubmission(r, c, body, nil)
		s.finishSubmit(w, r, status, resp, err)
		return
	}
	slot := c.Prefix + "\x00" + idem
	if _, busy := s.inflight.LoadOrStore(slot, struct{}{}); busy {
		writeProblem(w, r, http.StatusConflict, "idem_running", nil)
		return
	}
	defer s.inflight.Delete(slot)
	sum := sha256.Sum256(body)
	prev, err := s.db.IdempotentResponse(r.Context(), c.Prefix, idem)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if prev != nil {
		s.replay(w, r, prev, sum[:])
		return
	}
	rec := &store.IdempotentResponse{KeyPrefix: c.Prefix, Key: idem, BodySHA256: sum[:]}
	status, resp, err := s.createSubmission(r, c, body, rec)
	if err == nil && status != http.StatusOK {
		// Rejections are recorded too, so a retry gets the same answer.
		rec.Status, rec.Body = status, resp
		if held, saveErr := s.db.SaveIdempotentResponse(r.Context(), rec); saveErr != nil {
			err = saveErr
		} else if held != nil && !bytes.Equal(held.Body, resp) {
			s.replay(w, r, held, sum[:])
			return
		}
	}
	s.finishSubmit(w, r, status, resp, err)
}

// validate handles POST /api/opendata/validate: the submit body checked
// exactly as submit checks it, answered as submit would answer a problem
// (duplicate included), or 200 {"valid": true}; nothing is stored or enqueued.
func (s *Server) validate(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	body, ok := s.readJSON(w, r)
	if !ok {
		return
	}
	status, resp, err := s.checkSubmission(r, c, body)
	if err == nil && status == http.StatusOK {
		resp, err = json.Marshal(map[string]bool{"valid": true})
	}
	s.finishSubmit(w, r, status, resp, err)
}

// readJSON reads a submit body: application/json (any charset) or no Content-Type, at most MaxBodyBytes.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeProblem(w, r, http.StatusUnsupportedMediaType, "media_type", nil)
			return nil, false
		}
	}
	return s.readBody(w, r)
}

func (s *Server) finishSubmit(w http.ResponseWriter, r *http.Request, status int, resp []byte, err error) {
	if err != nil && r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		// The client went away before the write finished; a retry with the same
		// Idempotency-Key or file_id tells it what became of it.
		s.cfg.Logger.DebugContext(r.Context(), "client closed the request", "request_id", RequestID(w))
		w.WriteHeader(statusClientClosed)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeBody(w, status, contentTypeFor(status), resp)
}

func contentTypeFor(status int) string {
	if status == http.StatusOK {
		return contentJSON
	}
	return contentProblem
}

// replay answers a repeated Idempotency-Key: the recorded response for the same
// body, 422 for another body.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, prev *store.IdempotentResponse, sum []byte) {
	if !bytes.Equal(prev.BodySHA256, sum) {
		writeProblem(w, r, http.StatusUnprocessableEntity, "idem_mismatch", nil)
		return
	}
	s.metrics.submissions.WithLabelValues("replayed").Inc()
	w.Header().Set("Idempotent-Replayed", "true")
	writeBody(w, prev.Status, contentTypeFor(prev.Status), prev.Body)
}

// readBody reads at most MaxBodyBytes; a larger body is 413.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := s.cfg.MaxBodyBytes
	// A client trickling bytes must not hold the connection (the server sets
	// no read deadline for bodiless requests); unsupported only in tests' recorders.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout))
	tooLarge := func() ([]byte, bool) {
		writeProblem(w, r, http.StatusRequestEntityTooLarge, "too_large", []string{"limit", strconv.FormatInt(limit, 10)})
		return nil, false
	}
	if r.ContentLength > limit {
		return tooLarge()
	}
	size := 4096
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1 // room to see the end of the body
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig):
		return tooLarge()
	case errors.As(err, &netErr) && netErr.Timeout():
		seconds := strconv.FormatFloat(s.cfg.BodyReadTimeout.Seconds(), 'f', -1, 64)
		writeProblem(w, r, http.StatusRequestTimeout, "body_timeout", []string{"seconds", seconds})
		return nil, false
	case err != nil && !errors.Is(err, io.EOF):
		writeProblem(w, r, http.StatusBadRequest, "bad_body", nil)
		return nil, false
	}
	return buf.Bytes(), true
}

// idempotencyKey reads the Idempotency-Key header (a structured-field string,
// quoted or not); false when it is present but unusable.
func idempotencyKey(h http.Header) (string, bool) {
	v := h.Get("Idempotency-Key")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "" {
		return "", len(h.Values("Idempotency-Key")) == 0
	}
	if len(v) > 255 {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return "", false
		}
	}
	return v, true
}

// decodeSubmission decodes and validates a submit body. On a problem it
// returns the 400 to send (and zero fields); err is only for failures of the service itself.
func (s *Server) decodeSubmission(r *http.Request, c *auth.Client, body []byte) (opendata.Fields, int, []byte, error) {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	raw, errs := opendata.DecodeJSON(body)
	if len(errs) == 1 && errs[0].Code == opendata.CodeMalformedJSON {
		status, resp, err := s.rejected(r, lang, errs, nil)
		return opendata.Fields{}, status, resp, err
	}
	fields, verrs := s.rules().Validate(raw)
	// Validation errors come in field order, then unknown fields.
	errs = append(verrs, errs...)
	if len(errs) > 0 {
		var dup *store.DuplicateError
		if fileID, ok := raw[opendata.FieldFileID]; ok && !hasFieldError(errs, opendata.FieldFileID) {
			var err error
			if dup, err = s.duplicate(r, c, strings.TrimSpace(fileID.Str)); err != nil {
				return opendata.Fields{}, 0, nil, err
			}
		}
		status, resp, err := s.rejected(r, lang, errs, dup)
		return opendata.Fields{}, status, resp, err
	}
	return fields, http.StatusOK, nil, nil
}

// duplicate returns the project's submission with fileID, or nil.
func (s *Server) duplicate(r *http.Request, c *auth.Client, fileID string) (*store.DuplicateError, error) {
	id, err := s.db.SubmissionIDByFileID(r.Context(), c.Project, fileID)
	if err != nil || id == "" {
		return nil, err
	}
	return &store.DuplicateError{ExistingID: id}, nil
}

// checkSubmission answers as createSubmission would, storing nothing: a
// valid body whose file_id the project used is a duplicate.
func (s *Server) checkSubmission(r *http.Request, c *auth.Client, body []byte) (int, []byte, error) {
	fields, status, resp, err := s.decodeSubmission(r, c, body)
	if err != nil || status != http.StatusOK {
		return status, resp, err
	}
	dup, err := s.duplicate(r, c, fields.FileID)
	if err != nil || dup == nil {
		return http.StatusOK, nil, err
	}
	return s.rejected(r, i18n.Negotiate(r.Header.Get("Accept-Language")), nil, dup)
}

// createSubmission decodes, validates and stores a submission. It returns the
// status and body to send; err is only for failures of the service itself.
func (s *Server) createSubmission(r *http.Request, c *auth.Client, body []byte, rec *store.IdempotentResponse) (int, []byte, error) {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	fields, status, resp, err := s.decodeSubmission(r, c, body)
	if err != nil || status != http.StatusOK {
		return status, resp, err
	}
	id, err := uuid.NewV7() // time-ordered: new rows land at the end of the index
	if err != nil {
		return 0, nil, err
	}
	sub := opendata.NewSubmission(id.String(), c.Project, c.Prefix, fields, time.Now())
	resp, err = json.Marshal(submitted{DatahubID: sub.ID, FlowURL: s.FlowURL(sub.ID)})
	if err != nil {
		return 0, nil, err
	}
	if rec != nil {
		rec.Status, rec.Body = http.StatusOK, resp
	}
	err = s.db.CreateSubmission(r.Context(), sub, rec)
	var dup *store.DuplicateError
	if errors.As(err, &dup) {
		return s.rejected(r, lang, nil, dup)
	}
	if err != nil {
		return 0, nil, err
	}
	s.metrics.submissions.WithLabelValues("created").Inc()
	return http.StatusOK, resp, nil
}

// rejected builds the 400 for a submission with problems (and possibly a duplicate file_id).
func (s *Server) rejected(r *http.Request, lang i18n.Lang, errs []opendata.FieldError, dup *store.DuplicateError) (int, []byte, error) {
	problems := fieldProblems(lang, errs)
	outcome := "invalid"
	var p *Problem
	if dup != nil {
		outcome = "duplicate"
		fe := opendata.FieldError{Field: opendata.FieldFileID, Code: opendata.CodeDuplicate, Value: dup.ExistingID}
		fp := fieldProblems(lang, []opendata.FieldError{fe})[0]
		fp.DatahubID, fp.FlowURL = dup.ExistingID, s.FlowURL(dup.ExistingID)
		problems = append([]FieldProblem{fp}, problems...)
		p = invalid(r, "invalid", problems)
		p.DatahubID, p.FlowURL = fp.DatahubID, fp.FlowURL
	} else {
		p = invalid(r, "invalid", problems)
	}
	if len(errs) == 1 && errs[0].Code == opendata.CodeMalformedJSON {
		p.Detail = problems[0].Message
	}
	s.metrics.submissions.WithLabelValues(outcome).Inc()
	body, err := json.Marshal(p)
	return http.StatusBadRequest, body, err
}

func (s *Server) rules() opendata.Rules {
	return opendata.Rules{
		Vocabulary:   s.vocab,
		Today:        time.Now().In(s.cfg.Location).Format(time.DateOnly),
		EmailDomains: s.cfg.EmailDomains,
	}
}

func hasFieldError(errs []opendata.FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}
