package i18n

import (
	"strings"
	"testing"
)

// TestGlossary: every French term of the glossary is used, and none of the
// variants it avoids appears in the French catalogue.
func TestGlossary(t *testing.T) {
	var all strings.Builder
	for _, k := range Keys(FR) {
		all.WriteString(strings.ToLower(T(FR, k)))
		all.WriteString("\n")
	}
	text := all.String()
	for _, term := range Glossary {
		if !strings.Contains(text, term.FR) {
			t.Errorf("the glossary's %q (%s) is not used", term.FR, term.EN)
		}
		for _, bad := range term.Avoid {
			if strings.Contains(text, bad) {
				t.Errorf("%q is said %q somewhere: use %q", term.EN, bad, term.FR)
			}
		}
	}
}
