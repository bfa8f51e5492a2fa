package opendata

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Rules are what validation needs to know beyond the submitted values.
type Rules struct {
	Vocabulary *Vocabulary
	// Today is the current date (YYYY-MM-DD) in the service's time zone.
	Today string
	// EmailDomains, when set, restricts email_contact to these domains and their subdomains.
	EmailDomains []string
}

// Limits from the field table.
const (
	MaxURL        = 200
	MaxFileID     = 200
	MaxFileName   = 200
	MaxEmail      = 254
	MaxTitle      = 500
	MaxNotes      = 20000
	MinKeyword    = 2
	MaxKeyword    = 140
	MaxKeywords   = 100
	dateLayout    = "2006-01-02"
	maxShownValue = 100

	// MaxErrorsPerField bounds the problems reported for one list field, so
	// that a body of a million bad items cannot make a response of millions.
	MaxErrorsPerField = 20
)

var doiPattern = regexp.MustCompile(`^10\.\d{4,9}/\S+$`)

// Validate checks every field and returns the normalized fields, or every problem found.
func (r Rules) Validate(raw RawFields) (Fields, []FieldError) {
	v := validator{rules: r, raw: raw}
	f := Fields{
		FileURL:      v.url(FieldFileURL),
		FileID:       v.text(FieldFileID, MaxFileID, true, printable),
		FileName:     v.text(FieldFileName, MaxFileName, true, singleLine),
		EmailContact: v.email(FieldEmailContact),
		Collection:   v.choice(FieldCollection),
		TitleEN:      v.text(FieldTitleEN, MaxTitle, true, singleLine),
		TitleFR:      v.text(FieldTitleFR, MaxTitle, true, singleLine),
		NotesEN:      v.text(FieldNotesEN, MaxNotes, true, multiLine),
		NotesFR:      v.text(FieldNotesFR, MaxNotes, true, multiLine),
		KeywordsEN:   v.keywords(FieldKeywordsEN),
		KeywordsFR:   v.keywords(FieldKeywordsFR),
		Subject:      v.choices(FieldSubject, true),
		Frequency:    v.choice(FieldFrequency),
	}
	f.DatePublished = v.date(FieldDatePublished, true)
	if f.DatePublished != "" && r.Today != "" && f.DatePublished > r.Today {
		v.fail(FieldError{Field: FieldDatePublished, Code: CodeFutureDate, Value: f.DatePublished})
	}
	f.Jurisdiction = v.choice(FieldJurisdiction)
	f.CoverageStart = v.date(FieldCoverageStart, false)
	f.CoverageEnd = v.date(FieldCoverageEnd, false)
	if f.CoverageStart != "" && f.CoverageEnd != "" && f.CoverageEnd < f.CoverageStart {
		v.fail(FieldError{Field: FieldCoverageEnd, Code: CodeDateOrder, Value: f.CoverageEnd})
	}
	f.Audience = v.choices(FieldAudience, false)
	f.DigitalObjectID = v.doi(FieldDOI)
	if len(v.errs) > 0 {
		return Fields{}, v.errs
	}
	return f, nil
}

type validator struct {
	rules Rules
	raw   RawFields
	errs  []FieldError
}

func (v *validator) fail(fe FieldError) { v.errs = append(v.errs, fe) }

// scalar returns the trimmed string value of a single-valued field.
func (v *validator) scalar(name string, required bool) (string, bool) {
	val := v.raw[name]
	if val.BadType || val.IsList {
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonType})
		return "", false
	}
	s := strings.TrimSpace(val.Str)
	if s == "" {
		if required {
			v.fail(FieldError{Field: name, Code: CodeRequired})
		}
		return "", false
	}
	return s, true
}

// Kinds of free text, by the characters they may hold.
const (
	singleLine = iota // no control characters
	multiLine         // tabs and line breaks allowed
	printable         // printable characters only (identifiers)
)

func (v *validator) text(name string, limit int, required bool, kind int) string {
	s, ok := v.scalar(name, required)
	if !ok {
		return ""
	}
	if n := utf8.RuneCountInString(s); n > limit {
		v.fail(FieldError{Field: name, Code: CodeTooLong, Limit: limit})
		return ""
	}
	if hasControl(s, kind == multiLine) || (kind == printable && !isPrintable(s)) {
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonControl})
		return ""
	}
	return s
}

func (v *validator) url(name string) string {
	s, ok := v.scalar(name, true)
	if !ok {
		return ""
	}
	if utf8.RuneCountInString(s) > MaxURL {
		v.fail(FieldError{Field: name, Code: CodeTooLong, Limit: MaxURL})
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || hasControl(s, false) || strings.ContainsAny(s, " \\"):
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonURL})
	case u.User != nil:
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonUserinfo})
	case (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "":
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonURL})
	default:
		return s
	}
	return ""
}

func (v *validator) email(name string) string {
	s, ok := v.scalar(name, true)
	if !ok {
		return ""
	}
	if len(s) > MaxEmail {
		v.fail(FieldError{Field: name, Code: CodeTooLong, Limit: MaxEmail})
		return ""
	}
	addr, err := mail.ParseAddress(s)
	at := strings.LastIndexByte(s, '@')
	if err != nil || addr.Name != "" || addr.Address != s || at < 1 || !strings.Contains(s[at+1:], ".") {
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonEmail})
		return ""
	}
	if !InEmailDomains(s, v.rules.EmailDomains) {
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonEmailDomain, Allowed: v.rules.EmailDomains})
		return ""
	}
	return s
}

// InEmailDomains reports whether the address email is in one of the allowed
// domains or their subdomains; with none allowed, every address is. The
// API's email_contact and the web sign-in follow this one rule.
func InEmailDomains(email string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	domain := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(a), "@"))
		if a != "" && (domain == a || strings.HasSuffix(domain, "."+a)) {
			return true
		}
	}
	return false
}

func (v *validator) choice(name string) string {
	s, ok := v.scalar(name, true)
	if !ok {
		return ""
	}
	if !v.rules.Vocabulary.Has(name, s) {
		v.fail(v.badChoice(name, s))
		return ""
	}
	return s
}

func (v *validator) badChoice(name, value string) FieldError {
	return FieldError{
		Field: name, Code: CodeInvalidChoice, Value: shorten(value),
		Allowed:    v.rules.Vocabulary.Values(name),
		Suggestion: v.rules.Vocabulary.Suggest(name, value),
	}
}

// items returns the items of a list field, or false after reporting a value of the wrong type.
func (v *validator) items(name string) ([]string, bool) {
	val := v.raw[name]
	if val.BadType {
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonType})
		return nil, false
	}
	return val.Items(), true
}

func (v *validator) choices(name string, required bool) []string {
	items, ok := v.items(name)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		if required {
			v.fail(FieldError{Field: name, Code: CodeRequired})
			return nil
		}
		return []string{}
	}
	seen := make(map[string]bool, len(items))
	bad := 0
	for _, it := range items {
		if bad == MaxErrorsPerField {
			break
		}
		switch {
		case !v.rules.Vocabulary.Has(name, it):
			v.fail(v.badChoice(name, it))
			bad++
		case seen[it]:
			v.fail(FieldError{Field: name, Code: CodeRepeatedChoice, Value: it})
			bad++
		}
		seen[it] = true
	}
	if bad > 0 {
		return nil
	}
	return items
}

func (v *validator) keywords(name string) []string {
	items, ok := v.items(name)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		v.fail(FieldError{Field: name, Code: CodeRequired})
		return nil
	}
	if len(items) > MaxKeywords {
		v.fail(FieldError{Field: name, Code: CodeTooMany, Limit: MaxKeywords})
		return nil
	}
	bad := 0
	for _, k := range items {
		if bad == MaxErrorsPerField {
			break
		}
		fe := FieldError{Field: name, Value: shorten(k)}
		switch n := utf8.RuneCountInString(k); {
		case n < MinKeyword:
			fe.Code, fe.Limit = CodeTooShort, MinKeyword
		case n > MaxKeyword:
			fe.Code, fe.Limit = CodeTooLong, MaxKeyword
		case hasControl(k, false):
			fe.Code, fe.Reason = CodeInvalidFormat, ReasonControl
		case strings.Contains(k, "  "):
			fe.Code, fe.Reason = CodeInvalidFormat, ReasonDoubleSpace
		default:
			continue
		}
		v.fail(fe)
		bad++
	}
	if bad > 0 {
		return nil
	}
	return items
}

func (v *validator) date(name string, required bool) string {
	s, ok := v.scalar(name, required)
	if !ok {
		return ""
	}
	if !IsDate(s) {
		v.fail(FieldError{Field: name, Code: CodeInvalidDate, Value: shorten(s)})
		return ""
	}
	return s
}

// IsDate reports whether s is a real calendar date written YYYY-MM-DD.
func IsDate(s string) bool {
	if len(s) != len(dateLayout) {
		return false
	}
	_, err := time.Parse(dateLayout, s)
	return err == nil
}

func (v *validator) doi(name string) string {
	s, ok := v.scalar(name, false)
	if !ok {
		return ""
	}
	lower := strings.ToLower(s)
	for _, p := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"} {
		if strings.HasPrefix(lower, p) {
			s = strings.TrimSpace(s[len(p):])
			break
		}
	}
	if !doiPattern.MatchString(s) || hasControl(s, false) {
		v.fail(FieldError{Field: name, Code: CodeInvalidFormat, Reason: ReasonDOI})
		return ""
	}
	return s
}

// hasControl reports control characters; multiline text may hold tabs and line breaks.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

func isPrintable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxShownValue {
		return s
	}
	r := []rune(s)
	return string(r[:maxShownValue]) + "…"
}
