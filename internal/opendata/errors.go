// Package opendata is the domain core of DataHub: submissions, their fields and
// validation, the vocabulary, workflow states and coded errors. It does no I/O.
package opendata

import (
	"errors"
	"fmt"
)

// Error codes, mapped to transport statuses in one place by each adapter.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	// EUNAVAILABLE: the database cannot be reached or is shutting down; retrying later may succeed.
	EUNAVAILABLE = "unavailable"
	// ESTORAGEFULL: the database or the data directory has no space left; nothing was written.
	ESTORAGEFULL = "storage_full"
)

// Error is an error the service expects and can explain to its caller.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("datahub error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, new(*Refusal)):
		return EINVALID
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for internal errors (their details belong in the logs).
func ErrorMessage(err error) string {
	var e *Error
	var r *Refusal
	switch {
	case errors.As(err, &e):
		return e.Message
	case errors.As(err, &r):
		return r.Error()
	}
	return "Internal error."
}
