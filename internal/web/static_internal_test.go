package web

import (
	"regexp"
	"testing"
)

func TestAssetURL(t *testing.T) {
	a, err := newAssets()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(a.version) {
		t.Errorf("version %q", a.version)
	}
	if got, err := a.url("gcds/gcds.css"); err != nil || got != "/static/"+a.version+"/gcds/gcds.css" {
		t.Errorf("url(gcds/gcds.css) = %q, %v", got, err)
	}
	// A template that names a file the binary lacks, or one not served, fails to render.
	for _, name := range []string{"gcds/nope.css", "gcds/LICENSE", "gcds", "../web.go"} {
		if got, err := a.url(name); err == nil {
			t.Errorf("url(%q) = %q, want an error", name, got)
		}
	}
}
