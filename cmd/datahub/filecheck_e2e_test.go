package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The real binary checks a submitted file served on loopback, which only
// DATAHUB_ALLOW_PRIVATE_FETCH lets it reach, and shows the result.
func TestFileCheckEndToEnd(t *testing.T) {
	file := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain") // the extension and the content say CSV
		io.WriteString(w, "plot,species,height\n1,Picea glauca,12.5\n")
	}))
	defer file.Close()
	data := t.TempDir()
	key := createKey(t, data, "CFS")
	t.Setenv("DATAHUB_ALLOW_PRIVATE_FETCH", "true")
	srv := startServer(t, data, "--job-workers", "2")
	if !strings.Contains(srv.logs.String(), "DATAHUB_ALLOW_PRIVATE_FETCH (--allow-private-fetch) is on") {
		t.Fatalf("no warning that private fetches are open:\n%s", srv.logs)
	}

	var body map[string]any
	json.Unmarshal([]byte(submission("checked")), &body)
	body["file_url"] = file.URL + "/plots.csv"
	raw, _ := json.Marshal(body)
	code, m := srv.call(t, "POST", "/api/opendata/submit", key, string(raw))
	if code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	id := m["datahub_id"].(string)
	fc := pollFileCheck(t, srv, key, id)
	if fc["state"] != "passed" || fc["format"] != "CSV" || fc["http_status"] != 200.0 || fc["checked_at"] == nil {
		t.Fatalf("file_check %v", fc)
	}

	if code, m := srv.call(t, "POST", "/api/opendata/submissions/"+id+"/check", key, ""); code != 202 {
		t.Fatalf("re-check: %d %v", code, m)
	}
	if fc := pollFileCheck(t, srv, key, id); fc["state"] != "passed" {
		t.Fatalf("after re-check: %v", fc)
	}
	r := datahub(t, nil, "jobs", "list", "--data", data, "--state", "completed,available,running")
	if r.code != 0 || !strings.Contains(r.stdout, "file_check") || strings.Count(r.stdout, id) < 1 {
		t.Fatalf("jobs list: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := datahub(t, nil, "jobs", "list", "--data", data, "--state", "bogus"); r.code != 2 {
		t.Fatalf("bad state: %d %s", r.code, r.stderr)
	}
	srv.stop(t)
}

// pollFileCheck waits until the submission's file check is no longer pending.
func pollFileCheck(t *testing.T, srv *server, key, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, m := srv.call(t, "GET", "/api/opendata/submissions/"+id, key, "")
		if code != 200 {
			t.Fatalf("status: %d %v", code, m)
		}
		if fc, _ := m["file_check"].(map[string]any); fc != nil && fc["state"] != "pending" {
			return fc
		}
		if time.Now().After(deadline) {
			t.Fatalf("file check still pending: %v\n%s", m, srv.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
