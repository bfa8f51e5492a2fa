// Package ckan publishes datasets to the Open Government registry (CKAN 2.10 with
// ckanext-canada) through its action API, and maps our submissions to its schema.
package ckan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// MaxAnswerBytes is the most of one answer read; a dataset's JSON is far smaller.
const MaxAnswerBytes = 4 << 20

// Target is one registry to publish to: its base URL, an API token and the
// organization (name or id) datasets are published under.
type Target struct {
	BaseURL      string
	Token        string
	Organization string
}

// String leaves the token out, so a Target printed or logged never shows it.
func (t Target) String() string {
	return fmt.Sprintf("{BaseURL:%s Organization:%s Token:[redacted]}", t.BaseURL, t.Organization)
}

// LogValue leaves the token out of structured logs.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", t.BaseURL), slog.String("organization", t.Organization))
}

// Client calls one registry's action API.
type Client struct {
	target Target
	base   *url.URL
	hc     *http.Client
}

// New returns a client of target that sends its requests with hc (the caller's
// SSRF-safe client). Redirects are never followed, whatever hc does.
func New(target Target, hc *http.Client) (*Client, error) {
	if hc == nil {
		return nil, errors.New("new ckan client: no http client")
	}
	u, err := url.Parse(strings.TrimRight(target.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("new ckan client: base URL %q is not an http(s) URL without credentials or query", target.BaseURL)
	}
	if target.Token == "" || strings.ContainsAny(target.Token, "\r\n") {
		return nil, errors.New("new ckan client: missing or malformed token")
	}
	if target.Organization == "" {
		return nil, errors.New("new ckan client: missing organization")
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{target: target, base: u, hc: &noRedirect}, nil
}

// Target returns the registry the client publishes to.
func (c *Client) Target() Target { return c.target }

// Dataset is a dataset as the registry returns it.
type Dataset map[string]any

// ID returns the dataset's id.
func (d Dataset) ID() string { s, _ := d["id"].(string); return s }

// Name returns the dataset's name (its URL slug; the id unless set otherwise).
func (d Dataset) Name() string { s, _ := d["name"].(string); return s }

// State returns "active", "draft" or "deleted".
func (d Dataset) State() string { s, _ := d["state"].(string); return s }

// PackageShow returns the dataset with id (or name).
func (c *Client) PackageShow(ctx context.Context, id string) (Dataset, error) {
	var d Dataset
	err := c.call(ctx, "package_show", map[string]any{"id": id}, &d)
	return d, err
}

// PackageCreate creates a dataset from payload (a Payload or a map) and returns it as stored.
func (c *Client) PackageCreate(ctx context.Context, payload any) (Dataset, error) {
	var d Dataset
	err := c.call(ctx, "package_create", payload, &d)
	return d, err
}

// PackagePatch merges payload (which must carry the id) over the stored dataset.
func (c *Client) PackagePatch(ctx context.Context, payload any) (Dataset, error) {
	var d Dataset
	err := c.call(ctx, "package_patch", payload, &d)
	return d, err
}

// PackageDelete marks the dataset deleted.
func (c *Client) PackageDelete(ctx context.Context, id string) error {
	return c.call(ctx, "package_delete", map[string]any{"id": id}, nil)
}

// Organization is the part of organization_show's answer the publisher uses.
type Organization struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
}

// OrganizationShow returns the organization with id (or name).
func (c *Client) OrganizationShow(ctx context.Context, id string) (Organization, error) {
	var o Organization
	err := c.call(ctx, "organization_show", map[string]any{"id": id, "include_datasets": false, "include_users": false}, &o)
	return o, err
}

// call posts body to action and decodes the result into out (when not nil).
func (c *Client) call(ctx context.Context, action string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return &Error{Action: action, Type: TypeBadRequest, Message: "encode request: " + err.Error()}
	}
	endpoint := c.base.JoinPath("api", "action", action).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return &Error{Action: action, Type: TypeTransport, Message: c.redact(err.Error()), cause: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", c.target.Token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return &Error{Action: action, Type: TypeTransport, Message: c.redact(err.Error()), retryable: true, cause: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes+1))
	if err != nil {
		// The status came but the body broke off: the action may have been applied.
		return &Error{Action: action, Status: resp.StatusCode, Type: TypeTransport,
			Message: c.redact("read answer: " + err.Error()), retryable: true, cause: err}
	}
	if len(data) > MaxAnswerBytes {
		return &Error{Action: action, Status: resp.StatusCode, Type: TypeUnreadable,
			Message: fmt.Sprintf("answer larger than %d bytes", MaxAnswerBytes), retryable: resp.StatusCode >= 500 || resp.StatusCode == http.StatusOK}
	}
	result, perr := parseAnswer(action, resp.StatusCode, data)
	if perr != nil {
		c.redactError(perr)
		return perr
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(result))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return &Error{Action: action, Status: resp.StatusCode, Type: TypeUnreadable,
			Message: "unexpected result: " + c.redact(err.Error()), retryable: true}
	}
	return nil
}

// redact removes the token from text the registry or the transport produced.
func (c *Client) redact(s string) string {
	return strings.ReplaceAll(s, c.target.Token, "[redacted]")
}

func (c *Client) redactError(e *Error) {
	e.Message = c.redact(e.Message)
	e.Type = c.redact(e.Type)
	for i := range e.Fields {
		e.Fields[i].Message = c.redact(e.Fields[i].Message)
	}
}

// String leaves the token out when a client is printed.
func (c *Client) String() string { return "ckan.Client" + c.target.String() }
