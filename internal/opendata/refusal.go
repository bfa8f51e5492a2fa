package opendata

import (
	"fmt"
	"strings"
)

// Refusal says why Apply refused a well-formed request: what is wrong with
// the reason, or which checklist items are missing. The adapters render it in
// the reader's language from its Code; Error gives it in English for logs.
type Refusal struct {
	Code    RefusalCode
	Action  Action
	Missing []ChecklistItem // RefuseNotReady: the items still to do, in checklist order
	Limit   int             // RefuseReasonTooLong: the most characters a reason may have
}

// RefusalCode names one kind of refusal; the codes never change.
type RefusalCode string

// The refusals.
const (
	RefuseReasonRequired RefusalCode = "reason_required"
	RefuseReasonTooLong  RefusalCode = "reason_too_long"
	RefuseReasonControl  RefusalCode = "reason_control"
	RefuseNotReady       RefusalCode = "not_ready"
)

func (r *Refusal) Error() string {
	switch r.Code {
	case RefuseReasonRequired:
		return fmt.Sprintf("a reason is required to %s", r.Action)
	case RefuseReasonTooLong:
		return fmt.Sprintf("the reason is too long: at most %d characters", r.Limit)
	case RefuseReasonControl:
		return "the reason must not contain control characters"
	case RefuseNotReady:
		return fmt.Sprintf("cannot %s: the checklist is incomplete: %s", r.Action, joinItems(r.Missing))
	}
	return fmt.Sprintf("cannot %s: %s", r.Action, r.Code)
}

func joinItems(items []ChecklistItem) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = string(it)
	}
	return strings.Join(parts, ", ")
}

// Reason says whether the form of act asks for a reason, and whether it must be given.
func (act Action) Reason() (asked, required bool) {
	r, ok := ruleFor(act)
	return ok && (r.reason || r.askReason), ok && r.reason
}
