package opendata

import "strconv"

// testVocab is the embedded vocabulary, loaded once for all tests.
var testVocab = MustLoadVocabulary()

// testToday is the "today" of every test, so that dates never age out.
const testToday = "2024-06-15"

func testRules() Rules { return Rules{Vocabulary: testVocab, Today: testToday} }

// validRaw returns a fresh valid submission; tests change one field at a time.
func validRaw() RawFields {
	return RawFields{
		FieldFileURL:       Str("https://open.example.gc.ca/data/forest-cover-2023.csv"),
		FieldFileID:        Str("3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
		FieldFileName:      Str("forest-cover-2023.csv"),
		FieldEmailContact:  Str("jane.doe@nrcan-rncan.gc.ca"),
		FieldCollection:    Str("primary"),
		FieldTitleEN:       Str("Forest cover of Canada, 2023"),
		FieldTitleFR:       Str("Couvert forestier du Canada, 2023"),
		FieldNotesEN:       Str("Annual forest cover.\nOne row per province."),
		FieldNotesFR:       Str("Couvert forestier annuel.\nUne ligne par province."),
		FieldKeywordsEN:    Str("forest, land cover"),
		FieldKeywordsFR:    Str("forêt, couverture terrestre"),
		FieldSubject:       Str("nature_and_environment"),
		FieldFrequency:     Str("P1Y"),
		FieldDatePublished: Str("2024-01-31"),
		FieldJurisdiction:  Str("federal"),
	}
}

// with returns validRaw with one field replaced.
func with(field string, v RawValue) RawFields {
	raw := validRaw()
	raw[field] = v
	return raw
}

// without returns validRaw with one field removed.
func without(field string) RawFields {
	raw := validRaw()
	delete(raw, field)
	return raw
}

// summary renders errors as "field:code" or "field:code:reason", for compact assertions.
func summary(errs []FieldError) []string {
	out := make([]string, len(errs))
	for i, fe := range errs {
		s := fe.Field + ":" + fe.Code
		if fe.Reason != "" {
			s += ":" + fe.Reason
		}
		out[i] = s
	}
	return out
}

// keywordList returns n distinct keywords.
func keywordList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "mot-clé " + strconv.Itoa(i)
	}
	return out
}
