package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// notify is the effect of an email about a step.
func notify(n opendata.Notice, reason string) []opendata.Effect {
	return []opendata.Effect{{Kind: opendata.EffectNotify, Notice: n, Reason: reason}}
}

// move applies a transition from one state to another, as the workflow would.
func move(t *testing.T, db *store.DB, id string, from, to opendata.State, effects ...opendata.Effect) {
	t.Helper()
	tr := opendata.Transition{From: from, To: to, Actor: "user:a@example.gc.ca", At: time.Now(), Effects: effects}
	if err := db.ApplyTransition(context.Background(), id, tr); err != nil {
		t.Fatalf("%s → %s: %v", from, to, err)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if opendata.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

func TestApprovalForm(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		if f, saved, err := db.ApprovalForm(ctx, "id-1"); err != nil || saved || f != (opendata.ApprovalForm{}) {
			t.Fatalf("before saving: %+v %v %v", f, saved, err)
		}
		form := opendata.ApprovalForm{OwnerName: "Céline", OwnerEmail: "celine@example.gc.ca", DatasetTitle: "Forêts",
			TypeOfData: opendata.TypeData, CopyrightCleared: true, BlanketOther: true, BlanketOtherText: "later years"}
		if err := db.SaveApprovalForm(ctx, "id-1", form, "user:a@example.gc.ca"); err != nil {
			t.Fatal(err)
		}
		form.OwnerPhone = "613-555-0100" // saving again replaces it
		if err := db.SaveApprovalForm(ctx, "id-1", form, "user:a@example.gc.ca"); err != nil {
			t.Fatal(err)
		}
		if f, saved, err := db.ApprovalForm(ctx, "id-1"); err != nil || !saved || f != form {
			t.Fatalf("after saving: %+v %v %v", f, saved, err)
		}
		wantCode(t, "missing", db.SaveApprovalForm(ctx, "nope", form, "x"), opendata.ENOTFOUND)
		move(t, db, "id-1", opendata.StateInPreparation, opendata.StatePendingApproval)
		wantCode(t, "pending approval", db.SaveApprovalForm(ctx, "id-1", opendata.ApprovalForm{}, "x"), opendata.ECONFLICT)
		if f, _, _ := db.ApprovalForm(ctx, "id-1"); f != form {
			t.Fatalf("a refused save changed the form: %+v", f)
		}
		move(t, db, "id-1", opendata.StatePendingApproval, opendata.StateChangesRequested)
		if err := db.SaveApprovalForm(ctx, "id-1", opendata.ApprovalForm{OwnerName: "B"}, "x"); err != nil {
			t.Fatalf("changes requested: %v", err)
		}
	})
}

func TestUpdateFields(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		jobs := queuedSubmission(t, db)
		f := sampleFields("f1")
		f.TitleEN, f.EmailContact = "New title", "B@Example.gc.ca"
		if err := db.UpdateFields(ctx, "id-1", f, "user:a@example.gc.ca"); err != nil {
			t.Fatal(err)
		}
		got, err := db.Submission(ctx, "id-1")
		if err != nil || got.Fields.TitleEN != "New title" || got.Fields.EmailContact != "B@Example.gc.ca" {
			t.Fatalf("after update: %+v %v", got, err)
		}
		if subs, _ := db.SubmissionsByContact(ctx, "b@example.gc.ca", 10); len(subs) != 1 {
			t.Fatalf("the new contact has %d submissions", len(subs))
		}
		if len(jobs.ids["id-1"]) != 1 {
			t.Fatalf("an unchanged file_url queued a check: %v", jobs.ids)
		}

		// A new file_url starts a new check.
		now := time.Now()
		if _, err := db.SaveFileCheck(ctx, &opendata.FileCheck{SubmissionID: "id-1", JobID: 1, State: opendata.CheckPassed,
			CheckedAt: &now}); err != nil {
			t.Fatal(err)
		}
		f.FileURL = "https://example.gc.ca/v2.csv"
		if err := db.UpdateFields(ctx, "id-1", f, "user:a@example.gc.ca"); err != nil {
			t.Fatal(err)
		}
		c, err := db.FileCheck(ctx, "id-1")
		if err != nil || c.State != opendata.CheckPending || len(jobs.ids["id-1"]) != 2 || c.JobID != jobs.ids["id-1"][1] {
			t.Fatalf("check after a new file_url: %+v %v, jobs %v", c, err, jobs.ids)
		}

		bad := f
		bad.FileID = "other"
		wantCode(t, "file_id change", db.UpdateFields(ctx, "id-1", bad, "x"), opendata.EINVALID)
		wantCode(t, "missing", db.UpdateFields(ctx, "nope", f, "x"), opendata.ENOTFOUND)
		move(t, db, "id-1", opendata.StateInPreparation, opendata.StateWithdrawn)
		f.TitleEN = "Too late"
		wantCode(t, "withdrawn", db.UpdateFields(ctx, "id-1", f, "x"), opendata.ECONFLICT)
		if got, _ := db.Submission(ctx, "id-1"); got.Fields.TitleEN != "New title" {
			t.Fatalf("refused updates changed the fields: %+v", got.Fields)
		}
	})
}

func TestApplyTransition(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		jobs := queuedSubmission(t, db)
		at := time.Now().UTC().Truncate(time.Microsecond)
		tr := opendata.Transition{From: opendata.StateInPreparation, To: opendata.StatePendingApproval,
			Actor: "user:a@example.gc.ca", At: at}
		calls := jobs.calls
		tr.Effects = notify(opendata.NoticeApprovalRequested, "")
		if err := db.ApplyTransition(ctx, "id-1", tr); err != nil {
			t.Fatal(err)
		}
		got, err := db.Submission(ctx, "id-1")
		if err != nil || got.State != opendata.StatePendingApproval || !got.UpdatedAt.Equal(at) || len(got.History) != 2 ||
			got.History[1].To != tr.To || got.History[1].Actor != tr.Actor || !got.History[1].At.Equal(at) {
			t.Fatalf("after the transition: %+v %v", got, err)
		}
		n := jobs.noticesOf("id-1")
		if len(n) != 2 || n[1].Effect.Notice != opendata.NoticeApprovalRequested || jobs.calls != calls+1 {
			t.Fatalf("notices %+v after %d calls", n, jobs.calls-calls)
		}
		ids, _ := db.SubmissionJobIDs(ctx, "id-1", 10)
		if len(ids) != 3 { // file check, received, approval requested
			t.Fatalf("submission jobs %v", ids)
		}

		// The same transition again finds the state moved on.
		wantCode(t, "stale", db.ApplyTransition(ctx, "id-1", tr), opendata.ECONFLICT)
		wantCode(t, "missing", db.ApplyTransition(ctx, "nope", tr), opendata.ENOTFOUND)
		wantCode(t, "bad state", db.ApplyTransition(ctx, "id-1", opendata.Transition{From: "x", To: "y"}), opendata.EINVALID)
		// An unknown event is a bug: nothing is written.
		back := opendata.Transition{From: opendata.StatePendingApproval, To: opendata.StateChangesRequested, Actor: "x", At: at}
		back.Effects = notify("bogus", "")
		if err := db.ApplyTransition(ctx, "id-1", back); err == nil {
			t.Fatal("an unknown notice event was accepted")
		}
		// When the notices cannot be enqueued, the transition is not recorded either.
		jobs.fail = fmt.Errorf("queue down")
		back.Effects = notify(opendata.NoticeChangesRequested, "")
		if err := db.ApplyTransition(ctx, "id-1", back); err == nil {
			t.Fatal("a transition committed without its notices")
		}
		jobs.fail = nil
		got, _ = db.Submission(ctx, "id-1")
		if got.State != opendata.StatePendingApproval || len(got.History) != 2 || len(jobs.noticesOf("id-1")) != 2 {
			t.Fatalf("refused transitions left traces: %+v, notices %+v", got, jobs.noticesOf("id-1"))
		}
		if ids, _ := db.SubmissionJobIDs(ctx, "id-1", 10); len(ids) != 3 {
			t.Fatalf("refused transitions linked jobs: %v", ids)
		}
	})
}

// Of concurrent transitions from the same state, on two handles as two
// replicas would be, exactly one wins and only its notice is enqueued.
func TestConcurrentTransitionsHaveOneWinner(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db, other := open(), open()
		jobs := queuedSubmission(t, db, other)
		move(t, db, "id-1", opendata.StateInPreparation, opendata.StatePendingApproval)
		targets := []opendata.State{opendata.StateApproved, opendata.StateRejected, opendata.StateChangesRequested, opendata.StateWithdrawn}
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				h := db
				if i%2 == 1 {
					h = other
				}
				tr := opendata.Transition{From: opendata.StatePendingApproval, To: targets[i%len(targets)],
					Actor: fmt.Sprint("user:", i), Reason: "r", At: time.Now(), Effects: notify(opendata.Notices[i%len(opendata.Notices)], "r")}
				errs[i] = h.ApplyTransition(ctx, "id-1", tr)
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("both %d and %d won", winner, i)
			case err == nil:
				winner = i
			case opendata.ErrorCode(err) != opendata.ECONFLICT:
				t.Fatalf("loser %d: %v", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("nobody won")
		}
		got, _ := db.Submission(ctx, "id-1")
		if got.State != targets[winner%len(targets)] || len(got.History) != 3 || got.History[2].Actor != fmt.Sprint("user:", winner) {
			t.Fatalf("winner %d, submission %+v", winner, got)
		}
		notices := jobs.noticesOf("id-1") // received, then the winner's
		if len(notices) != 2 || notices[1] != (store.Job{SubmissionID: "id-1",
			Effect: notify(opendata.Notices[winner%len(opendata.Notices)], "r")[0]}) {
			t.Fatalf("notices %+v", notices)
		}
	})
}

func TestSubmissionsByContactAndPendingApproval(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		for i, p := range []string{"CFS", "cfs", "NRCan", "CFS"} {
			s := newSubmission(fmt.Sprint("id-", i), p, fmt.Sprint("f", i))
			if i == 2 {
				s.Fields.EmailContact = "Other@Example.gc.ca"
			}
			if err := db.CreateSubmission(ctx, s, nil); err != nil {
				t.Fatal(err)
			}
		}
		ids := func(subs []*opendata.Submission) string {
			out := ""
			for _, s := range subs {
				out += s.ID + " "
			}
			return out
		}
		subs, err := db.SubmissionsByContact(ctx, " A@EXAMPLE.gc.ca", 10)
		if err != nil || ids(subs) != "id-3 id-1 id-0 " {
			t.Fatalf("by contact: %q %v", ids(subs), err)
		}
		if subs, _ := db.SubmissionsByContact(ctx, "a@example.gc.ca", 2); ids(subs) != "id-3 id-1 " {
			t.Fatalf("by contact, limited: %q", ids(subs))
		}
		if subs, _ := db.SubmissionsByContact(ctx, "nobody@example.gc.ca", 2); len(subs) != 0 {
			t.Fatalf("a stranger's submissions: %q", ids(subs))
		}

		if subs, _ := db.PendingApproval(ctx, nil, true, 10); len(subs) != 0 {
			t.Fatalf("pending before any submit: %q", ids(subs))
		}
		for _, id := range []string{"id-3", "id-2", "id-1"} { // submitted in this order, but listed by age
			move(t, db, id, opendata.StateInPreparation, opendata.StatePendingApproval)
		}
		for _, c := range []struct {
			projects []string
			all      bool
			limit    int
			want     string
		}{
			{nil, true, 10, "id-1 id-2 id-3 "},
			{nil, true, 2, "id-1 id-2 "},
			{[]string{"cfs"}, false, 10, "id-1 id-3 "},
			{[]string{"nrcan", "CFS"}, false, 10, "id-1 id-2 id-3 "},
			{[]string{"DFO"}, false, 10, ""},
			{nil, false, 10, ""},
		} {
			subs, err := db.PendingApproval(ctx, c.projects, c.all, c.limit)
			if err != nil || ids(subs) != c.want {
				t.Fatalf("pending %v all=%v limit %d: %q %v, want %q", c.projects, c.all, c.limit, ids(subs), err, c.want)
			}
		}
		if subs, _ := db.PendingApproval(ctx, nil, true, 10); subs[0].State != opendata.StatePendingApproval ||
			subs[0].Fields.TitleEN != "T" {
			t.Fatalf("pending submission %+v", subs[0])
		}
	})
}

// A group commit of many submissions inserts all their jobs, file checks and
// notices alike, with one call to the queue per transaction.
func TestGroupCommitEnqueuesOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		jobs := &fakeJobs{}
		db.SetJobs(jobs)
		before := db.Stats()
		const n = 64
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := db.CreateSubmission(ctx, newSubmission(fmt.Sprint("id-", i), "CFS", fmt.Sprint("f", i)), nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		after := db.Stats()
		if jobs.calls > int(after.Commits-before.Commits) {
			t.Fatalf("%d queue calls for %d commits", jobs.calls, after.Commits-before.Commits)
		}
		for i := range n {
			id := fmt.Sprint("id-", i)
			if len(jobs.ids[id]) != 1 || len(jobs.noticesOf(id)) != 1 {
				t.Fatalf("%s: checks %v, notices %v", id, jobs.ids[id], jobs.noticesOf(id))
			}
			if ids, _ := db.SubmissionJobIDs(ctx, id, 10); len(ids) != 2 {
				t.Fatalf("%s: linked jobs %v", id, ids)
			}
		}
	})
}
