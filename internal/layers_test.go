// Package internal_test holds tests of how the packages depend on each other.
package internal_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/opendata-datahub/datahub/"

// forbidden lists, for each package, the packages it must not depend on,
// directly or not (ARCHITECTURE.md): the domain core imports no adapter, and
// adapters depend on what the core or a use case defines, not on each other.
var forbidden = map[string][]string{
	"internal/opendata": {"internal/store", "internal/api", "internal/web", "internal/jobs", "internal/auth",
		"internal/fetch", "internal/mail", "internal/ckan", "internal/publish", "internal/secret", "internal/pdf"},
	"internal/api":     {"internal/jobs", "internal/web", "internal/mail", "internal/fetch", "internal/ckan", "internal/publish"},
	"internal/web":     {"internal/jobs", "internal/api", "internal/mail", "internal/fetch"},
	"internal/auth":    {"internal/store", "internal/api", "internal/web", "internal/jobs"},
	"internal/store":   {"internal/jobs", "internal/api", "internal/web", "internal/auth", "internal/ckan", "internal/publish"},
	"internal/ckan":    {"internal/store", "internal/jobs", "internal/api", "internal/web"},
	"internal/publish": {"internal/store", "internal/jobs", "internal/api", "internal/web"},
	"internal/fetch":   {"internal/store", "internal/jobs", "internal/opendata"},
	"internal/mail":    {"internal/store", "internal/jobs", "internal/api", "internal/web"},
}

func TestLayers(t *testing.T) {
	for pkg, banned := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "./"+strings.TrimPrefix(pkg, "internal/")).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		for _, b := range banned {
			if slices.Contains(deps, module+b) {
				t.Errorf("%s depends on %s", pkg, b)
			}
		}
	}
}
