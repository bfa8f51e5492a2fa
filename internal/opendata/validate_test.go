package opendata

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// requiredFields are the fields the SPEC §2.2 table marks "yes", in table order.
var requiredFields = []string{
	FieldFileURL, FieldFileID, FieldFileName, FieldEmailContact, FieldCollection,
	FieldTitleEN, FieldTitleFR, FieldNotesEN, FieldNotesFR, FieldKeywordsEN, FieldKeywordsFR,
	FieldSubject, FieldFrequency, FieldDatePublished, FieldJurisdiction,
}

// checkErrors fails unless Validate(raw) reports exactly want (nil: no error).
func checkErrors(t *testing.T, rules Rules, raw RawFields, want []FieldError) Fields {
	t.Helper()
	f, got := rules.Validate(raw)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got %+v\nwant %+v", got, want)
	}
	return f
}

// checkSummary fails unless Validate(raw) reports exactly the want field:code[:reason] list.
func checkSummary(t *testing.T, raw RawFields, want ...string) {
	t.Helper()
	_, errs := testRules().Validate(raw)
	if got := summary(errs); !slices.Equal(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
}

func TestValidateAcceptsValidSubmission(t *testing.T) {
	f := checkErrors(t, testRules(), validRaw(), nil)
	if f.FileURL != "https://open.example.gc.ca/data/forest-cover-2023.csv" || f.Subject[0] != "nature_and_environment" {
		t.Errorf("fields not filled: %+v", f)
	}
}

func TestValidateRequired(t *testing.T) {
	blanks := []struct {
		name string
		raw  func(field string) RawFields
	}{
		{"missing", without},
		{"empty", func(f string) RawFields { return with(f, Str("")) }},
		{"whitespace", func(f string) RawFields { return with(f, Str(" \t\r\n\u00a0 ")) }},
	}
	for _, field := range requiredFields {
		for _, b := range blanks {
			t.Run(field+"/"+b.name, func(t *testing.T) { checkSummary(t, b.raw(field), field+":required") })
		}
	}
	for _, field := range []string{FieldKeywordsEN, FieldKeywordsFR, FieldSubject} {
		for name, v := range map[string]RawValue{
			"empty list": List(nil), "list of blanks": List([]string{"", "  "}), "only commas": Str(" , ,, "),
		} {
			t.Run(field+"/"+name, func(t *testing.T) { checkSummary(t, with(field, v), field+":required") })
		}
	}
}

func TestValidateOptionalFieldsMayBeBlank(t *testing.T) {
	for _, field := range []string{FieldCoverageStart, FieldCoverageEnd, FieldAudience, FieldDOI} {
		for name, raw := range map[string]RawFields{
			"missing": validRaw(), "empty": with(field, Str("")), "whitespace": with(field, Str("  \t ")),
		} {
			t.Run(field+"/"+name, func(t *testing.T) {
				f := checkErrors(t, testRules(), raw, nil)
				if f.CoverageStart != "" || f.CoverageEnd != "" || len(f.Audience) != 0 || f.DigitalObjectID != "" {
					t.Errorf("blank optional field gave a value: %+v", f)
				}
			})
		}
	}
	checkSummary(t, with(FieldAudience, List([]string{" ", ""}))) // a list of blanks is no audience, not an error
}

// TestValidateLengthLimits checks each limit at its exact value. Limits count
// characters (runes), so the values are made of multibyte runes.
func TestValidateLengthLimits(t *testing.T) {
	fill := func(prefix, r string) func(int) string {
		return func(n int) string { return prefix + strings.Repeat(r, n-utf8.RuneCountInString(prefix)) }
	}
	cases := []struct {
		field string
		limit int
		value func(n int) string // a valid value of n characters
	}{
		{FieldFileURL, MaxURL, fill("https://example.gc.ca/", "é")},
		{FieldFileID, MaxFileID, fill("", "日")},
		{FieldFileName, MaxFileName, fill("données-", "é")},
		// ASCII only: the address limit counts bytes (as RFC 5321 does), so bytes and characters agree here.
		{FieldEmailContact, MaxEmail, func(n int) string { return fill("", "a")(n-len("@example.gc.ca")) + "@example.gc.ca" }},
		{FieldTitleEN, MaxTitle, fill("", "é")},
		{FieldTitleFR, MaxTitle, fill("Forêt ", "🌲")},
		{FieldNotesEN, MaxNotes, fill("Notes:\n\t", "é")},
		{FieldNotesFR, MaxNotes, fill("", "ç")},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			if n := utf8.RuneCountInString(c.value(c.limit)); n != c.limit {
				t.Fatalf("test value has %d characters, want %d", n, c.limit)
			}
			checkErrors(t, testRules(), with(c.field, Str(c.value(c.limit))), nil)
			checkErrors(t, testRules(), with(c.field, Str(c.value(c.limit+1))),
				[]FieldError{{Field: c.field, Code: CodeTooLong, Limit: c.limit}})
		})
	}
}

func TestValidateKeywords(t *testing.T) {
	long := strings.Repeat("é", MaxKeyword+1)
	kw := func(code, reason, value string, limit int) FieldError {
		return FieldError{Field: FieldKeywordsEN, Code: code, Reason: reason, Value: value, Limit: limit}
	}
	cases := []struct {
		name  string
		value RawValue
		want  []FieldError
	}{
		{"100 keywords", List(keywordList(MaxKeywords)), nil},
		{"100 as one string", Str(strings.Join(keywordList(MaxKeywords), ", ")), nil},
		{"101 keywords", List(keywordList(MaxKeywords + 1)), []FieldError{{Field: FieldKeywordsEN, Code: CodeTooMany, Limit: MaxKeywords}}},
		{"2 characters", Str("éé, 日本"), nil},
		{"1 character", Str("forest, é"), []FieldError{kw(CodeTooShort, "", "é", MinKeyword)}},
		{"140 characters", List([]string{long[:len(long)-2]}), nil},
		{"141 characters", List([]string{long}), []FieldError{kw(CodeTooLong, "", strings.Repeat("é", 100)+"…", MaxKeyword)}},
		{"control character", Str("forest\x00fire"), []FieldError{kw(CodeInvalidFormat, ReasonControl, "forest\x00fire", 0)}},
		{"tab inside", List([]string{"forest\tfire"}), []FieldError{kw(CodeInvalidFormat, ReasonControl, "forest\tfire", 0)}},
		{"double space", Str("forest  fire"), []FieldError{kw(CodeInvalidFormat, ReasonDoubleSpace, "forest  fire", 0)}},
		{"single spaces", Str("forest fire, land cover"), nil},
		{"each bad keyword", Str("a, forest  fire, ok, b"), []FieldError{
			kw(CodeTooShort, "", "a", MinKeyword), kw(CodeInvalidFormat, ReasonDoubleSpace, "forest  fire", 0), kw(CodeTooShort, "", "b", MinKeyword),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkErrors(t, testRules(), with(FieldKeywordsEN, c.value), c.want) })
	}
}

func TestValidateFormats(t *testing.T) {
	cases := []struct {
		field, value string
		reason       string // "" when valid
	}{
		{FieldFileURL, "https://example.gc.ca/a.csv?x=1#y", ""},
		{FieldFileURL, "HTTP://Example.GC.CA:8080/a.csv", ""},
		{FieldFileURL, "/data/a.csv", ReasonURL},
		{FieldFileURL, "example.gc.ca/a.csv", ReasonURL},
		{FieldFileURL, "ftp://example.gc.ca/a.csv", ReasonURL},
		{FieldFileURL, "javascript:alert(1)", ReasonURL},
		{FieldFileURL, "https:example.gc.ca/a.csv", ReasonURL},
		{FieldFileURL, "https://", ReasonURL},
		{FieldFileURL, "https:///a.csv", ReasonURL},
		{FieldFileURL, "https://:443/a.csv", ReasonURL},
		{FieldFileURL, "https://example.gc.ca/my file.csv", ReasonURL},
		{FieldFileURL, "https://exa mple.gc.ca/a.csv", ReasonURL},
		{FieldFileURL, `https://example.gc.ca\a.csv`, ReasonURL},
		{FieldFileURL, "https://user:secret@example.gc.ca/a.csv", ReasonUserinfo},
		{FieldFileURL, "https://user@example.gc.ca/a.csv", ReasonUserinfo},

		{FieldEmailContact, "Jane.Doe+data@canada.ca", ""},
		{FieldEmailContact, "hélène@exemple.gc.ca", ""},
		{FieldEmailContact, "Jane Doe <jane@canada.ca>", ReasonEmail},
		{FieldEmailContact, "<jane@canada.ca>", ReasonEmail},
		{FieldEmailContact, "jane@canada.ca, john@canada.ca", ReasonEmail},
		{FieldEmailContact, "jane@canada.ca;john@canada.ca", ReasonEmail},
		{FieldEmailContact, "jane@localhost", ReasonEmail},
		{FieldEmailContact, "jane", ReasonEmail},
		{FieldEmailContact, "@canada.ca", ReasonEmail},
		{FieldEmailContact, "jane@@canada.ca", ReasonEmail},

		{FieldDOI, "10.1234/abc", ""},
		{FieldDOI, "10.123456789/a.b(c)-d", ""},
		{FieldDOI, "10.123/abc", ReasonDOI},
		{FieldDOI, "11.1234/abc", ReasonDOI},
		{FieldDOI, "10.1234/", ReasonDOI},
		{FieldDOI, "10.1234", ReasonDOI},
		{FieldDOI, "10.1234/a b", ReasonDOI},
		{FieldDOI, "10.1234/a\x00b", ReasonDOI},
		{FieldDOI, "doi:", ReasonDOI},
		{FieldDOI, "https://doi.org/", ReasonDOI},
		{FieldDOI, "https://example.org/10.1234/abc", ReasonDOI},
		{FieldDOI, "doi:doi:10.1234/abc", ReasonDOI},

		{FieldTitleEN, "Forest\x00cover", ReasonControl},
		{FieldTitleEN, "Forest\tcover", ReasonControl},
		{FieldTitleFR, "Couvert\nforestier", ReasonControl},
		{FieldTitleFR, "Couvert\u2028forestier", ReasonControl},
		{FieldTitleEN, "Forest \x7f cover", ReasonControl},
		{FieldFileName, "a\x1b[31m.csv", ReasonControl},
		{FieldFileID, "abc\u200bdef", ReasonControl}, // zero-width space: not printable
		{FieldFileID, "abc def-é", ""},
		{FieldNotesEN, "Line one\n\tindented\r\nline three", ""},
		{FieldNotesFR, "Ligne\x00nulle", ReasonControl},
		{FieldNotesFR, "Cloche\x07", ReasonControl},
	}
	for _, c := range cases {
		t.Run(c.field+"/"+c.value, func(t *testing.T) {
			var want []FieldError
			if c.reason != "" {
				want = []FieldError{{Field: c.field, Code: CodeInvalidFormat, Reason: c.reason}}
			}
			checkErrors(t, testRules(), with(c.field, Str(c.value)), want)
		})
	}
}

func TestValidateEmailDomains(t *testing.T) {
	domains := []string{"canada.ca", "GC.CA"}
	rules := testRules()
	rules.EmailDomains = domains
	for _, c := range []struct {
		email string
		ok    bool
	}{
		{"jane@canada.ca", true},
		{"jane@GC.ca", true},
		{"jane@nrcan-rncan.gc.ca", true}, // subdomains are allowed
		{"jane@a.b.canada.ca", true},
		{"jane@example.com", false},
		{"jane@notgc.ca", false},
		{"jane@gc.ca.example.com", false},
	} {
		t.Run(c.email, func(t *testing.T) {
			var want []FieldError
			if !c.ok {
				want = []FieldError{{Field: FieldEmailContact, Code: CodeInvalidFormat, Reason: ReasonEmailDomain, Allowed: domains}}
			}
			checkErrors(t, rules, with(FieldEmailContact, Str(c.email)), want)
		})
	}
}

func TestValidateNormalizes(t *testing.T) {
	cases := []struct {
		name  string
		field string
		value RawValue
		get   func(Fields) any
		want  any
	}{
		{"text trimmed", FieldTitleEN, Str("  Forest cover \n"), func(f Fields) any { return f.TitleEN }, "Forest cover"},
		{"notes keep inner lines", FieldNotesFR, Str("\nA\n\tB\n"), func(f Fields) any { return f.NotesFR }, "A\n\tB"},
		{"keywords split", FieldKeywordsEN, Str("forest, land cover,,  fire ,"), func(f Fields) any { return f.KeywordsEN }, []string{"forest", "land cover", "fire"}},
		{"keywords array", FieldKeywordsFR, List([]string{" forêt ", "", "feu"}), func(f Fields) any { return f.KeywordsFR }, []string{"forêt", "feu"}},
		{"array item keeps comma", FieldKeywordsFR, List([]string{"forêts, lacs"}), func(f Fields) any { return f.KeywordsFR }, []string{"forêts, lacs"}},
		{"subject split", FieldSubject, Str(" law ,agriculture, "), func(f Fields) any { return f.Subject }, []string{"law", "agriculture"}},
		{"subject array", FieldSubject, List([]string{"law", " agriculture"}), func(f Fields) any { return f.Subject }, []string{"law", "agriculture"}},
		{"audience split", FieldAudience, Str("youth,, seniors"), func(f Fields) any { return f.Audience }, []string{"youth", "seniors"}},
		{"date trimmed", FieldDatePublished, Str(" 2024-01-31\n"), func(f Fields) any { return f.DatePublished }, "2024-01-31"},
		{"doi bare", FieldDOI, Str("10.1234/ABC"), func(f Fields) any { return f.DigitalObjectID }, "10.1234/ABC"},
		{"doi https", FieldDOI, Str("https://doi.org/10.5061/dryad.8515"), func(f Fields) any { return f.DigitalObjectID }, "10.5061/dryad.8515"},
		{"doi upper https", FieldDOI, Str("HTTPS://DOI.ORG/10.5061/X"), func(f Fields) any { return f.DigitalObjectID }, "10.5061/X"},
		{"doi http dx", FieldDOI, Str("http://dx.doi.org/10.1000/182"), func(f Fields) any { return f.DigitalObjectID }, "10.1000/182"},
		{"doi prefix", FieldDOI, Str("doi:10.1000/182"), func(f Fields) any { return f.DigitalObjectID }, "10.1000/182"},
		{"doi prefix spaced", FieldDOI, Str("  DOI: 10.1000/182 "), func(f Fields) any { return f.DigitalObjectID }, "10.1000/182"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := checkErrors(t, testRules(), with(c.field, c.value), nil)
			if got := c.get(f); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestValidateChoices(t *testing.T) {
	bad := func(field, value, suggestion string) []FieldError {
		return []FieldError{{Field: field, Code: CodeInvalidChoice, Value: value, Allowed: testVocab.Values(field), Suggestion: suggestion}}
	}
	cases := []struct {
		name  string
		field string
		value RawValue
		want  []FieldError
	}{
		{"exact", FieldCollection, Str("code"), nil},
		{"case-sensitive", FieldCollection, Str("Primary"), bad(FieldCollection, "Primary", "primary")},
		{"label given", FieldCollection, Str("Non-Spatial"), bad(FieldCollection, "Non-Spatial", "primary")},
		{"far off", FieldCollection, Str("spreadsheet"), bad(FieldCollection, "spreadsheet", "")},
		{"list for a single choice", FieldCollection, List([]string{"primary"}), []FieldError{{Field: FieldCollection, Code: CodeInvalidFormat, Reason: ReasonType}}},
		{"frequency case", FieldFrequency, Str("p1y"), bad(FieldFrequency, "p1y", "P1Y")},
		{"jurisdiction typo", FieldJurisdiction, Str("federl"), bad(FieldJurisdiction, "federl", "federal")},
		{"several subjects", FieldSubject, Str("law, agriculture"), nil},
		{"bad subject among good", FieldSubject, List([]string{"law", "Agriculture"}), bad(FieldSubject, "Agriculture", "agriculture")},
		{"far-off subject", FieldSubject, Str("law, quantum"), bad(FieldSubject, "quantum", "")},
		{"repeated subject", FieldSubject, Str("law,agriculture,law"), []FieldError{{Field: FieldSubject, Code: CodeRepeatedChoice, Value: "law"}}},
		{"repeated after trim", FieldSubject, List([]string{"law", " law "}), []FieldError{{Field: FieldSubject, Code: CodeRepeatedChoice, Value: "law"}}},
		{"several audiences", FieldAudience, List([]string{"youth", "seniors"}), nil},
		{"repeated audience", FieldAudience, List([]string{"youth", "seniors", "youth"}), []FieldError{{Field: FieldAudience, Code: CodeRepeatedChoice, Value: "youth"}}},
		{"bad audience", FieldAudience, Str("Youth"), bad(FieldAudience, "Youth", "youth")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkErrors(t, testRules(), with(c.field, c.value), c.want) })
	}
}

func TestValidateDates(t *testing.T) {
	const start, end = FieldCoverageStart, FieldCoverageEnd
	cases := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"leap day", map[string]string{FieldDatePublished: "2024-02-29"}, nil},
		{"not a leap year", map[string]string{FieldDatePublished: "2023-02-29"}, []string{"date_published:invalid_date"}},
		{"30 February", map[string]string{FieldDatePublished: "2024-02-30"}, []string{"date_published:invalid_date"}},
		{"unpadded", map[string]string{FieldDatePublished: "2024-2-3"}, []string{"date_published:invalid_date"}},
		{"two-digit year", map[string]string{FieldDatePublished: "24-01-01"}, []string{"date_published:invalid_date"}},
		{"slashes", map[string]string{FieldDatePublished: "2024/01/31"}, []string{"date_published:invalid_date"}},
		{"with a time", map[string]string{FieldDatePublished: "2024-01-31T00:00:00Z"}, []string{"date_published:invalid_date"}},
		{"month 13", map[string]string{start: "2024-13-01"}, []string{start + ":invalid_date"}},
		{"today", map[string]string{FieldDatePublished: testToday}, nil},
		{"tomorrow", map[string]string{FieldDatePublished: "2024-06-16"}, []string{"date_published:future_date"}},
		{"next year", map[string]string{FieldDatePublished: "2025-01-01"}, []string{"date_published:future_date"}},
		{"end before start", map[string]string{start: "2020-01-02", end: "2020-01-01"}, []string{end + ":date_order"}},
		{"same day", map[string]string{start: "2020-01-01", end: "2020-01-01"}, nil},
		{"only start", map[string]string{start: "2020-01-01"}, nil},
		{"only end", map[string]string{end: "2020-01-01"}, nil},
		{"future coverage", map[string]string{start: "2030-01-01", end: "2031-12-31"}, nil},
		{"bad start, no order check", map[string]string{start: "2024-02-30", end: "2020-01-01"}, []string{start + ":invalid_date"}},
		{"bad end", map[string]string{start: "2020-01-01", end: "2020-1-1"}, []string{end + ":invalid_date"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := validRaw()
			for k, v := range c.set {
				raw[k] = Str(v)
			}
			checkSummary(t, raw, c.want...)
		})
	}
}

// TestValidateReportsEverythingInTableOrder sets many fields wrong at once.
func TestValidateReportsEverythingInTableOrder(t *testing.T) {
	raw := validRaw()
	for field, v := range map[string]RawValue{
		FieldFileURL:       Str("ftp://example.gc.ca/a.csv"),
		FieldFileName:      Str("a\x00.csv"),
		FieldEmailContact:  Str("Jane <jane@canada.ca>"),
		FieldCollection:    Str("Primary"),
		FieldTitleEN:       Str(strings.Repeat("é", MaxTitle+1)),
		FieldNotesFR:       Str(" "),
		FieldKeywordsEN:    Str("a, forest  fire"),
		FieldKeywordsFR:    {BadType: true},
		FieldSubject:       Str("law, law, bogus"),
		FieldDatePublished: Str("2024-06-16"),
		FieldCoverageStart: Str("2020-01-02"),
		FieldCoverageEnd:   Str("2020-01-01"),
		FieldAudience:      List([]string{"Youth"}),
		FieldDOI:           Str("10.1/x"),
	} {
		raw[field] = v
	}
	delete(raw, FieldFileID)
	delete(raw, FieldJurisdiction)
	checkSummary(t, raw,
		"file_url:invalid_format:url",
		"file_id:required",
		"file_name:invalid_format:control",
		"email_contact:invalid_format:email",
		"collection:invalid_choice",
		"title_translated_en:too_long",
		"notes_translated_fr:required",
		"keywords_en:too_short",
		"keywords_en:invalid_format:double_space",
		"keywords_fr:invalid_format:type",
		"subject:repeated_choice",
		"subject:invalid_choice",
		"date_published:future_date",
		"jurisdiction:required",
		"time_period_coverage_end:date_order",
		"audience:invalid_choice",
		"digital_object_identifier:invalid_format:doi",
	)
}

func TestErrorsPerFieldAreBounded(t *testing.T) {
	rules := Rules{Vocabulary: MustLoadVocabulary(), Today: "2026-01-01"}
	bad := strings.Repeat("ab,", 100000)
	_, errs := rules.Validate(RawFields{FieldSubject: Str(bad), FieldAudience: Str("x,x,y")})
	counts := map[string]int{}
	for _, e := range errs {
		counts[e.Field]++
	}
	if counts[FieldSubject] != MaxErrorsPerField || counts[FieldAudience] != 3 {
		t.Fatalf("errors per field: %v", counts)
	}
}
