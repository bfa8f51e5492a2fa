package pdf

import (
	"slices"
	"testing"
)

// The approval form names its submission; a file with no text names none.
func TestNamedSubmissions(t *testing.T) {
	d := sampleData()
	ids, err := NamedSubmissions(render(t, d))
	if err != nil || !slices.Equal(ids, []string{d.ID}) {
		t.Fatalf("ids %v, %v; want [%s]", ids, err, d.ID)
	}
	if ids, err := NamedSubmissions([]byte("%PDF-1.4 not really")); len(ids) != 0 || err == nil {
		t.Errorf("garbage: %v, %v", ids, err)
	}
}
