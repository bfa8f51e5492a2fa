package opendata

// ChecklistItem is one condition of the workflow, as the UI's checklist names it.
type ChecklistItem string

// The checklist items of SPEC §3.
const (
	CheckMetadataValid          ChecklistItem = "metadata_valid"
	CheckFileCheckPassed        ChecklistItem = "file_check_passed"
	CheckApprovalFormComplete   ChecklistItem = "approval_form_complete"
	CheckSignedApprovalAttached ChecklistItem = "signed_approval_attached"
	CheckSignedApprovalOpened   ChecklistItem = "signed_approval_opened"
	CheckPublishingTarget       ChecklistItem = "publishing_target"
)

// SubmitChecklist lists, in the order the contact sees them, the items that
// must hold before a submission goes to approval.
var SubmitChecklist = []ChecklistItem{
	CheckMetadataValid, CheckFileCheckPassed, CheckApprovalFormComplete, CheckSignedApprovalAttached,
}

// Checklist holds the facts the caller has established about a submission;
// the workflow cannot find them out itself without I/O.
type Checklist struct {
	MetadataValid          bool // the metadata passes Rules.Validate
	FileCheckPassed        bool // the latest file check passed
	ApprovalFormComplete   bool // ApprovalForm.Complete
	SignedApprovalAttached bool // a signed approval PDF is stored
	SignedApprovalOpened   bool // the acting approver has opened the signed approval
	PublishingTarget       bool // the project has a registry to publish to (its own or the default)
}

// Holds reports whether item is established.
func (c Checklist) Holds(item ChecklistItem) bool {
	switch item {
	case CheckMetadataValid:
		return c.MetadataValid
	case CheckFileCheckPassed:
		return c.FileCheckPassed
	case CheckApprovalFormComplete:
		return c.ApprovalFormComplete
	case CheckSignedApprovalAttached:
		return c.SignedApprovalAttached
	case CheckSignedApprovalOpened:
		return c.SignedApprovalOpened
	case CheckPublishingTarget:
		return c.PublishingTarget
	}
	return false
}

// Missing lists the items of SubmitChecklist that do not hold yet.
func (c Checklist) Missing() []ChecklistItem { return c.missing(SubmitChecklist) }

// MissingFor lists the items act needs that do not hold yet (none for an unknown action).
func (c Checklist) MissingFor(act Action) []ChecklistItem {
	r, _ := ruleFor(act)
	return c.missing(r.needs)
}

func (c Checklist) missing(items []ChecklistItem) []ChecklistItem {
	var out []ChecklistItem
	for _, it := range items {
		if !c.Holds(it) {
			out = append(out, it)
		}
	}
	return out
}
