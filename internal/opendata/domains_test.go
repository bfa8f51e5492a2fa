package opendata

import "testing"

func TestInEmailDomains(t *testing.T) {
	allowed := []string{"gc.ca", " @Canada.CA "}
	for email, want := range map[string]bool{
		"a@gc.ca": true, "a@nrcan.gc.ca": true, "A@NRCAN.GC.CA": true, "a@canada.ca": true,
		"a@evilgc.ca": false, "a@gc.ca.evil.com": false, "a@example.com": false,
	} {
		if got := InEmailDomains(email, allowed); got != want {
			t.Errorf("%s: %v, want %v", email, got, want)
		}
	}
	if !InEmailDomains("a@example.com", nil) {
		t.Error("with no domains given, every address is allowed")
	}
}
