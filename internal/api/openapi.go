package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// The OpenAPI document is written by hand, except its enums: those come from
// the server's own vocabulary and codes when it starts, so they cannot drift.
// Tests lint it and validate every request and response of the API's tests against it.
//
//go:embed openapi.json
var openAPIJSON []byte

// OpenAPIJSON returns the OpenAPI 3.1 document the server serves.
func (s *Server) OpenAPIJSON() []byte { return s.openapi.body }

// vocabularySchemas names the schema that holds each vocabulary's enum.
var vocabularySchemas = [...]struct{ field, schema string }{
	{"collection", "CollectionChoice"}, {"subject", "SubjectChoice"}, {"frequency", "FrequencyChoice"},
	{"jurisdiction", "JurisdictionChoice"}, {"audience", "AudienceChoice"},
}

func openAPIDocument(vocab *opendata.Vocabulary, publicURL string) (staticJSON, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIJSON, &doc); err != nil {
		return staticJSON{}, fmt.Errorf("openapi document: %w", err)
	}
	if err := fillOpenAPI(doc, vocab, publicURL); err != nil {
		return staticJSON{}, fmt.Errorf("openapi document: %w", err)
	}
	d, err := newStaticJSON(doc)
	if err != nil {
		return d, err
	}
	d.header["Cache-Control"] = []string{"public, max-age=300"}
	return d, nil
}

// fillOpenAPI sets the enums, the patterns of comma-separated choices and the contact URL.
func fillOpenAPI(doc map[string]any, vocab *opendata.Vocabulary, publicURL string) error {
	var fields []string
	for _, v := range vocabularySchemas {
		values := vocab.Values(v.field)
		if len(values) == 0 {
			return fmt.Errorf("no %s vocabulary", v.field)
		}
		if err := set(doc, values, "components", "schemas", v.schema, "enum"); err != nil {
			return err
		}
		fields = append(fields, v.field)
	}
	if err := set(doc, fields, "components", "schemas", "ChoiceList", "properties", "field", "enum"); err != nil {
		return err
	}
	// A comma-separated string of subject (at least one) or audience (maybe none) choices.
	subject, audience := choiceAlternatives(vocab.Values("subject")), choiceAlternatives(vocab.Values("audience"))
	if err := set(doc, `^[\s,]*`+subject+`\s*(?:,[\s,]*(?:`+subject+`\s*)?)*$`,
		"components", "schemas", "SubmitRequest", "properties", "subject", "oneOf", "0", "pattern"); err != nil {
		return err
	}
	if err := set(doc, `^[\s,]*(?:`+audience+`\s*(?:,[\s,]*(?:`+audience+`\s*)?)*)?$`,
		"components", "schemas", "SubmitRequest", "properties", "audience", "oneOf", "0", "pattern"); err != nil {
		return err
	}
	if err := set(doc, ProblemCodes(), "components", "schemas", "ProblemCode", "enum"); err != nil {
		return err
	}
	if err := set(doc, opendata.FieldCodes(), "components", "schemas", "FieldProblemCode", "enum"); err != nil {
		return err
	}
	return set(doc, publicURL+"/", "info", "contact", "url")
}

func choiceAlternatives(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	return "(?:" + strings.Join(quoted, "|") + ")"
}

// set replaces the value at path (object keys, or indexes of arrays) in doc;
// every step but the last must exist, so a renamed schema fails loudly.
func set(doc map[string]any, value any, path ...string) error {
	var node any = doc
	for i, step := range path {
		last := i == len(path)-1
		switch n := node.(type) {
		case map[string]any:
			if last {
				n[step] = value
				return nil
			}
			node = n[step]
		case []any:
			var j int
			if _, err := fmt.Sscan(step, &j); err != nil || j < 0 || j >= len(n) {
				return fmt.Errorf("no %s", strings.Join(path[:i+1], "/"))
			}
			if last {
				n[j] = value
				return nil
			}
			node = n[j]
		default:
			return fmt.Errorf("no %s", strings.Join(path[:i], "/"))
		}
		if node == nil {
			return fmt.Errorf("no %s", strings.Join(path[:i+1], "/"))
		}
	}
	return nil
}
