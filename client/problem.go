package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Problem is a refusal from the server: an RFC 9457 problem document.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code,omitempty"` // e.g. invalid, invalid_token, rate_limited
	Errors []FieldError `json:"errors,omitempty"`
	// ExistingID and FlowURL name the submission that already has this file_id (a duplicate).
	ExistingID string `json:"datahub_id,omitempty"`
	FlowURL    string `json:"flow_url,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
	// RetryAfter is how long the server asked to wait (429, 503), when it did.
	RetryAfter time.Duration `json:"-"`
}

// FieldError is one problem with one field; Field and Code never change with
// the language, Message follows it.
type FieldError struct {
	Field      string   `json:"field"`
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	Allowed    []string `json:"allowed,omitempty"`
	Suggestion string   `json:"suggestion,omitempty"`
	ExistingID string   `json:"datahub_id,omitempty"`
	FlowURL    string   `json:"flow_url,omitempty"`
}

// Field error codes of SPEC §2.2 that callers commonly test for.
const (
	CodeDuplicate    = "duplicate"
	CodeUnknownField = "unknown_field"
)

func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", p.Status)
	if p.Code != "" {
		b.WriteString(" " + p.Code)
	}
	switch {
	case p.Detail != "":
		b.WriteString(": " + p.Detail)
	case p.Title != "":
		b.WriteString(": " + p.Title)
	}
	for _, fe := range p.Errors {
		fmt.Fprintf(&b, "; %s %s", fe.Field, fe.Code)
	}
	return b.String()
}

// Duplicate reports whether the file_id already belongs to one of the
// project's submissions, named by ExistingID and FlowURL.
func (p *Problem) Duplicate() bool {
	if p.ExistingID == "" {
		return false
	}
	for _, fe := range p.Errors {
		if fe.Code == CodeDuplicate {
			return true
		}
	}
	return false
}

// AsProblem returns the *Problem in err's chain, if any.
func AsProblem(err error) (*Problem, bool) {
	var p *Problem
	ok := errors.As(err, &p)
	return p, ok
}

// problemFrom turns an answer that is not a success into a *Problem, also when
// its body is not a problem document (a proxy's error page).
func problemFrom(resp *response) *Problem {
	p := &Problem{}
	if err := json.Unmarshal(resp.body, p); err != nil || p.Status == 0 {
		p = &Problem{Title: http.StatusText(resp.status), Detail: shortBody(resp.body)}
	}
	p.Status = resp.status
	p.RetryAfter = retryAfter(resp.header, time.Now())
	return p
}

func shortBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
