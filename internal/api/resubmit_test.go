package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// A file_id whose submission was withdrawn is submitted again, and the new
// submission names the one it replaces; while it lives, the file_id is a duplicate.
func TestResubmitAWithdrawnFileID(t *testing.T) {
	e := newEnv(t)
	cfs := e.key("CFS")
	first := decode(t, e.submit(cfs, validBody(nil)))["datahub_id"].(string)
	wantStatus(t, e.submit(cfs, validBody(nil)), 400)
	if err := e.db.ApplyTransition(context.Background(), first, opendata.Transition{From: opendata.StateInPreparation,
		To: opendata.StateWithdrawn, Actor: "user:a@example.gc.ca", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w := e.submit(cfs, validBody(nil))
	wantStatus(t, w, 200)
	second := decode(t, w)["datahub_id"].(string)
	if m := decode(t, e.do("GET", "/api/opendata/submissions/"+second, "", "DH-Auth-Key", cfs)); m["replaces"] != first {
		t.Fatalf("replaces %v, want %s", m["replaces"], first)
	}
	wantStatus(t, e.submit(cfs, validBody(nil)), 400)

	// The listing names both with the file_id they were sent with.
	fileID := decode(t, e.do("GET", "/api/opendata/submissions/"+first, "", "DH-Auth-Key", cfs))["file_id"]
	items := decode(t, e.do("GET", "/api/opendata/submissions", "", "DH-Auth-Key", cfs))["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d items, want 2", len(items))
	}
	for _, it := range items {
		if got := it.(map[string]any)["file_id"]; got != fileID || fileID == "" {
			t.Errorf("listed file_id %q, want %q", got, fileID)
		}
	}
}
