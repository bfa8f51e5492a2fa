package opendata

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

//go:embed choices.json
var choicesJSON []byte

// Choice is one allowed value of a choice field with its two labels.
type Choice struct {
	Value string `json:"value"`
	EN    string `json:"en"`
	FR    string `json:"fr"`
}

// ChoiceList is the vocabulary of one field, in schema order.
type ChoiceList struct {
	Field   string   `json:"field"`
	Choices []Choice `json:"choices"`
}

// Vocabulary holds the canonical choice lists (from the ckanext-canada schema).
type Vocabulary struct {
	lists []ChoiceList
	index map[string]map[string]int // field -> value -> position
}

// VocabularyFields is the order in which the draft API lists the vocabularies.
var vocabularyFields = [...]string{"collection", "subject", "frequency", "jurisdiction", "audience"}

// LoadVocabulary parses the embedded canonical lists.
func LoadVocabulary() (*Vocabulary, error) {
	var lists []ChoiceList
	if err := json.Unmarshal(choicesJSON, &lists); err != nil {
		return nil, fmt.Errorf("load vocabulary: %w", err)
	}
	if len(lists) != len(vocabularyFields) {
		return nil, fmt.Errorf("load vocabulary: %d lists, want %d", len(lists), len(vocabularyFields))
	}
	v := &Vocabulary{lists: lists, index: make(map[string]map[string]int, len(lists))}
	for i, l := range lists {
		if l.Field != vocabularyFields[i] {
			return nil, fmt.Errorf("load vocabulary: list %d is %q, want %q", i, l.Field, vocabularyFields[i])
		}
		m := make(map[string]int, len(l.Choices))
		for j, c := range l.Choices {
			if _, dup := m[c.Value]; dup || c.Value == "" || c.EN == "" || c.FR == "" {
				return nil, fmt.Errorf("load vocabulary: %s: bad or repeated choice %q", l.Field, c.Value)
			}
			m[c.Value] = j
		}
		v.index[l.Field] = m
	}
	return v, nil
}

// MustLoadVocabulary is LoadVocabulary for callers that cannot go on without it.
func MustLoadVocabulary() *Vocabulary {
	v, err := LoadVocabulary()
	if err != nil {
		panic(err)
	}
	return v
}

// Lists returns the choice lists in API order. The caller must not modify them.
func (v *Vocabulary) Lists() []ChoiceList { return v.lists }

// List returns the choices of one field.
func (v *Vocabulary) List(field string) []Choice {
	if i, ok := v.position(field); ok {
		return v.lists[i].Choices
	}
	return nil
}

func (v *Vocabulary) position(field string) (int, bool) {
	for i, f := range vocabularyFields {
		if f == field {
			return i, true
		}
	}
	return 0, false
}

// Has reports whether value is an allowed choice of field (exact, case-sensitive).
func (v *Vocabulary) Has(field, value string) bool {
	_, ok := v.index[field][value]
	return ok
}

// Label returns the label of a choice in lang ("en" or "fr"), or the value itself.
func (v *Vocabulary) Label(field, value, lang string) string {
	j, ok := v.index[field][value]
	if !ok {
		return value
	}
	i, _ := v.position(field)
	c := v.lists[i].Choices[j]
	if lang == "fr" {
		return c.FR
	}
	return c.EN
}

// Values returns the allowed values of field in schema order.
func (v *Vocabulary) Values(field string) []string {
	cs := v.List(field)
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Value
	}
	return out
}

// Suggest returns the allowed value closest to a rejected one, or "" when none is close.
// Case and separators are ignored; a value or label matches whole, then as the
// only choice it begins, then by a small edit distance.
func (v *Vocabulary) Suggest(field, value string) string {
	norm := normalizeChoice(value)
	if norm == "" {
		return ""
	}
	// A suggestion further away than about a third of the word is noise. The edit
	// distance is at least the difference in length, so a value of very different
	// length is never measured: a long rejected value would otherwise cost seconds.
	n := utf8.RuneCountInString(norm)
	maxDist := (n + 1) / 3
	best, bestDist := "", -1
	prefixed, prefixes := "", 0
	for _, c := range v.List(field) {
		nv, ne, nf := normalizeChoice(c.Value), normalizeChoice(c.EN), normalizeChoice(c.FR)
		if nv == norm || ne == norm || nf == norm {
			return c.Value
		}
		if len(norm) >= 3 && (strings.HasPrefix(nv, norm) || strings.HasPrefix(ne, norm) || strings.HasPrefix(nf, norm)) {
			prefixed, prefixes = c.Value, prefixes+1
		}
		if abs(n-utf8.RuneCountInString(nv)) > maxDist {
			continue
		}
		if d := levenshtein(norm, nv); bestDist < 0 || d < bestDist {
			best, bestDist = c.Value, d
		}
	}
	if prefixes == 1 { // "Nature" -> nature_and_environment
		return prefixed
	}
	if bestDist >= 0 && bestDist <= maxDist {
		return best
	}
	return ""
}

func abs(x int) int { return max(x, -x) }

func normalizeChoice(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', ',':
			return -1
		}
		return r
	}, s)
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
