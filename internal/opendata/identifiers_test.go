package opendata_test

import (
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

func TestValidProject(t *testing.T) {
	for s, want := range map[string]bool{
		"CFS": true, "dfo-pac": true, "a_1": true, "9": true, strings.Repeat("A", 32): true,
		"": false, "-CFS": false, "_x": false, "C FS": false, "CFS/1": false, "CFS\n": false,
		strings.Repeat("A", 33): false, "ÉCCC": false,
	} {
		if got := opendata.ValidProject(s); got != want {
			t.Errorf("ValidProject(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestOneAddress(t *testing.T) {
	long := strings.Repeat("a", opendata.MaxEmail-len("@x.ca")) + "@x.ca"
	for s, want := range map[string]bool{
		"ana@example.ca": true, "Ana.B+tag@sub.example.ca": true, long: true,
		"": false, "ana": false, " ana@example.ca": false, "ana@example.ca ": false,
		"Ana <ana@example.ca>": false, "<ana@example.ca>": false, "a@x.ca, b@x.ca": false,
		"a" + long: false,
	} {
		if got := opendata.OneAddress(s); got != want {
			t.Errorf("OneAddress(%q) = %v, want %v", s, got, want)
		}
	}
}
