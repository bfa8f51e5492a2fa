package opendata

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
)

// producedCodes are the codes DecodeJSON and Validate may return (duplicate is the store's).
var producedCodes = map[string]bool{
	CodeRequired: true, CodeTooLong: true, CodeTooShort: true, CodeTooMany: true,
	CodeInvalidFormat: true, CodeInvalidChoice: true, CodeRepeatedChoice: true, CodeInvalidDate: true,
	CodeFutureDate: true, CodeDateOrder: true, CodeUnknownField: true, CodeMalformedJSON: true,
}

var knownReasons = map[string]bool{
	ReasonType: true, ReasonURL: true, ReasonUserinfo: true, ReasonEmail: true,
	ReasonEmailDomain: true, ReasonDOI: true, ReasonControl: true, ReasonDoubleSpace: true,
}

func FuzzDecodeValidate(f *testing.F) {
	valid, err := os.ReadFile("testdata/valid_submission.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	for _, field := range []string{FieldKeywordsEN, FieldSubject, FieldFileURL, FieldDOI} {
		f.Add(validBodyWith(f, field, `["a", "b, c", "  "]`))
		f.Add(validBodyWith(f, field, `{"x": [1, null, true]}`))
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, ``, `{"a":1}{}`, `{"file_id": "a"}]`, `{"sujet": "law", "nom_fichier": "a"}`,
		`{"file_id": "\u0000\ud800", "title_translated_en": "\u2028", "keywords_en": "a,  b ,, \t"}`,
		`{"email_contact": "Jane <j@x.ca>, k@y.ca", "file_url": "https://u:p@x/ y"}`,
		`{"digital_object_identifier": "DOI: https://doi.org/10.1/", "collection": "Primary"}`,
		`{"date_published": "2024-02-30", "time_period_coverage_start": "9999-12-31", "time_period_coverage_end": "0000-01-01"}`,
		`{"subject": "law,law,LAW", "audience": [""], "keywords_fr": [null]}`,
		"{\"file_name\": \"\xff\xfe\", \"notes_translated_fr\": \"\\r\\n\\t\"}",
		`{"file_id": 1e999, "file_name": {"a": [[[[]]]]}, "collection": true, "frequency": -0}`,
	} {
		f.Add([]byte(s))
	}
	rules := testRules()
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, decodeErrs := DecodeJSON(body)
		for _, fe := range decodeErrs {
			switch fe.Code {
			case CodeMalformedJSON:
				if len(decodeErrs) != 1 || fe.Field != "" || raw != nil {
					t.Fatalf("malformed_json must stand alone with no field and no values: %+v, %v", decodeErrs, raw)
				}
				return
			case CodeUnknownField:
				if isKnownField(fe.Field) {
					t.Fatalf("known field %q reported unknown", fe.Field)
				}
			default:
				t.Fatalf("DecodeJSON returned code %q", fe.Code)
			}
		}
		fields, errs := rules.Validate(raw)
		for _, fe := range errs {
			if !producedCodes[fe.Code] || fe.Code == CodeUnknownField || fe.Code == CodeMalformedJSON {
				t.Fatalf("Validate returned code %q: %+v", fe.Code, fe)
			}
			if !isKnownField(fe.Field) {
				t.Fatalf("Validate reported unknown field %q: %+v", fe.Field, fe)
			}
			if (fe.Code == CodeInvalidFormat) != (fe.Reason != "") || (fe.Reason != "" && !knownReasons[fe.Reason]) {
				t.Fatalf("bad reason %q for code %q", fe.Reason, fe.Code)
			}
		}
		if len(errs) > 0 {
			if !reflect.DeepEqual(fields, Fields{}) {
				t.Fatalf("fields returned with errors: %+v", fields)
			}
			return
		}
		checkRoundTrip(t, rules, fields)
	})
}

// checkRoundTrip asserts that valid output validates to itself, both as Go
// values (Fields.Raw, as forms use it) and as JSON (as a client would resend it).
func checkRoundTrip(t *testing.T, rules Rules, fields Fields) {
	t.Helper()
	again, errs := rules.Validate(fields.Raw())
	if len(errs) > 0 || !reflect.DeepEqual(again, fields) {
		t.Fatalf("Raw round trip changed the fields:\n got %+v, %+v\nwant %+v", again, errs, fields)
	}
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	raw, decodeErrs := DecodeJSON(b)
	again, errs = rules.Validate(raw)
	if len(decodeErrs)+len(errs) > 0 || !reflect.DeepEqual(again, fields) {
		t.Fatalf("JSON round trip changed the fields:\n got %+v, %+v %+v\nwant %+v", again, decodeErrs, errs, fields)
	}
}

func isKnownField(name string) bool { return slices.Contains(FieldNames, name) }

// FuzzValidateField changes one field of a valid submission, so that the fuzzer
// spends its time on values rather than on JSON syntax, and often reaches valid
// output whose round trip can be checked.
func FuzzValidateField(f *testing.F) {
	for i, name := range FieldNames {
		f.Add(uint8(i), " "+name+", x ", false)
		f.Add(uint8(i), "doi:10.1234/a,b", true)
	}
	f.Add(uint8(0), "https://doi.org/10.1234/é", false)
	rules := testRules()
	f.Fuzz(func(t *testing.T, i uint8, value string, asList bool) {
		field := FieldNames[int(i)%len(FieldNames)]
		v := Str(value)
		if asList {
			v = List([]string{value, value + "s"})
		}
		fields, errs := rules.Validate(with(field, v))
		for _, fe := range errs {
			if fe.Field != field || !producedCodes[fe.Code] {
				t.Fatalf("error %+v for a change of %s only", fe, field)
			}
		}
		if len(errs) == 0 {
			checkRoundTrip(t, rules, fields)
		}
	})
}
