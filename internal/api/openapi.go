package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// The OpenAPI document is written by hand and kept true by a test that checks
// every route against it and validates real responses.
//
//go:embed openapi.json
var openAPIJSON []byte

// OpenAPIJSON returns the OpenAPI 3.1 document.
func OpenAPIJSON() []byte { return openAPIJSON }

func openAPIDocument() (staticJSON, error) {
	var doc any
	if err := json.Unmarshal(openAPIJSON, &doc); err != nil {
		return staticJSON{}, fmt.Errorf("openapi document: %w", err)
	}
	d, err := newStaticJSON(doc)
	if err != nil {
		return d, err
	}
	d.header["Cache-Control"] = []string{"public, max-age=300"}
	return d, nil
}
