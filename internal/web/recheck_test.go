package web_test

import (
	"context"
	"testing"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// A pending check whose job is gone (its replica died on the last attempt, or
// the row was deleted) is replaced by the page's re-check, as by the API's:
// it no longer answers "already pending" forever.
func TestRecheckReplacesADeadJob(t *testing.T) {
	rig := newFlowRig(t)
	ctx := context.Background()
	page := "/flow/" + subID
	c, err := rig.db.FileCheck(ctx, subID)
	if err != nil || c.State != opendata.CheckPending || c.JobID == 0 {
		t.Fatalf("check %+v, %v", c, err)
	}
	if _, err := rig.db.SQL().ExecContext(ctx, `DELETE FROM river_job WHERE id = $1`, c.JobID); err != nil {
		t.Fatal(err)
	}
	seeOther(t, rig.contact.post(t, page+"/check"), page+"/file-check?flash=check_requested")
	if again, _ := rig.db.FileCheck(ctx, subID); again.JobID == c.JobID || again.State != opendata.CheckPending {
		t.Fatalf("after the re-check: %+v, want a new job for the pending check", again)
	}
}
