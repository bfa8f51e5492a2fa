package opendata

import (
	"strings"
	"time"
)

// Publication is what the service did, or would do, to put a submission on
// the registry (SPEC §5): the status API's `publication` object.
type Publication struct {
	SubmissionID  string
	DryRun        bool   // no registry is configured: Payload is what would be sent, and nothing was
	Target        string // the project of the target used (DefaultTarget for the default)
	RegistryID    string // the dataset's id on the registry: the datahub_id
	RegistryURL   string // the dataset's page on the registry
	Attempts      int    // calls to the registry so far, retries included
	LastAttemptAt *time.Time
	LastError     string          // the last failure, in the registry's words; "" after a success
	Errors        []RegistryError // the registry's refusals, field by field (our field names where they map)
	Payload       []byte          // the exact JSON sent, or that would be sent
	PublishedAt   *time.Time
	UnpublishedAt *time.Time
}

// RegistryError is one of the registry's refusals of one field.
type RegistryError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FailureReason is the reason a failed publication gives in the history and
// in email: the registry's refusals, or its last error.
func (p *Publication) FailureReason() string {
	if len(p.Errors) == 0 {
		return p.LastError
	}
	parts := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		parts[i] = e.Field + ": " + e.Message
	}
	return strings.Join(parts, "; ")
}
