package ckan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Registry error types (the envelope's __type), and ours for answers that carry none.
const (
	TypeValidation    = "Validation Error"
	TypeAuthorization = "Authorization Error"
	TypeNotFound      = "Not Found Error"
	TypeIntegrity     = "Integrity Error"
	TypeInternal      = "Internal Server Error"
	TypeBadRequest    = "Bad Request"       // a 400 answered with a bare JSON string
	TypeUnreadable    = "Unreadable Answer" // not the action API's JSON (an HTML proxy page, a cut body)
	TypeRedirect      = "Redirect"          // a 3xx: the base URL is wrong
	TypeTransport     = "Transport Error"   // no answer: timeout, refused or dropped connection
	TypeDifference    = "Read-back Difference"
)

// envelope is every JSON answer of the action API.
type envelope struct {
	Help    string          `json:"help"`
	Success *bool           `json:"success"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// parseAnswer reads one answer of action: the result on success, or an *Error saying
// what went wrong and whether trying again may help.
func parseAnswer(action string, status int, body []byte) (json.RawMessage, *Error) {
	e := &Error{Action: action, Status: status}
	switch {
	case status >= 300 && status < 400:
		e.Type, e.Message = TypeRedirect, "the registry answered with a redirect; check the base URL"
		return nil, e
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		e.retryable = true
	}
	trimmed := bytes.TrimSpace(body)
	var env envelope
	if len(trimmed) > 0 && trimmed[0] == '"' {
		var s string
		if err := json.Unmarshal(trimmed, &s); err == nil {
			e.Type, e.Message = TypeBadRequest, s
			if status == http.StatusOK {
				e.retryable = true // a 200 must be an envelope
			}
			return nil, e
		}
	}
	if err := json.Unmarshal(trimmed, &env); err != nil || env.Success == nil {
		e.Type, e.Message = TypeUnreadable, unreadable(status, trimmed)
		if status == http.StatusOK {
			e.retryable = true // a cut or garbled success: ask again
		}
		return nil, e
	}
	if *env.Success {
		if status != http.StatusOK {
			e.Type, e.Message = TypeUnreadable, fmt.Sprintf("success answered with HTTP %d", status)
			e.retryable = e.retryable || status == http.StatusOK
			return nil, e
		}
		return env.Result, nil
	}
	e.parseError(env.Error)
	if e.Type == "" {
		e.Type = typeForStatus(status)
	}
	if status == http.StatusOK {
		e.retryable = true // success false with 200 is not a shape CKAN gives
	}
	return nil, e
}

// parseError fills e from the envelope's error object: its __type, message and
// field errors (every other key).
func (e *Error) parseError(raw json.RawMessage) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			e.Message = s
		}
		if e.Type == "" {
			e.Type = TypeUnreadable
		}
		return
	}
	if t, ok := obj["__type"]; ok {
		_ = json.Unmarshal(t, &e.Type)
	}
	if m, ok := obj["message"]; ok {
		if json.Unmarshal(m, &e.Message) != nil {
			e.Message = string(m)
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if k != "__type" && k != "message" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		e.Fields = append(e.Fields, mapFieldErrors(k, obj[k])...)
	}
	if e.Type == TypeIntegrity && e.Message == "" && len(e.Fields) > 0 {
		e.Message = e.Fields[0].Message
	}
}

// typeForStatus names an error envelope that carries no __type.
func typeForStatus(status int) string {
	switch status {
	case http.StatusForbidden:
		return TypeAuthorization
	case http.StatusNotFound:
		return TypeNotFound
	case http.StatusConflict:
		return TypeValidation
	}
	if status >= 500 {
		return TypeInternal
	}
	return TypeUnreadable
}

// unreadable describes an answer that is not the API's JSON, keeping an HTML page's
// title (a proxy's "503 Service Unavailable") and nothing else of it.
func unreadable(status int, body []byte) string {
	if len(body) == 0 {
		return fmt.Sprintf("HTTP %d with an empty body", status)
	}
	s := string(body)
	lower := string(asciiLower(body)) // keeps byte offsets, unlike strings.ToLower
	if i := strings.Index(lower, "<title>"); i >= 0 {
		i += len("<title>")
		if j := strings.Index(lower[i:], "</title>"); j >= 0 {
			title := strings.ToValidUTF8(strings.TrimSpace(s[i:i+j]), "?")
			return fmt.Sprintf("HTTP %d: %s", status, clip(title, 200))
		}
	}
	return fmt.Sprintf("HTTP %d with a body that is not the action API's JSON", status)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
