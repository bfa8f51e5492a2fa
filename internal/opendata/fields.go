package opendata

// Field error codes. Codes and field names never change with the language.
const (
	CodeRequired       = "required"
	CodeTooLong        = "too_long"
	CodeTooShort       = "too_short"
	CodeTooMany        = "too_many"
	CodeInvalidFormat  = "invalid_format"
	CodeInvalidChoice  = "invalid_choice"
	CodeRepeatedChoice = "repeated_choice"
	CodeInvalidDate    = "invalid_date"
	CodeFutureDate     = "future_date"
	CodeDateOrder      = "date_order"
	CodeUnknownField   = "unknown_field"
	CodeDuplicate      = "duplicate"
	CodeMalformedJSON  = "malformed_json"
)

// FieldCodes lists every field error code, in the order above; the OpenAPI
// document's enum is built from it.
func FieldCodes() []string {
	return []string{CodeRequired, CodeTooLong, CodeTooShort, CodeTooMany, CodeInvalidFormat, CodeInvalidChoice,
		CodeRepeatedChoice, CodeInvalidDate, CodeFutureDate, CodeDateOrder, CodeUnknownField, CodeDuplicate, CodeMalformedJSON}
}

// Reasons refine CodeInvalidFormat so that messages can say what is wrong.
const (
	ReasonType        = "type"         // not a string, or not a list of strings
	ReasonURL         = "url"          // not an absolute http(s) URL
	ReasonUserinfo    = "userinfo"     // a user:password part in a URL
	ReasonEmail       = "email"        // not one plain address
	ReasonEmailDomain = "email_domain" // an address outside the configured domains
	ReasonDOI         = "doi"
	ReasonControl     = "control"      // control characters
	ReasonDoubleSpace = "double_space" // two spaces in a row in a keyword
)

// FieldError is one problem with one field of a submission.
type FieldError struct {
	Field      string
	Code       string
	Reason     string   // for CodeInvalidFormat
	Value      string   // the offending value (a choice or keyword), when one is named
	Limit      int      // for too_long, too_short, too_many
	Allowed    []string // for invalid_choice and email_domain
	Suggestion string   // closest allowed choice, if any
}

// Fields is a valid, normalized submission as the draft API defines it.
type Fields struct {
	FileURL         string   `json:"file_url"`
	FileID          string   `json:"file_id"`
	FileName        string   `json:"file_name"`
	EmailContact    string   `json:"email_contact"`
	Collection      string   `json:"collection"`
	TitleEN         string   `json:"title_translated_en"`
	TitleFR         string   `json:"title_translated_fr"`
	NotesEN         string   `json:"notes_translated_en"`
	NotesFR         string   `json:"notes_translated_fr"`
	KeywordsEN      []string `json:"keywords_en"`
	KeywordsFR      []string `json:"keywords_fr"`
	Subject         []string `json:"subject"`
	Frequency       string   `json:"frequency"`
	DatePublished   string   `json:"date_published"`
	Jurisdiction    string   `json:"jurisdiction"`
	CoverageStart   string   `json:"time_period_coverage_start,omitempty"`
	CoverageEnd     string   `json:"time_period_coverage_end,omitempty"`
	Audience        []string `json:"audience"`
	DigitalObjectID string   `json:"digital_object_identifier,omitempty"`
}

// Field names, in the order of the draft's field table.
const (
	FieldFileURL       = "file_url"
	FieldFileID        = "file_id"
	FieldFileName      = "file_name"
	FieldEmailContact  = "email_contact"
	FieldCollection    = "collection"
	FieldTitleEN       = "title_translated_en"
	FieldTitleFR       = "title_translated_fr"
	FieldNotesEN       = "notes_translated_en"
	FieldNotesFR       = "notes_translated_fr"
	FieldKeywordsEN    = "keywords_en"
	FieldKeywordsFR    = "keywords_fr"
	FieldSubject       = "subject"
	FieldFrequency     = "frequency"
	FieldDatePublished = "date_published"
	FieldJurisdiction  = "jurisdiction"
	FieldCoverageStart = "time_period_coverage_start"
	FieldCoverageEnd   = "time_period_coverage_end"
	FieldAudience      = "audience"
	FieldDOI           = "digital_object_identifier"
)

// FieldNames lists every accepted field in table order.
var FieldNames = []string{
	FieldFileURL, FieldFileID, FieldFileName, FieldEmailContact, FieldCollection,
	FieldTitleEN, FieldTitleFR, FieldNotesEN, FieldNotesFR, FieldKeywordsEN, FieldKeywordsFR,
	FieldSubject, FieldFrequency, FieldDatePublished, FieldJurisdiction,
	FieldCoverageStart, FieldCoverageEnd, FieldAudience, FieldDOI,
}

// IsListField reports whether a field may be sent as a JSON array or comma-separated string.
func IsListField(name string) bool {
	switch name {
	case FieldKeywordsEN, FieldKeywordsFR, FieldSubject, FieldAudience:
		return true
	}
	return false
}

// Raw returns the fields as submitted values, for forms that edit them.
func (f Fields) Raw() RawFields {
	raw := RawFields{
		FieldFileURL: Str(f.FileURL), FieldFileID: Str(f.FileID), FieldFileName: Str(f.FileName),
		FieldEmailContact: Str(f.EmailContact), FieldCollection: Str(f.Collection),
		FieldTitleEN: Str(f.TitleEN), FieldTitleFR: Str(f.TitleFR),
		FieldNotesEN: Str(f.NotesEN), FieldNotesFR: Str(f.NotesFR),
		FieldKeywordsEN: List(f.KeywordsEN), FieldKeywordsFR: List(f.KeywordsFR),
		FieldSubject: List(f.Subject), FieldFrequency: Str(f.Frequency),
		FieldDatePublished: Str(f.DatePublished), FieldJurisdiction: Str(f.Jurisdiction),
		FieldCoverageStart: Str(f.CoverageStart), FieldCoverageEnd: Str(f.CoverageEnd),
		FieldAudience: List(f.Audience), FieldDOI: Str(f.DigitalObjectID),
	}
	return raw
}
