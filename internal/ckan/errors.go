package ckan

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// Field names beyond the submission's own that registry problems are reported under.
const (
	FieldOwnerOrg = "owner_org" // the publishing target's organization: an admin must fix it
	FieldFile     = "file"      // the resource's format or size, which come from the file check
	FieldID       = "id"
	FieldDataset  = "dataset" // a problem the registry tied to no field
)

// FieldError is one registry problem with one field, named as our submission names it;
// Message is the registry's own wording.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is every failure of a registry call.
type Error struct {
	Action    string       // the action called, e.g. "package_create"
	Status    int          // HTTP status; 0 when no answer came
	Type      string       // the registry's __type, or one of ours (TypeTransport, TypeUnreadable, ...)
	Message   string       // the registry's message, the token removed
	Fields    []FieldError // field errors, mapped to our field names
	retryable bool
	cause     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ckan ")
	b.WriteString(e.Action)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Type != "" {
		b.WriteString(": " + e.Type)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(":")
		} else {
			b.WriteString(";")
		}
		b.WriteString(" " + f.Field + ": " + f.Message)
	}
	return b.String()
}

// Unwrap gives the transport error, so errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.cause }

// Retryable reports whether the same call may succeed later unchanged: server errors,
// proxy pages, timeouts, dropped connections and garbled successes. Validation,
// authorization, not-found and bad-request answers are final.
func (e *Error) Retryable() bool { return e.retryable }

// NotFound reports whether the registry answered that the thing asked for does not exist.
func (e *Error) NotFound() bool { return e.Status == 404 || e.Type == TypeNotFound }

// IsRetryable reports whether err is an *Error worth retrying; any other error is final.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// IsNotFound reports whether err is a registry "not found" answer.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.NotFound()
}

// FieldErrors returns the field errors carried by err, if any.
func FieldErrors(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// fluentFields are the registry's {en, fr} fields and our two names for each.
var fluentFields = map[string][2]string{
	"title_translated": {opendata.FieldTitleEN, opendata.FieldTitleFR},
	"notes_translated": {opendata.FieldNotesEN, opendata.FieldNotesFR},
	"keywords":         {opendata.FieldKeywordsEN, opendata.FieldKeywordsFR},
}

// sameName are registry fields our submission names alike.
var sameName = map[string]bool{
	opendata.FieldCollection: true, opendata.FieldSubject: true, opendata.FieldAudience: true,
	opendata.FieldFrequency: true, opendata.FieldJurisdiction: true, opendata.FieldDatePublished: true,
	opendata.FieldCoverageStart: true, opendata.FieldCoverageEnd: true, opendata.FieldDOI: true,
	FieldOwnerOrg: true,
}

// ourFields names the submission fields a registry key (and its message) is about.
// Keys we do not know are kept as the registry names them.
func ourFields(key, msg string) []string {
	if pair, ok := fluentFields[key]; ok {
		switch {
		case namesLanguage(msg, "en"):
			return []string{pair[0]}
		case namesLanguage(msg, "fr"):
			return []string{pair[1]}
		}
		return []string{pair[0], pair[1]}
	}
	if base, lang, ok := strings.Cut(key, "-"); ok {
		if pair, ok := fluentFields[base]; ok {
			switch lang {
			case "en":
				return []string{pair[0]}
			case "fr":
				return []string{pair[1]}
			}
		}
	}
	switch {
	case key == "":
		return []string{FieldDataset}
	case key == "maintainer_email":
		return []string{opendata.FieldEmailContact}
	case sameName[key]:
		return []string{key}
	}
	return []string{key}
}

// namesLanguage reports whether a fluent message is about one language: `Required
// language "fr" missing`, `invalid type for "fr" value`, or "fr: ..." (a tag of that list).
func namesLanguage(msg, lang string) bool {
	q := `"` + lang + `"`
	return strings.Contains(msg, "language "+q) || strings.Contains(msg, "for "+q+" value") ||
		strings.HasPrefix(msg, lang+":")
}

// resourceField names the submission field a resource key is about.
func resourceField(key string) string {
	switch {
	case key == "url":
		return opendata.FieldFileURL
	case key == "name_translated" || strings.HasPrefix(key, "name_translated-"):
		return opendata.FieldFileName
	}
	return FieldFile
}

// mapFieldErrors turns one key of a validation error into field errors. Values are
// lists of messages, or for resources a list of objects in resource order.
func mapFieldErrors(key string, raw json.RawMessage) []FieldError {
	var out []FieldError
	for _, m := range messages(raw) {
		for _, f := range ourFields(key, m) {
			out = append(out, FieldError{Field: f, Message: m})
		}
	}
	if len(out) > 0 {
		return out
	}
	var list []map[string]json.RawMessage
	if key != "resources" || json.Unmarshal(raw, &list) != nil {
		if s := string(raw); s == "" || s == "[]" || s == "{}" || s == "null" {
			return nil
		}
		f := ourFields(key, "")[0]
		if key == "resources" {
			f = FieldFile
		}
		return []FieldError{{Field: f, Message: clip(string(raw), 500)}}
	}
	for i, obj := range list {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, m := range messages(obj[k]) {
				msg := m
				if len(list) > 1 {
					msg = fmt.Sprintf("resource %d: %s", i+1, m)
				}
				out = append(out, FieldError{Field: resourceField(k), Message: msg})
			}
		}
	}
	return out
}

// messages reads a message or a list of messages; nested lists and objects are
// flattened, anything else is kept as its JSON text.
func messages(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var out []string
		for _, item := range list {
			if len(item) > 0 && item[0] == '{' {
				return nil // a list of objects: resources, read by the caller
			}
			out = append(out, messages(item)...)
		}
		return out
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			for _, m := range messages(obj[k]) {
				out = append(out, k+": "+m)
			}
		}
		return out
	}
	if len(raw) == 0 {
		return nil
	}
	return []string{clip(string(raw), 500)}
}
