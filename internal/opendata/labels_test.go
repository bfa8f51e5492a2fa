package opendata_test

import (
	"testing"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// TestWorkflowLabels fails when an action or checklist item the UI shows has
// no label; i18n's own tests then require its French.
func TestWorkflowLabels(t *testing.T) {
	keys := []string{}
	for _, act := range opendata.Actions {
		keys = append(keys, "action."+string(act))
	}
	for _, item := range append(opendata.SubmitChecklist, opendata.CheckSignedApprovalOpened, opendata.CheckPublishingTarget) {
		keys = append(keys, "checklist."+string(item))
	}
	for _, k := range keys {
		if !i18n.Has(i18n.EN, k) || !i18n.Has(i18n.FR, k) {
			t.Errorf("no English or French label for %s", k)
		}
	}
}
