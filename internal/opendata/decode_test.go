package opendata

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestDecodeMalformedJSON(t *testing.T) {
	for name, body := range map[string]string{
		"empty body":            "",
		"only spaces":           " \n\t",
		"null":                  "null",
		"a string":              `"file_id"`,
		"a number":              `42`,
		"an array":              `[{"file_id": "a"}]`,
		"truncated":             `{"file_id": "a"`,
		"trailing garbage":      `{"file_id": "a"} x`,
		"trailing bracket":      `{"file_id": "a"}]`,
		"trailing brace":        `{"file_id": "a"}}`,
		"two objects":           `{"file_id": "a"}{"file_id": "b"}`,
		"two objects, spaced":   "{}\n{}",
		"single quotes":         `{'file_id': 'a'}`,
		"trailing comma":        `{"file_id": "a",}`,
		"bad escape":            `{"file_id": "\x"}`,
		"a name twice":          `{"file_id": "a", "file_id": "b"}`,
		"an unknown name twice": `{"x": 1, "x": 1}`,
		"a name twice, escaped": `{"file_id": "a", "file\u005fid": "b"}`,
		"deep nesting":          `{"notes_translated_en": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
		"a number as a name":    `{1: "a"}`,
	} {
		t.Run(name, func(t *testing.T) {
			raw, errs := DecodeJSON([]byte(body))
			if want := []FieldError{{Code: CodeMalformedJSON}}; !reflect.DeepEqual(errs, want) || raw != nil {
				t.Errorf("DecodeJSON(%q) = %v, %+v; want nil, %+v", body, raw, errs, want)
			}
		})
	}
}

func TestDecodeAcceptsWhitespaceAroundObject(t *testing.T) {
	raw, errs := DecodeJSON([]byte("\n  {\"file_id\": \"a\"}  \r\n"))
	if len(errs) != 0 || raw[FieldFileID].Str != "a" {
		t.Errorf("got %v, %+v", raw, errs)
	}
}

func TestDecodeUnknownFields(t *testing.T) {
	body := `{"sujet": "law", "file_id": "a", "nom_fichier": "a.csv", "File_URL": "x", "title": "t"}`
	raw, errs := DecodeJSON([]byte(body))
	var want []FieldError
	for _, name := range []string{"File_URL", "nom_fichier", "sujet", "title"} { // sorted
		want = append(want, FieldError{Field: name, Code: CodeUnknownField})
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("errors:\n got %+v\nwant %+v", errs, want)
	}
	if len(raw) != 1 || raw[FieldFileID].Str != "a" {
		t.Errorf("known fields are still decoded for Validate: got %v", raw)
	}
}

// TestDecodeValueTypes sends one field of an otherwise valid body with each JSON type.
func TestDecodeValueTypes(t *testing.T) {
	cases := []struct {
		field, json string
		want        []string // nil: valid
	}{
		{FieldFileID, `"abc"`, nil},
		{FieldFileID, `null`, []string{"file_id:required"}},
		{FieldFileID, `42`, []string{"file_id:invalid_format:type"}},
		{FieldFileID, `{"id": "abc"}`, []string{"file_id:invalid_format:type"}},
		{FieldFileID, `true`, []string{"file_id:invalid_format:type"}},
		{FieldFileID, `["abc"]`, []string{"file_id:invalid_format:type"}},
		{FieldCollection, `["primary"]`, []string{"collection:invalid_format:type"}},
		{FieldDatePublished, `20240131`, []string{"date_published:invalid_format:type"}},
		{FieldDOI, `null`, nil},
		{FieldDOI, `false`, []string{"digital_object_identifier:invalid_format:type"}},
		{FieldKeywordsEN, `["forest", "fire"]`, nil},
		{FieldKeywordsEN, `[]`, []string{"keywords_en:required"}},
		{FieldKeywordsEN, `null`, []string{"keywords_en:required"}},
		{FieldKeywordsEN, `["forest", 1]`, []string{"keywords_en:invalid_format:type"}},
		{FieldKeywordsEN, `["forest", null]`, []string{"keywords_en:invalid_format:type"}},
		{FieldKeywordsEN, `[["forest"]]`, []string{"keywords_en:invalid_format:type"}},
		{FieldKeywordsEN, `{"0": "forest"}`, []string{"keywords_en:invalid_format:type"}},
		{FieldSubject, `["law", true]`, []string{"subject:invalid_format:type"}},
		{FieldSubject, `7`, []string{"subject:invalid_format:type"}},
		{FieldAudience, `[null]`, []string{"audience:invalid_format:type"}},
		{FieldAudience, `[]`, nil},
	}
	for _, c := range cases {
		t.Run(c.field+"="+c.json, func(t *testing.T) {
			body := validBodyWith(t, c.field, c.json)
			raw, errs := DecodeJSON(body)
			if len(errs) != 0 {
				t.Fatalf("DecodeJSON: %+v", errs)
			}
			_, errs = testRules().Validate(raw)
			if got := summary(errs); !slices.Equal(got, c.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// validBodyWith returns the JSON of validRaw with one field set to a raw JSON value.
func validBodyWith(t testing.TB, field, value string) []byte {
	t.Helper()
	obj := map[string]json.RawMessage{}
	for name, v := range validRaw() {
		b, err := json.Marshal(v.Str)
		if err != nil {
			t.Fatal(err)
		}
		obj[name] = b
	}
	obj[field] = json.RawMessage(value)
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRawValueItems(t *testing.T) {
	cases := []struct {
		in   RawValue
		want []string
	}{
		{Str("a, b,,c"), []string{"a", "b", "c"}},
		{Str(" a ,\tb\n, , c ,"), []string{"a", "b", "c"}},
		{Str(""), nil},
		{Str(" , "), []string{}},
		{List([]string{" a", "", "b, c "}), []string{"a", "b, c"}},
		{List(nil), []string{}},
	}
	for _, c := range cases {
		if got := c.in.Items(); !slices.Equal(got, c.want) {
			t.Errorf("%+v.Items() = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestDecodeValidateGolden decodes and validates each testdata/*_submission.json
// and compares the normalized fields with *_normalized.json (go test -update rewrites them).
func TestDecodeValidateGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*_submission.json"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			raw, errs := DecodeJSON(body)
			if len(errs) != 0 {
				t.Fatalf("DecodeJSON: %+v", errs)
			}
			f := checkErrors(t, testRules(), raw, nil)
			got, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(in, "_submission.json") + "_normalized.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("normalized fields differ from %s:\n got %s\nwant %s", golden, got, want)
			}
		})
	}
}
