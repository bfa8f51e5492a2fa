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
}
