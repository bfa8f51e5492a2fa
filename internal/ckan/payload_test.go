package ckan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestBuildPayloadGolden(t *testing.T) {
	got := examplePayload(testID).JSON()
	path := filepath.Join("testdata", "payload_full.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("payload differs from %s (run with -update to accept):\n%s", path, got)
	}
}

func TestBuildPayloadOmitsEmptyOptionals(t *testing.T) {
	f := exampleFields()
	f.Audience, f.CoverageStart, f.CoverageEnd, f.DigitalObjectID = nil, "", "", ""
	p := BuildPayload(PayloadInput{ID: testID, Fields: f, OwnerOrg: "org"})
	var m map[string]any
	if err := json.Unmarshal(p.JSON(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"audience", "time_period_coverage_start", "time_period_coverage_end", "digital_object_identifier"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s present though empty", k)
		}
	}
	res := m["resources"].([]any)[0].(map[string]any)
	for _, k := range []string{"size", "format"} {
		if _, ok := res[k]; ok {
			t.Errorf("resource %s present though unknown", k)
		}
	}
	for k, want := range map[string]any{"imso_approval": "true", "ready_to_publish": "true", "license_id": "ca-ogl-lgo",
		"restrictions": "unrestricted", "type": "dataset", "maintainer_email": "you@example.gc.ca"} {
		if m[k] != want {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
}

func TestResourceNameFallsBackToURL(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"data.csv", "https://h/x/y.csv", "data.csv"},
		{"", "https://h/x/y%20z.csv", "y z.csv"},
		{"", "https://h/", "h"},
	} {
		if got := resourceName(tc.name, tc.url); got != tc.want {
			t.Errorf("resourceName(%q, %q) = %q, want %q", tc.name, tc.url, got, tc.want)
		}
	}
}
