package opendata

import "strings"

// ApprovalForm is the release approval the contact completes, prints, has
// signed and attaches (SPEC §3, from the original DataHub). JSON tags are the
// field names below, which the web form and its errors use too.
type ApprovalForm struct {
	// The business owner of the data.
	OwnerDepartment string `json:"owner_department"`
	OwnerSector     string `json:"owner_sector"`
	OwnerBranch     string `json:"owner_branch"`
	OwnerDivision   string `json:"owner_division"`
	OwnerSection    string `json:"owner_section"`
	OwnerName       string `json:"owner_name"`
	OwnerPhone      string `json:"owner_phone"`
	OwnerEmail      string `json:"owner_email"`

	DatasetTitle string `json:"dataset_title"`
	TypeOfData   string `json:"type_of_data"` // TypeData or TypeInformation

	// The mandatory release criteria, each confirmed by the business owner.
	CopyrightCleared         bool `json:"copyright_cleared"`
	AuthorityToRelease       bool `json:"authority_to_release"`
	NoPersonalInformation    bool `json:"no_personal_information"`
	NotClassifiedOrProtected bool `json:"not_classified_or_protected"`
	FreeOfCharge             bool `json:"free_of_charge"`
	MachineReadable          bool `json:"machine_readable"`
	NonProprietaryFormat     bool `json:"non_proprietary_format"`
	OfficialLanguages        bool `json:"official_languages"`

	SubjectToExceptions bool   `json:"subject_to_exceptions"`
	Exceptions          string `json:"exceptions,omitempty"` // required when SubjectToExceptions

	// Blanket approval: what later releases this approval also covers.
	BlanketOngoing    bool   `json:"blanket_ongoing"`
	BlanketCollection bool   `json:"blanket_collection"`
	BlanketInSitu     bool   `json:"blanket_in_situ"`
	BlanketOther      bool   `json:"blanket_other"`
	BlanketOtherText  string `json:"blanket_other_text,omitempty"` // required when BlanketOther
}

// Approval form field names, in form order.
const (
	FormOwnerDepartment          = "owner_department"
	FormOwnerSector              = "owner_sector"
	FormOwnerBranch              = "owner_branch"
	FormOwnerDivision            = "owner_division"
	FormOwnerSection             = "owner_section"
	FormOwnerName                = "owner_name"
	FormOwnerPhone               = "owner_phone"
	FormOwnerEmail               = "owner_email"
	FormDatasetTitle             = "dataset_title"
	FormTypeOfData               = "type_of_data"
	FormCopyrightCleared         = "copyright_cleared"
	FormAuthorityToRelease       = "authority_to_release"
	FormNoPersonalInformation    = "no_personal_information"
	FormNotClassifiedOrProtected = "not_classified_or_protected"
	FormFreeOfCharge             = "free_of_charge"
	FormMachineReadable          = "machine_readable"
	FormNonProprietaryFormat     = "non_proprietary_format"
	FormOfficialLanguages        = "official_languages"
	FormSubjectToExceptions      = "subject_to_exceptions"
	FormExceptions               = "exceptions"
	FormBlanketOngoing           = "blanket_ongoing"
	FormBlanketCollection        = "blanket_collection"
	FormBlanketInSitu            = "blanket_in_situ"
	FormBlanketOther             = "blanket_other"
	FormBlanketOtherText         = "blanket_other_text"
)

// The types of data the form distinguishes.
const (
	TypeData        = "data"
	TypeInformation = "information"
)

// TypesOfData lists the allowed values of type_of_data.
var TypesOfData = []string{TypeData, TypeInformation}

// Limits of the approval form's text fields, in characters.
const (
	MaxOrgUnit    = 200 // department, sector, branch, division, section
	MaxPersonName = 200
	MaxPhone      = 50
	MaxFormText   = 2000 // exceptions, other blanket approval
)

// Confirmation is one release criterion and whether it is confirmed.
type Confirmation struct {
	Field     string
	Confirmed bool
}

// ReleaseCriteria lists the mandatory release criteria in form order.
func (f ApprovalForm) ReleaseCriteria() []Confirmation {
	return []Confirmation{
		{FormCopyrightCleared, f.CopyrightCleared},
		{FormAuthorityToRelease, f.AuthorityToRelease},
		{FormNoPersonalInformation, f.NoPersonalInformation},
		{FormNotClassifiedOrProtected, f.NotClassifiedOrProtected},
		{FormFreeOfCharge, f.FreeOfCharge},
		{FormMachineReadable, f.MachineReadable},
		{FormNonProprietaryFormat, f.NonProprietaryFormat},
		{FormOfficialLanguages, f.OfficialLanguages},
	}
}

// Clean returns the form with its text trimmed and with the text of an
// unticked option (exceptions, other blanket approval) dropped: unticking says "none".
func (f ApprovalForm) Clean() ApprovalForm {
	for _, p := range []*string{
		&f.OwnerDepartment, &f.OwnerSector, &f.OwnerBranch, &f.OwnerDivision, &f.OwnerSection,
		&f.OwnerName, &f.OwnerPhone, &f.OwnerEmail, &f.DatasetTitle, &f.TypeOfData,
		&f.Exceptions, &f.BlanketOtherText,
	} {
		*p = strings.TrimSpace(*p)
	}
	if !f.SubjectToExceptions {
		f.Exceptions = ""
	}
	if !f.BlanketOther {
		f.BlanketOtherText = ""
	}
	return f
}

// Validate returns every problem with the cleaned form, in form order, with
// the codes of the submission fields: an unconfirmed criterion is required.
func (f ApprovalForm) Validate() []FieldError {
	f = f.Clean()
	v := validator{raw: RawFields{
		FormOwnerDepartment: Str(f.OwnerDepartment), FormOwnerSector: Str(f.OwnerSector),
		FormOwnerBranch: Str(f.OwnerBranch), FormOwnerDivision: Str(f.OwnerDivision),
		FormOwnerSection: Str(f.OwnerSection), FormOwnerName: Str(f.OwnerName),
		FormOwnerPhone: Str(f.OwnerPhone), FormOwnerEmail: Str(f.OwnerEmail),
		FormDatasetTitle: Str(f.DatasetTitle), FormExceptions: Str(f.Exceptions),
		FormBlanketOtherText: Str(f.BlanketOtherText),
	}}
	for _, name := range []string{FormOwnerDepartment, FormOwnerSector, FormOwnerBranch, FormOwnerDivision, FormOwnerSection} {
		v.text(name, MaxOrgUnit, false, singleLine)
	}
	v.text(FormOwnerName, MaxPersonName, true, singleLine)
	v.text(FormOwnerPhone, MaxPhone, false, singleLine)
	v.email(FormOwnerEmail)
	v.text(FormDatasetTitle, MaxTitle, true, singleLine)
	switch {
	case f.TypeOfData == "":
		v.fail(FieldError{Field: FormTypeOfData, Code: CodeRequired})
	case f.TypeOfData != TypeData && f.TypeOfData != TypeInformation:
		v.fail(FieldError{Field: FormTypeOfData, Code: CodeInvalidChoice, Value: shorten(f.TypeOfData),
			Allowed: TypesOfData, Suggestion: suggestType(f.TypeOfData)})
	}
	for _, c := range f.ReleaseCriteria() {
		if !c.Confirmed {
			v.fail(FieldError{Field: c.Field, Code: CodeRequired})
		}
	}
	v.text(FormExceptions, MaxFormText, f.SubjectToExceptions, multiLine)
	v.text(FormBlanketOtherText, MaxFormText, f.BlanketOther, multiLine)
	return v.errs
}

// Complete reports whether the form has no problems, an item of the checklist.
func (f ApprovalForm) Complete() bool { return len(f.Validate()) == 0 }

// Problems returns Validate's problems in two lists, each in form order:
// what is not finished yet, which a contact may save and complete later, and
// what is wrong, which makes the form unfit to save.
func (f ApprovalForm) Problems() (unfinished, wrong []FieldError) {
	for _, fe := range f.Validate() {
		if Unfinished(fe) {
			unfinished = append(unfinished, fe)
		} else {
			wrong = append(wrong, fe)
		}
	}
	return unfinished, wrong
}

// Unfinished reports whether a problem with the approval form only says that
// something is still to do: a required field empty, a criterion not
// confirmed, a ticked option not yet described. Any other problem (too long,
// malformed, a control character, an unknown choice) is a wrong value.
func Unfinished(fe FieldError) bool { return fe.Code == CodeRequired }

// suggestType finds the intended type of data when only its case or language differs.
func suggestType(s string) string {
	switch strings.ToLower(s) {
	case TypeData, "données", "donnees":
		return TypeData
	case TypeInformation, "info", "renseignements":
		return TypeInformation
	}
	return ""
}
