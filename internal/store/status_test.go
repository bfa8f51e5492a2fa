package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// A status read gives what the separate reads give: the submission with its
// history, its file check and its publication (its jobs: TestFileCheckLifecycle).
func TestSubmissionStatusWithPublication(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		db, ctx := open(), context.Background()
		if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		if err := db.ApplyTransition(ctx, "id-1", opendata.Transition{From: opendata.StateInPreparation,
			To: opendata.StatePendingApproval, Actor: "user:a@example.gc.ca", Reason: "ready", At: at}); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordPublication(ctx, &opendata.Publication{SubmissionID: "id-1", DryRun: true, Attempts: 1,
			LastAttemptAt: &at, Payload: []byte(`{"name":"x"}`),
			Errors: []opendata.RegistryError{{Field: "title", Message: "too long"}}}, nil); err != nil {
			t.Fatal(err)
		}
		st, err := db.SubmissionStatus(ctx, "id-1", 10)
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := db.Submission(ctx, "id-1")
		pub, _ := db.Publication(ctx, "id-1")
		check, _ := db.FileCheck(ctx, "id-1")
		if !reflect.DeepEqual(st.Submission, sub) || len(sub.History) != 2 || sub.History[1].Reason != "ready" {
			t.Errorf("submission %+v, want %+v", st.Submission, sub)
		}
		if !reflect.DeepEqual(st.Publication, pub) || !reflect.DeepEqual(st.FileCheck, check) {
			t.Errorf("publication %+v, check %+v; want %+v, %+v", st.Publication, st.FileCheck, pub, check)
		}
	})
}
