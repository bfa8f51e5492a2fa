package ckan

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseAnswer: any answer either succeeds (200, an envelope with success true)
// or is one *Error with an action and a type; nothing panics.
func FuzzParseAnswer(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{200, `{"help": "h", "success": true, "result": {"id": "x"}}`},
		{409, `{"success": false, "error": {"__type": "Validation Error", "resources": [{}, {"format": ["bad"]}], "title_translated": ["Required language \"fr\" missing"]}}`},
		{409, `{"success": false, "error": {"__type": "Validation Error", "keywords": {"fr": [["nested"]]}, "x": 3}}`},
		{400, `"Bad request - JSON Error: Expecting value"`},
		{503, `<html><title>503</title></html>`},
		{200, `{"success": true`},
		{302, ``},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res, e := parseAnswer("package_show", status, body)
		if e == nil {
			var env envelope
			if status != 200 || json.Unmarshal(body, &env) != nil || env.Success == nil || !*env.Success {
				t.Fatalf("success for status %d body %q", status, body)
			}
			_ = res
			return
		}
		if e.Action != "package_show" || e.Type == "" || e.Status != status {
			t.Fatalf("error %+v lacks action, type or status", e)
		}
		if status >= 500 && !e.Retryable() {
			t.Fatalf("status %d not retryable", status)
		}
		for _, fe := range e.Fields {
			if fe.Field == "" {
				t.Fatalf("field error without a field: %+v", e.Fields)
			}
		}
		if msg := e.Error(); !strings.HasPrefix(msg, "ckan package_show") {
			t.Fatalf("error text %q", msg)
		}
	})
}
