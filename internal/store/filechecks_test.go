package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// fakeJobs hands out job ids and can fail, to see what the store does with both.
type fakeJobs struct {
	mu      sync.Mutex
	next    int64
	calls   int                // Enqueue calls: one per transaction or group commit
	ids     map[string][]int64 // submission -> file check job ids handed out
	notices []store.Job        // notify jobs enqueued, in order
	dead    map[int64]bool     // jobs that can no longer run
	fail    error
}

func (f *fakeJobs) Enqueue(_ context.Context, tx *sql.Tx, jobs []store.Job) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if tx == nil {
		return nil, errors.New("no transaction")
	}
	if f.fail != nil {
		return nil, f.fail
	}
	if f.ids == nil {
		f.ids = map[string][]int64{}
	}
	f.calls++
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		f.next++
		switch j.Effect.Kind {
		case opendata.EffectCheckFile:
			f.ids[j.SubmissionID] = append(f.ids[j.SubmissionID], f.next)
		case opendata.EffectNotify:
			f.notices = append(f.notices, j)
		case opendata.EffectPublish, opendata.EffectUnpublish, opendata.EffectEvent:
		default:
			return nil, fmt.Errorf("unknown effect %q", j.Effect.Kind)
		}
		out[i] = f.next
	}
	return out, nil
}

// Statuses says every job it handed out is waiting, but those marked dead, which completed.
func (f *fakeJobs) Statuses(_ context.Context, ids []int64) ([]store.JobStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.JobStatus
	for _, id := range ids {
		if id < 1 || id > f.next {
			continue
		}
		st := store.JobStatus{ID: id, State: "available"}
		if f.dead[id] {
			st.State = "completed"
		}
		out = append(out, st)
	}
	return out, nil
}

// kill marks a job as finished without saving a result, as when its replica died.
func (f *fakeJobs) kill(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead == nil {
		f.dead = map[int64]bool{}
	}
	f.dead[id] = true
}

// noticesOf returns the notify jobs enqueued for a submission, in order.
func (f *fakeJobs) noticesOf(id string) []store.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Job
	for _, j := range f.notices {
		if j.SubmissionID == id {
			out = append(out, j)
		}
	}
	return out
}

// queuedSubmission gives db, and the other handles on its database, one fake
// queue, and stores submission id-1 of project CFS through db.
func queuedSubmission(t *testing.T, db *store.DB, others ...*store.DB) *fakeJobs {
	t.Helper()
	jobs := &fakeJobs{}
	for _, h := range append([]*store.DB{db}, others...) {
		h.SetJobs(jobs)
	}
	if err := db.CreateSubmission(context.Background(), newSubmission("id-1", "CFS", "f1"), nil); err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestSubmissionStartsPendingFileCheck(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		jobs := queuedSubmission(t, db)
		c, err := db.FileCheck(ctx, "id-1")
		if err != nil {
			t.Fatal(err)
		}
		if c.State != opendata.CheckPending || c.JobID != 1 || c.CheckedAt != nil || c.RequestedAt.IsZero() {
			t.Fatalf("check %+v", c)
		}
		// The contact's notice is enqueued with the check, in the same call.
		ids, err := db.SubmissionJobIDs(ctx, "id-1", 10)
		if err != nil || len(ids) != 2 || ids[0] != 2 || ids[1] != 1 || jobs.calls != 1 {
			t.Fatalf("job ids %v, %v after %d calls", ids, err, jobs.calls)
		}
		if n := jobs.noticesOf("id-1"); len(n) != 1 || n[0].Effect.Notice != opendata.NoticeReceived {
			t.Fatalf("notices %+v", n)
		}

		// A duplicate enqueues nothing that lasts: its savepoint rolls back.
		var dup *store.DuplicateError
		if err := db.CreateSubmission(ctx, newSubmission("id-2", "CFS", "f1"), nil); !errors.As(err, &dup) {
			t.Fatalf("duplicate: %v", err)
		}
		// When the job cannot be enqueued, the submission is not stored either.
		jobs.fail = errors.New("queue down")
		if err := db.CreateSubmission(ctx, newSubmission("id-3", "CFS", "f3"), nil); err == nil {
			t.Fatal("stored a submission whose check could not be enqueued")
		}
		if _, err := db.Submission(ctx, "id-3"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("submission without its job: %v", err)
		}
	})
}

func TestFileCheckLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		jobs := &fakeJobs{}
		db.SetJobs(jobs)
		if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		// A request while the check is pending enqueues nothing new.
		c, enqueued, err := db.RequestFileCheck(ctx, "id-1")
		if err != nil || enqueued || c.JobID != 1 {
			t.Fatalf("request while pending: %+v %v %v", c, enqueued, err)
		}
		// A failed attempt keeps it pending; a stale job's result is ignored.
		attempt := &opendata.FileCheck{SubmissionID: "id-1", JobID: 1, State: opendata.CheckPending, Attempts: 1,
			HTTPStatus: 503, Reason: "the server answered 503"}
		if saved, err := db.SaveFileCheck(ctx, attempt); err != nil || !saved {
			t.Fatalf("save attempt: %v %v", saved, err)
		}
		stale := *attempt
		stale.JobID, stale.State = 99, opendata.CheckPassed
		if saved, err := db.SaveFileCheck(ctx, &stale); err != nil || saved {
			t.Fatalf("stale job saved: %v %v", saved, err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		done := &opendata.FileCheck{SubmissionID: "id-1", JobID: 1, State: opendata.CheckPassed, Attempts: 2, CheckedAt: &now,
			HTTPStatus: 200, Size: 42, ContentType: "text/csv", SHA256: "ab", Format: "CSV"}
		if saved, err := db.SaveFileCheck(ctx, done); err != nil || !saved {
			t.Fatalf("save result: %v %v", saved, err)
		}
		got, err := db.FileCheck(ctx, "id-1")
		if err != nil || got.State != opendata.CheckPassed || !got.CheckedAt.Equal(now) || got.Size != 42 ||
			got.Format != "CSV" || got.Attempts != 2 || got.Reason != "" {
			t.Fatalf("after result: %+v %v", got, err)
		}
		// A re-check starts over with a new job.
		c, enqueued, err = db.RequestFileCheck(ctx, "id-1")
		if err != nil || !enqueued || c.State != opendata.CheckPending || c.JobID != 3 || c.CheckedAt != nil || c.Size != 0 {
			t.Fatalf("re-check: %+v %v %v", c, enqueued, err)
		}
		// A pending check whose job died is replaced; one whose job lives is not.
		jobs.kill(1)
		if _, enqueued, _ := db.RequestFileCheck(ctx, "id-1"); enqueued {
			t.Fatal("replaced a pending check whose job still runs")
		}
		jobs.kill(3)
		if c, enqueued, _ := db.RequestFileCheck(ctx, "id-1"); !enqueued || c.JobID != 4 {
			t.Fatalf("dead job not replaced: %+v", c)
		}
		ids, err := db.SubmissionJobIDs(ctx, "id-1", 2)
		if err != nil || len(ids) != 2 || ids[0] != 4 || ids[1] != 3 {
			t.Fatalf("job ids newest first: %v %v", ids, err)
		}
		// The status reads the submission, its history, its check and its file check jobs at once:
		// not job 2, the arrival's email.
		st, err := db.SubmissionStatus(ctx, "id-1", 100)
		if err != nil || !slices.Equal(st.CheckJobIDs, []int64{4, 3, 1}) || st.Publication != nil {
			t.Fatalf("status: %+v %v", st, err)
		}
		sub, _ := db.Submission(ctx, "id-1")
		check, _ := db.FileCheck(ctx, "id-1")
		if !reflect.DeepEqual(st.Submission, sub) || !reflect.DeepEqual(st.FileCheck, check) {
			t.Fatalf("status %+v %+v, want %+v %+v", st.Submission, st.FileCheck, sub, check)
		}
		if st, err := db.SubmissionStatus(ctx, "id-1", 2); err != nil || !slices.Equal(st.CheckJobIDs, []int64{4, 3}) {
			t.Fatalf("status with two jobs: %+v %v", st, err)
		}
		if _, err := db.SubmissionStatus(ctx, "nope", 2); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("status of a submission that does not exist: %v", err)
		}
		if _, err := db.FileCheck(ctx, "nope"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("missing: %v", err)
		}
	})
}

// Concurrent requests on a finished check enqueue one job between them.
func TestConcurrentFileCheckRequestsEnqueueOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db, other := open(), open() // two processes
		jobs := queuedSubmission(t, db, other)
		now := time.Now()
		if _, err := db.SaveFileCheck(ctx, &opendata.FileCheck{SubmissionID: "id-1", JobID: 1, State: opendata.CheckFailed,
			CheckedAt: &now, Reason: "404"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]bool, 16)
		for i := range results {
			wg.Go(func() {
				h := db
				if i%2 == 1 {
					h = other
				}
				_, enqueued, err := h.RequestFileCheck(ctx, "id-1")
				if err != nil {
					t.Error(err)
				}
				results[i] = enqueued
			})
		}
		wg.Wait()
		n := 0
		for _, e := range results {
			if e {
				n++
			}
		}
		if n != 1 || len(jobs.ids["id-1"]) != 2 {
			t.Fatalf("%d requests enqueued, %d jobs; want 1 and 2", n, len(jobs.ids["id-1"]))
		}
	})
}

// A store without a job queue refuses a write that causes background work,
// rather than storing the change and losing its effects.
func TestNoQueueRefusesWritesWithEffects(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenWithoutQueue(t, storetest.FreshSQLite(t))
	if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); !errors.Is(err, store.ErrNoQueue) {
		t.Fatalf("create without a queue: %v, want ErrNoQueue", err)
	}
	if _, err := db.Submission(ctx, "id-1"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
		t.Fatalf("the submission was stored without its jobs: %v", err)
	}
}

// Projects and addresses are stored in normal form, so any spelling finds them.
func TestNormalFormsStored(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		s := newSubmission("id-1", " cfs ", "f1")
		s.Fields.EmailContact = " Jane.Doe@Example.GC.ca"
		if err := db.CreateSubmission(ctx, s, nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.Submission(ctx, "id-1")
		if err != nil || got.Project != "CFS" {
			t.Fatalf("project stored as %q: %v", got.Project, err)
		}
		if list, err := db.SubmissionsByContact(ctx, "JANE.doe@example.gc.ca ", 10); err != nil || len(list) != 1 {
			t.Fatalf("by contact: %v %v", list, err)
		}
		if list, err := db.PendingApproval(ctx, []string{"cfs"}, false, 10); err != nil || len(list) != 0 {
			t.Fatalf("pending: %v %v", list, err)
		}
		if err := db.CreateSubmission(ctx, newSubmission("id-2", "CFS", "f1"), nil); !errors.As(err, new(*store.DuplicateError)) {
			t.Fatalf("the same file_id under another spelling of the project: %v", err)
		}
	})
}

// A file_id whose submission was withdrawn or rejected can be submitted
// again; the new submission names the one it replaces. A live one is a duplicate.
func TestResubmitAfterWithdrawal(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		var dup *store.DuplicateError
		if err := db.CreateSubmission(ctx, newSubmission("id-2", "CFS", "f1"), nil); !errors.As(err, &dup) || dup.ExistingID != "id-1" {
			t.Fatalf("a live file_id again: %v", err)
		}
		move(t, db, "id-1", opendata.StateInPreparation, opendata.StateWithdrawn)
		if id, _ := db.SubmissionIDByFileID(ctx, "CFS", "f1"); id != "" {
			t.Fatalf("a withdrawn submission still holds its file_id: %q", id)
		}
		if err := db.CreateSubmission(ctx, newSubmission("id-3", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.Submission(ctx, "id-3")
		if err != nil || got.Replaces != "id-1" {
			t.Fatalf("the new submission: %+v, %v", got, err)
		}
		if id, _ := db.SubmissionIDByFileID(ctx, "CFS", "f1"); id != "id-3" {
			t.Fatalf("file_id f1 is %q, want id-3", id)
		}
		old, _ := db.Submission(ctx, "id-1")
		if old.Fields.FileID != "f1" || old.State != opendata.StateWithdrawn {
			t.Fatalf("the old submission: %+v", old)
		}
		if page, err := db.ListSubmissions(ctx, store.Filter{Project: "CFS", FileID: "f1", Limit: 10}); err != nil ||
			len(page.Submissions) != 1 || page.Submissions[0].ID != "id-3" {
			t.Fatalf("file_id=f1 lists %+v, %v", page, err)
		}
		if err := db.CreateSubmission(ctx, newSubmission("id-4", "CFS", "f1"), nil); !errors.As(err, &dup) || dup.ExistingID != "id-3" {
			t.Fatalf("the new one is live: %v", err)
		}
	})
}
