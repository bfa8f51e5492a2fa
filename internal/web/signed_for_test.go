package web_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/pdf"
)

// A signed approval must be this submission's: the unsigned form the service
// generated, uploaded back, and a form that names another submission are refused.
func TestSignedApprovalIsForThisSubmission(t *testing.T) {
	rig := newFlowRig(t)
	page := "/flow/" + subID
	form := rig.contact.get(t, page+"/approval-form.pdf")
	wantCode(t, form, http.StatusOK)
	r := rig.contact.upload(t, page+"/signed-approval", "form.pdf", []byte(form.body))
	wantCode(t, r, http.StatusUnprocessableEntity)
	has(t, r, "This is the form as DataHub generated it, not signed.")

	var other bytes.Buffer
	if err := pdf.Render(&other, pdf.FormData{ID: otherID, Project: testProject, Fields: fields(), Form: completeForm(),
		Generated: created.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r = rig.contact.upload(t, page+"/signed-approval?lang=fr", "other.pdf", other.Bytes())
	wantCode(t, r, http.StatusUnprocessableEntity)
	has(t, r, "Cette approbation concerne une autre soumission")
	if _, err := rig.db.SignedApproval(context.Background(), subID); opendata.ErrorCode(err) != opendata.ENOTFOUND {
		t.Fatalf("a refused file was kept: %v", err)
	}
}
