package opendata

import (
	"os"
	"strings"
	"testing"
)

// manyErrorsBody has a problem in nearly every field, and an unknown one.
const manyErrorsBody = `{
  "file_url": "ftp://example.gc.ca/a.csv", "file_id": 42, "file_name": "a\u0000.csv",
  "email_contact": "Jane Doe <jane@canada.ca>", "collection": "Primary",
  "title_translated_en": "", "title_translated_fr": "Couvert\nforestier",
  "notes_translated_en": "Notes", "notes_translated_fr": null,
  "keywords_en": "a, forest  fire, b", "keywords_fr": ["forêt", 3],
  "subject": "Agriculture, law, law, economics", "frequency": "yearly",
  "date_published": "2024-02-30", "jurisdiction": "Federal",
  "time_period_coverage_start": "2020-01-02", "time_period_coverage_end": "2020-01-01",
  "audience": ["youth", "Youth"], "digital_object_identifier": "doi:10.1/x",
  "sujet": "law"
}`

func BenchmarkDecodeValidate(b *testing.B) {
	valid, err := os.ReadFile("testdata/valid_submission.json")
	if err != nil {
		b.Fatal(err)
	}
	rules := testRules()
	for _, c := range []struct {
		name   string
		body   []byte
		errors int
	}{
		{"valid", valid, 0},
		{"many_errors", []byte(manyErrorsBody), 22},
		{"valid_100_keywords", []byte(strings.Replace(string(valid), `"forest,  land cover ,,satellite imagery,"`,
			`"`+strings.Join(keywordList(MaxKeywords), ", ")+`"`, 1)), 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				raw, errs := DecodeJSON(c.body)
				_, verrs := rules.Validate(raw)
				if n := len(errs) + len(verrs); n != c.errors {
					b.Fatalf("%d errors, want %d: %v %v", n, c.errors, summary(errs), summary(verrs))
				}
			}
		})
	}
}
