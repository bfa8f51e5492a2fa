package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Fields are a submission's fields by name (SPEC §2.2): strings, or lists of
// strings for the multi-value fields. Any other value is sent as it is and
// reported by the server.
type Fields map[string]any

// body is the request body for fields; map keys are sorted, so the same
// fields always make the same bytes (an Idempotency-Key needs that).
func (f Fields) body() ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode fields: %w", err)
	}
	return b, nil
}

// IdempotencyKey derives an Idempotency-Key from the fields: the same fields
// always give the same key, so sending them again (after a lost answer or in
// a resumed run) replays the first answer instead of submitting twice.
func IdempotencyKey(f Fields) (string, error) {
	b, err := f.body()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "dh-" + hex.EncodeToString(sum[:]), nil
}

// SubmitResult is an accepted submission.
type SubmitResult struct {
	DatahubID string `json:"datahub_id"`
	FlowURL   string `json:"flow_url"`
	// Replayed is true when the server answered from an earlier request with
	// the same Idempotency-Key.
	Replayed bool `json:"-"`
}

// Submit sends one submission. idempotencyKey may be empty; with one, network
// failures and 5xx answers are retried safely. A refusal is a *Problem: see
// Problem.Duplicate for a file_id the project already submitted.
func (c *Client) Submit(ctx context.Context, fields Fields, idempotencyKey string) (*SubmitResult, error) {
	b, err := fields.body()
	if err != nil {
		return nil, err
	}
	req := request{method: http.MethodPost, path: "/api/opendata/submit", body: b, header: http.Header{}, retryAll: idempotencyKey != ""}
	if idempotencyKey != "" {
		req.header.Set("Idempotency-Key", idempotencyKey)
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	var out SubmitResult
	if err := decode(resp, &out); err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	out.Replayed = resp.header.Get("Idempotent-Replayed") == "true"
	return &out, nil
}

// ErrNoValidate is returned by Validate when the server has no validation
// route (an older server): the caller may check the fields itself.
var ErrNoValidate = errors.New("the server does not offer POST /api/opendata/validate")

// Validate checks fields exactly as Submit would, storing nothing: nil when
// they would be accepted, a *Problem listing every problem otherwise.
func (c *Client) Validate(ctx context.Context, fields Fields) error {
	b, err := fields.body()
	if err != nil {
		return err
	}
	_, err = c.do(ctx, request{method: http.MethodPost, path: "/api/opendata/validate", body: b, retryAll: true})
	if p, ok := AsProblem(err); ok && (p.Status == http.StatusNotFound || p.Status == http.StatusMethodNotAllowed) {
		return fmt.Errorf("validate: %w", ErrNoValidate)
	}
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	return nil
}

// Submission is a submission as the status API shows it.
type Submission struct {
	DatahubID string         `json:"datahub_id"`
	Project   string         `json:"project"`
	FileID    string         `json:"file_id"`
	State     string         `json:"state"`
	FlowURL   string         `json:"flow_url"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Metadata  map[string]any `json:"metadata,omitempty"` // only from Submission, not List
	History   []Transition   `json:"history,omitempty"`
	FileCheck *FileCheck     `json:"file_check,omitempty"`
}

// Transition is one step of a submission's workflow.
type Transition struct {
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// FileCheck is the result of checking the submitted file (SPEC §4).
type FileCheck struct {
	State       string     `json:"state"` // pending, passed or failed
	RequestedAt time.Time  `json:"requested_at"`
	CheckedAt   *time.Time `json:"checked_at,omitempty"`
	HTTPStatus  int        `json:"http_status,omitempty"`
	Size        int64      `json:"size,omitempty"`
	ContentType string     `json:"content_type,omitempty"`
	SHA256      string     `json:"sha256,omitempty"`
	Format      string     `json:"format,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Attempts    int        `json:"attempts"`
}

// Submission reads one of the project's submissions; another project's is a 404 *Problem.
func (c *Client) Submission(ctx context.Context, datahubID string) (*Submission, error) {
	var out Submission
	if err := c.getJSON(ctx, "/api/opendata/submissions/"+url.PathEscape(datahubID), &out); err != nil {
		return nil, fmt.Errorf("submission %s: %w", datahubID, err)
	}
	return &out, nil
}

// ListOptions filter and page the project's submissions; zero values are left out.
type ListOptions struct {
	State  string
	FileID string
	Limit  int    // 1 to 100; the server's default is 20
	Cursor string // NextCursor of the previous page
}

// SubmissionList is one page of submissions, newest first.
type SubmissionList struct {
	Items      []Submission `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// List reads one page of the project's submissions.
func (c *Client) List(ctx context.Context, opts ListOptions) (*SubmissionList, error) {
	q := url.Values{}
	for k, v := range map[string]string{"state": opts.State, "file_id": opts.FileID, "cursor": opts.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	path := "/api/opendata/submissions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out SubmissionList
	if err := c.getJSON(ctx, path, &out); err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	return &out, nil
}

// ByFileID returns the project's submission with this file_id, or nil when there is none.
func (c *Client) ByFileID(ctx context.Context, fileID string) (*Submission, error) {
	page, err := c.List(ctx, ListOptions{FileID: fileID, Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return nil, err
	}
	return &page.Items[0], nil
}

// Choice is one allowed value of a choice field, with its English and French labels.
type Choice struct {
	Value string `json:"value"`
	EN    string `json:"en"`
	FR    string `json:"fr"`
}

// ChoiceList is the allowed values of one field.
type ChoiceList struct {
	Field   string   `json:"field"`
	Choices []Choice `json:"choices"`
}

// Choices reads the vocabularies: collection, subject, frequency, jurisdiction, audience.
func (c *Client) Choices(ctx context.Context) ([]ChoiceList, error) {
	var out []ChoiceList
	if err := c.getJSON(ctx, "/api/opendata/choices", &out); err != nil {
		return nil, fmt.Errorf("choices: %w", err)
	}
	return out, nil
}
