package i18n

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// identical lists keys whose English and French texts may legitimately be the same.
var identical = map[string]bool{"nav.admin": true, "approval_pdf.sign.signature": true, "confirm.link": true}

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	for _, c := range []struct {
		lang, other Lang
	}{{EN, FR}, {FR, EN}} {
		var missing []string
		for _, k := range Keys(c.lang) {
			if !Has(c.other, k) {
				missing = append(missing, k)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("keys in %s with no %s entry: %q", c.lang, c.other, missing)
		}
	}
}

func TestCataloguesAgree(t *testing.T) {
	for _, k := range Keys(EN) {
		en, fr := T(EN, k), T(FR, k)
		if got, want := placeholders(fr), placeholders(en); !slices.Equal(got, want) {
			t.Errorf("%s: French placeholders %q, English %q", k, got, want)
		}
		if en == fr && !identical[k] {
			t.Errorf("%s: French text is the English text %q (add to identical if that is right)", k, en)
		}
		if strings.TrimSpace(en) == "" || strings.TrimSpace(fr) == "" {
			t.Errorf("%s: empty text", k)
		}
	}
}

// TestCataloguesUseTypographicApostrophes: one apostrophe in both languages,
// so that the same words read the same on every page and on the signed form.
func TestCataloguesUseTypographicApostrophes(t *testing.T) {
	for _, lang := range []Lang{EN, FR} {
		for _, k := range Keys(lang) {
			if msg := T(lang, k); strings.Contains(msg, "'") {
				t.Errorf("%s %s: straight apostrophe in %q; write ’", lang, k, msg)
			}
		}
	}
}

func placeholders(msg string) []string {
	out := placeholder.FindAllString(msg, -1)
	slices.Sort(out)
	return slices.Compact(out)
}

// validBody is a valid submission that errorBodies break one field at a time.
var validBody = map[string]any{
	"file_url": "https://example.gc.ca/a.csv", "file_id": "a1", "file_name": "a.csv",
	"email_contact": "jane@example.gc.ca", "collection": "primary",
	"title_translated_en": "Forests", "title_translated_fr": "Forêts",
	"notes_translated_en": "Notes", "notes_translated_fr": "Notes",
	"keywords_en": "forest", "keywords_fr": "forêt", "subject": "law", "frequency": "P1Y",
	"date_published": "2024-01-31", "jurisdiction": "federal",
}

// errorBodies each make the validator produce one kind of problem.
var errorBodies = map[string]map[string]any{
	"required":                         {"file_id": nil},
	"too_long":                         {"title_translated_en": strings.Repeat("é", opendata.MaxTitle+1)},
	"too_long.item":                    {"keywords_en": strings.Repeat("é", opendata.MaxKeyword+1)},
	"too_short.item":                   {"keywords_fr": "forêt, é"},
	"too_many":                         {"keywords_en": strings.Repeat("forest,", opendata.MaxKeywords+1)},
	"invalid_format.type":              {"file_name": 42},
	"invalid_format.type_list":         {"subject": []any{"law", 7}},
	"invalid_format.url":               {"file_url": "ftp://example.gc.ca/a.csv"},
	"invalid_format.userinfo":          {"file_url": "https://u:p@example.gc.ca/a.csv"},
	"invalid_format.email":             {"email_contact": "Jane <jane@example.gc.ca>"},
	"invalid_format.doi":               {"digital_object_identifier": "10.1/x"},
	"invalid_format.control":           {"title_translated_fr": "a\x00b"},
	"invalid_format.control.item":      {"keywords_en": "a\x00b"},
	"invalid_format.double_space.item": {"keywords_en": "forest  fire"},
	"invalid_choice":                   {"collection": "spreadsheet"},
	"invalid_choice+suggestion":        {"collection": "Primary"},
	"repeated_choice":                  {"audience": "youth, youth"},
	"invalid_date":                     {"date_published": "2024-02-30"},
	"future_date":                      {"date_published": "2999-01-01"},
	"date_order":                       {"time_period_coverage_start": "2020-01-02", "time_period_coverage_end": "2020-01-01"},
	"unknown_field":                    {"nom_fichier": "a.csv"},
}

// producedErrors returns, by kind, what DecodeJSON and Validate really report for
// errorBodies, plus the problems the validator leaves to others (email domains, duplicates).
func producedErrors(t *testing.T) map[string]opendata.FieldError {
	rules := opendata.Rules{Vocabulary: opendata.MustLoadVocabulary(), Today: "2024-06-15"}
	out := map[string]opendata.FieldError{
		"invalid_format.email_domain": {Field: "email_contact", Code: opendata.CodeInvalidFormat,
			Reason: opendata.ReasonEmailDomain, Allowed: []string{"canada.ca", "gc.ca"}},
		"duplicate":      {Field: "file_id", Code: opendata.CodeDuplicate, Value: "a1"},
		"malformed_json": decodeOne(t, rules, "[]"),
	}
	for kind, changes := range errorBodies {
		body := map[string]any{}
		for k, v := range validBody {
			body[k] = v
		}
		for k, v := range changes {
			body[k] = v
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		out[kind] = decodeOne(t, rules, string(b))
	}
	return out
}

// decodeOne returns the one problem of a body, failing if there is not exactly one.
func decodeOne(t *testing.T, rules opendata.Rules, body string) opendata.FieldError {
	t.Helper()
	raw, errs := opendata.DecodeJSON([]byte(body))
	if raw != nil {
		_, verrs := rules.Validate(raw)
		errs = append(errs, verrs...)
	}
	if len(errs) != 1 {
		t.Fatalf("body %.80q: %d problems %+v, want 1", body, len(errs), errs)
	}
	return errs[0]
}

func TestFieldErrorMessages(t *testing.T) {
	for kind, fe := range producedErrors(t) {
		t.Run(kind, func(t *testing.T) {
			en, fr := FieldError(EN, fe), FieldError(FR, fe)
			for lang, msg := range map[Lang]string{EN: en, FR: fr} {
				if strings.HasPrefix(msg, "field.") || placeholder.MatchString(msg) {
					t.Errorf("%s message unfinished: %q", lang, msg)
				}
				for _, want := range expectedParts(fe) {
					if !strings.Contains(msg, want) {
						t.Errorf("%s message %q does not name %q", lang, msg, want)
					}
				}
			}
			if en == fr {
				t.Errorf("French message is the English one: %q", en)
			}
		})
	}
}

// expectedParts are the details a message about fe must show its reader.
func expectedParts(fe opendata.FieldError) []string {
	var parts []string
	if fe.Field != "" {
		parts = append(parts, fe.Field)
	}
	switch fe.Code {
	case opendata.CodeTooLong, opendata.CodeTooShort, opendata.CodeTooMany:
		parts = append(parts, strconv.Itoa(fe.Limit))
	case opendata.CodeInvalidChoice:
		parts = append(parts, strings.Join(fe.Allowed, ", "))
	}
	if fe.Reason == opendata.ReasonEmailDomain {
		parts = append(parts, strings.Join(fe.Allowed, ", "))
	}
	switch fe.Code {
	case opendata.CodeInvalidDate, opendata.CodeFutureDate, opendata.CodeDateOrder:
		// The message explains the rule; the value is the client's own.
	default:
		if fe.Value != "" {
			parts = append(parts, fe.Value) // a choice, a keyword or a file_id
		}
	}
	if fe.Suggestion != "" {
		parts = append(parts, fe.Suggestion)
	}
	return parts
}

// TestFieldErrorKindsCovered guards the table above: every code the service
// can report and every format reason must have a case.
func TestFieldErrorKindsCovered(t *testing.T) {
	seen := map[string]bool{}
	for _, fe := range producedErrors(t) {
		seen[fe.Code] = true
		seen[fe.Code+"."+fe.Reason] = true
	}
	for _, code := range []string{
		opendata.CodeRequired, opendata.CodeTooLong, opendata.CodeTooShort, opendata.CodeTooMany,
		opendata.CodeInvalidFormat, opendata.CodeInvalidChoice, opendata.CodeRepeatedChoice,
		opendata.CodeInvalidDate, opendata.CodeFutureDate, opendata.CodeDateOrder,
		opendata.CodeUnknownField, opendata.CodeDuplicate, opendata.CodeMalformedJSON,
	} {
		if !seen[code] {
			t.Errorf("no message case for code %s", code)
		}
	}
	for _, reason := range []string{
		opendata.ReasonType, opendata.ReasonURL, opendata.ReasonUserinfo, opendata.ReasonEmail,
		opendata.ReasonEmailDomain, opendata.ReasonDOI, opendata.ReasonControl, opendata.ReasonDoubleSpace,
	} {
		if !seen[opendata.CodeInvalidFormat+"."+reason] {
			t.Errorf("no message case for invalid_format reason %s", reason)
		}
	}
}

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		header string
		want   Lang
	}{
		{"", EN},
		{"fr-CA,fr;q=0.9,en;q=0.8", FR},
		{"en-US,fr;q=0.5", EN},
		{"*", EN},
		{"de", EN},
		{"de-DE,de;q=0.9", EN},
		{"fr", FR},
		{"FR-ca", FR},
		{" fr ", FR},
		{"fr;q=0", EN},                  // q=0 means "not acceptable"
		{"fr;q=0, en;q=0", EN},          //
		{"en;q=0,fr;q=0.1", FR},         //
		{"de,fr;q=0.3,en;q=0.2", FR},    // unsupported languages are skipped
		{"en;q=0.5, fr;q=0.7", FR},      // weight, not order, decides
		{"fr-CA;q=0.8,en-GB;q=0.9", EN}, //
		{"*;q=0.9,fr;q=0.1", FR},        // the wildcard names neither
		{"fry,frc", EN},                 // other languages starting with "fr"
		{"fr;q=abc", FR},                // an unreadable weight counts as 1
	} {
		if got := Negotiate(c.header); got != c.want {
			t.Errorf("Negotiate(%q) = %s, want %s", c.header, got, c.want)
		}
	}
}

func TestOther(t *testing.T) {
	if EN.Other() != FR || FR.Other() != EN {
		t.Error("Other does not toggle between en and fr")
	}
}

func TestT(t *testing.T) {
	for _, c := range []struct {
		lang  Lang
		key   string
		pairs []string
		want  string
	}{
		{EN, "field.required", []string{"field", "file_id"}, "file_id is required."},
		{FR, "field.required", []string{"field", "file_id"}, "Le champ file_id est obligatoire."},
		{FR, "no.such.key", nil, "no.such.key"},
		{EN, "field.repeated_choice", []string{"value", "{field}", "field", "subject"}, `"{field}" is repeated in subject.`},
	} {
		if got := T(c.lang, c.key, c.pairs...); got != c.want {
			t.Errorf("T(%s, %s, %q) = %q, want %q", c.lang, c.key, c.pairs, got, c.want)
		}
	}
}

func Example() {
	fe := opendata.FieldError{Field: "collection", Code: opendata.CodeInvalidChoice, Value: "Primary",
		Allowed: []string{"primary", "code", "api", "app"}, Suggestion: "primary"}
	fmt.Println(FieldError(Negotiate("fr-CA,fr;q=0.9"), fe))
	// Output: « Primary » n’est pas une valeur permise du champ collection. Valeurs permises : primary, code, api, app. Vouliez-vous dire « primary » ?
}
