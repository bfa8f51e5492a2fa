package opendata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// sharedChoicesPath finds shared/vocabulary/choices.json by walking up from the
// package directory, looking in each parent and beside it (CI clones the repo
// next to a copy of shared/, i.e. <clone>/../shared/).
func sharedChoicesPath(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join("shared", "vocabulary", "choices.json")
	for {
		for _, p := range []string{filepath.Join(dir, rel), filepath.Join(dir, "..", rel)} {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared/vocabulary/choices.json not found in any parent of the package directory (or beside one); cannot compare the embedded copy")
		}
		dir = parent
	}
}

// TestEmbeddedVocabularyMatchesShared compares the two files as JSON values, so
// that layout and key order do not matter but every key and value does.
func TestEmbeddedVocabularyMatchesShared(t *testing.T) {
	path := sharedChoicesPath(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var shared, embedded any
	if err := json.Unmarshal(b, &shared); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := json.Unmarshal(choicesJSON, &embedded); err != nil {
		t.Fatalf("embedded choices.json: %v", err)
	}
	if reflect.DeepEqual(embedded, shared) {
		return
	}
	t.Errorf("internal/opendata/choices.json differs from %s; copy the shared file over it", path)
	var lists []ChoiceList
	if json.Unmarshal(b, &lists) == nil {
		for _, l := range lists {
			if !reflect.DeepEqual(testVocab.List(l.Field), l.Choices) {
				t.Logf("the %q choices differ", l.Field)
			}
		}
	}
}

func TestVocabularyOrder(t *testing.T) {
	var fields []string
	for _, l := range testVocab.Lists() {
		fields = append(fields, l.Field)
	}
	if want := []string{"collection", "subject", "frequency", "jurisdiction", "audience"}; !slices.Equal(fields, want) {
		t.Errorf("lists in order %q, want %q", fields, want)
	}
	for _, c := range []struct {
		field string
		want  []string
	}{
		{"collection", []string{"primary", "code", "api", "app"}},
		{"jurisdiction", []string{"federal", "provincial", "municipal", "user"}},
	} {
		if got := testVocab.Values(c.field); !slices.Equal(got, c.want) {
			t.Errorf("Values(%q) = %q, want %q", c.field, got, c.want)
		}
	}
	if got := testVocab.Values("frequency"); len(got) != 21 || got[0] != "as_needed" || got[20] != "unknown" {
		t.Errorf("Values(frequency) = %q, want 21 values from as_needed to unknown", got)
	}
	if got := testVocab.Values("sujet"); len(got) != 0 {
		t.Errorf("Values of an unknown field = %q, want none", got)
	}
}

func TestVocabularyHas(t *testing.T) {
	for _, c := range []struct {
		field, value string
		want         bool
	}{
		{"collection", "primary", true},
		{"collection", "Primary", false},
		{"collection", "PRIMARY", false},
		{"collection", " primary", false},
		{"collection", "Non-Spatial", false}, // a label is not a value
		{"collection", "law", false},         // a value of another field
		{"subject", "law", true},
		{"frequency", "P1Y", true},
		{"frequency", "p1y", false},
		{"audience", "youth", true},
		{"sujet", "law", false},
		{"", "", false},
	} {
		if got := testVocab.Has(c.field, c.value); got != c.want {
			t.Errorf("Has(%q, %q) = %v, want %v", c.field, c.value, got, c.want)
		}
	}
}

func TestVocabularyLabel(t *testing.T) {
	for _, c := range []struct {
		field, value, lang, want string
	}{
		{"collection", "primary", "en", "Non-Spatial"},
		{"collection", "primary", "fr", "Non spatiales"},
		{"subject", "economics_and_industry", "en", "Economics and Industry"},
		{"subject", "economics_and_industry", "fr", "Économie et industrie"},
		{"frequency", "P1Y", "en", "Annually"},
		{"jurisdiction", "federal", "fr", "Fédérale"},
		{"audience", "youth", "fr", "Jeunesse"},
		{"collection", "primary", "", "Non-Spatial"}, // English by default
		{"collection", "Primary", "fr", "Primary"},   // an unknown value is its own label
		{"sujet", "law", "en", "law"},
	} {
		if got := testVocab.Label(c.field, c.value, c.lang); got != c.want {
			t.Errorf("Label(%q, %q, %q) = %q, want %q", c.field, c.value, c.lang, got, c.want)
		}
	}
}

func TestVocabularySuggest(t *testing.T) {
	for _, c := range []struct {
		field, value, want string
	}{
		{"collection", "Primary", "primary"},
		{"collection", "Non-Spatial", "primary"},   // English label
		{"collection", "non spatiales", "primary"}, // French label
		{"collection", "primry", "primary"},        // a typo
		{"collection", "spreadsheet", ""},          // too far from anything
		{"collection", "", ""},
		{"collection", " - ", ""},
		{"subject", "Économie et industrie", "economics_and_industry"},
		{"subject", "economics-and-industry", "economics_and_industry"},
		{"subject", "agriculure", "agriculture"},
		{"subject", "quantum", ""},
		{"subject", "Nature", "nature_and_environment"}, // the only choice it begins
		{"subject", "Transp", "transport"},
		{"subject", "tra", ""},  // begins transport and "Travail et emploi"
		{"subject", "na", ""},   // too short to be a prefix
		{"audience", "non", ""}, // noncanadians or nongovernmental_organizations
		{"frequency", "p1y", "P1Y"},
		{"frequency", "Annually", "P1Y"},
		{"jurisdiction", "Federal", "federal"},
		{"audience", "Youth", "youth"},
		{"sujet", "law", ""},
	} {
		if got := testVocab.Suggest(c.field, c.value); got != c.want {
			t.Errorf("Suggest(%q, %q) = %q, want %q", c.field, c.value, got, c.want)
		}
	}
}
