package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// keyOf creates an API key of project and returns its prefix.
func keyOf(t *testing.T, db *store.DB, project string) string {
	t.Helper()
	ctx := context.Background()
	secret, err := db.Secret(ctx, auth.SecretName)
	if err != nil {
		t.Fatal(err)
	}
	_, rec := auth.NewKey(secret, project, "events test", "client@example.gc.ca", nil, time.Now())
	if err := db.CreateKey(ctx, rec); err != nil {
		t.Fatal(err)
	}
	return rec.Prefix
}

func ids(events []opendata.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// The feed lists a project's events oldest first, pages from a cursor, and
// never shows another project's.
func TestEventsFeedCursor(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		db := storetest.Open(t, cfg)
		ctx := context.Background()
		cfs, dfo := keyOf(t, db, "CFS"), keyOf(t, db, "DFO")
		var want []string // CFS's submissions, in the order written
		for i := range 5 {
			for _, p := range []struct{ project, prefix string }{{"CFS", cfs}, {"DFO", dfo}} {
				id := fmt.Sprintf("%s-%d", p.project, i)
				s := opendata.NewSubmission(id, p.project, p.prefix, sampleFields("f"+id), time.Now())
				if err := db.CreateSubmission(ctx, s, nil); err != nil {
					t.Fatal(err)
				}
				if p.project == "CFS" {
					want = append(want, id)
				}
			}
		}
		// A transition writes its event too, after the others.
		tr, err := mustSubmission(t, db, "CFS-0").Apply(opendata.Actor{Kind: opendata.ActorUser, Email: "a@example.gc.ca", Admin: true},
			opendata.ActionWithdraw, "no longer needed", opendata.Checklist{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyTransition(ctx, "CFS-0", tr); err != nil {
			t.Fatal(err)
		}

		all, err := db.Events(ctx, "cfs", 0, store.MaxEventsPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 6 {
			t.Fatalf("%d events: %+v", len(all), all)
		}
		for i, e := range all[:5] {
			if e.Type != opendata.EventReceived || e.Data.DatahubID != want[i] || e.Data.State != opendata.StateInPreparation {
				t.Errorf("event %d: %+v, want %s received", i, e, want[i])
			}
		}
		if e := all[5]; e.Type != opendata.EventStateChanged || e.Data.DatahubID != "CFS-0" || e.Data.State != opendata.StateWithdrawn ||
			e.Data.PreviousState != opendata.StateInPreparation || e.Data.Reason != "no longer needed" {
			t.Errorf("the transition's event: %+v", e)
		}
		if !slices.IsSorted(ids(all)) {
			t.Errorf("ids not in order: %v", ids(all))
		}
		// Pages of two, each after the last id of the one before, give the same events.
		var paged []opendata.Event
		after := int64(0)
		for {
			page, err := db.Events(ctx, "CFS", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > 2 {
				t.Fatalf("page of %d", len(page))
			}
			paged = append(paged, page...)
			if after, err = opendata.EventSeq(page[len(page)-1].ID); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(ids(paged), ids(all)) {
			t.Errorf("paged %v, all %v", ids(paged), ids(all))
		}
		// DFO sees its own five, none of CFS's.
		other, err := db.Events(ctx, "DFO", 0, store.MaxEventsPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range other {
			if slices.Contains(ids(all), e.ID) || e.Data.DatahubID[:3] != "DFO" {
				t.Errorf("DFO sees %+v", e)
			}
		}
		if len(other) != 5 {
			t.Errorf("DFO has %d events", len(other))
		}
		// The event read alone, as a delivery reads it, is the feed's.
		seq, _ := opendata.EventSeq(all[5].ID)
		e, project, err := db.Event(ctx, seq)
		if err != nil || project != "CFS" || e.ID != all[5].ID || e.Data.Reason != "no longer needed" {
			t.Errorf("event %d: %+v %q %v", seq, e, project, err)
		}
		if _, _, err := db.Event(ctx, seq+1000); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Errorf("a missing event: %v", err)
		}
	})
}

func mustSubmission(t *testing.T, db *store.DB, id string) *opendata.Submission {
	t.Helper()
	s, err := db.Submission(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An event of a key with a working endpoint gets a delivery and its job; one
// without gets neither, and the effects after it are still enqueued.
func TestEventsEnqueueDeliveriesOnlyToEndpoints(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		db := storetest.Open(t, cfg)
		ctx := context.Background()
		with, without := keyOf(t, db, "CFS"), keyOf(t, db, "CFS")
		if _, err := db.SetWebhook(ctx, "dh_nokey00", "https://example.gc.ca/h", "sealed"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("endpoint of an unknown key: %v", err)
		}
		if created, err := db.SetWebhook(ctx, with, "https://example.gc.ca/h", "sealed"); err != nil || !created {
			t.Fatalf("set: %v %v", created, err)
		}
		if created, err := db.SetWebhook(ctx, with, "https://example.gc.ca/h2", "other"); err != nil || created {
			t.Fatalf("set again: %v %v", created, err)
		}
		for _, p := range []string{with, without} {
			s := opendata.NewSubmission(p, "CFS", p, sampleFields("f-"+p), time.Now())
			if err := db.CreateSubmission(ctx, s, nil); err != nil {
				t.Fatal(err)
			}
			// An event first, then a notice: the notice is enqueued whether or not the event needs a job.
			ev := opendata.Effect{Kind: opendata.EffectEvent, Event: &opendata.EventDraft{Type: opendata.EventStateChanged,
				Data: opendata.EventData{DatahubID: p, State: opendata.StateWithdrawn}}}
			tr := opendata.Transition{From: opendata.StateInPreparation, To: opendata.StateWithdrawn, Actor: "user:a@example.gc.ca",
				At: time.Now(), Effects: []opendata.Effect{ev, {Kind: opendata.EffectNotify, Notice: opendata.NoticeWithdrawn}}}
			if err := db.ApplyTransition(ctx, p, tr); err != nil {
				t.Fatal(err)
			}
		}
		// A delivery's job is linked to its event (Deliveries), not among the submission's jobs.
		for p, want := range map[string][]string{
			with:    {"file_check", "notify", "notify"},
			without: {"file_check", "notify", "notify"},
		} {
			jobIDs, err := db.SubmissionJobIDs(ctx, p, 100)
			if err != nil {
				t.Fatal(err)
			}
			st, err := db.JobStatuses(ctx, jobIDs)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, j := range st {
				kinds = append(kinds, j.Kind)
			}
			if slices.Sort(kinds); !slices.Equal(kinds, want) {
				t.Errorf("jobs of %s: %v, want %v", p, kinds, want)
			}
		}
		list, err := db.Deliveries(ctx, with, 100)
		if err != nil || len(list) != 2 {
			t.Fatalf("deliveries of the key with an endpoint: %+v %v", list, err)
		}
		if list[0].EventType != opendata.EventStateChanged || list[1].EventType != opendata.EventReceived ||
			list[0].Outcome != opendata.DeliveryPending || list[0].ID <= list[1].ID {
			t.Errorf("deliveries %+v", list)
		}
		if none, err := db.Deliveries(ctx, without, 100); err != nil || len(none) != 0 {
			t.Errorf("deliveries of the key without: %+v %v", none, err)
		}
		if evs, err := db.Events(ctx, "CFS", 0, 100); err != nil || len(evs) != 4 {
			t.Errorf("feed %+v %v", evs, err)
		}
		// A retry is a new delivery of the same event; another key's delivery is not found.
		if err := db.RetryDelivery(ctx, with, list[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RetryDelivery(ctx, without, list[1].ID); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Errorf("retry of another key's delivery: %v", err)
		}
		again, _ := db.Deliveries(ctx, with, 100)
		if len(again) != 3 || again[0].EventID != list[1].EventID || again[0].Attempts != 0 {
			t.Errorf("after a retry: %+v", again)
		}
		// Removed, the endpoint gets no delivery and none can be retried.
		if err := db.RemoveWebhook(ctx, with); err != nil {
			t.Fatal(err)
		}
		if err := db.RemoveWebhook(ctx, with); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Errorf("remove twice: %v", err)
		}
		if err := db.RetryDelivery(ctx, with, list[1].ID); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Errorf("retry without an endpoint: %v", err)
		}
	})
}

// A reader that follows the cursor while several writers add events sees
// every event once, in order: no seq shows before a lower one has committed.
func TestEventsFeedNeverSkipsUnderConcurrentWriters(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		writers := []*store.DB{storetest.Open(t, cfg), storetest.Open(t, cfg)}
		ctx := context.Background()
		prefix := keyOf(t, writers[0], "CFS")
		const n = 60
		done := make(chan struct{})
		errs := make(chan error, n)
		go func() {
			defer close(done)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := fmt.Sprintf("concurrent-%02d", i)
					errs <- writers[i%2].CreateSubmission(ctx, opendata.NewSubmission(id, "CFS", prefix, sampleFields(id), time.Now()), nil)
				}()
			}
			wg.Wait()
		}()
		reader := storetest.Open(t, cfg)
		var seen []string
		after := int64(0)
		for finished := false; ; {
			page, err := reader.Events(ctx, "CFS", after, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				seen = append(seen, e.ID)
			}
			if len(page) > 0 {
				after, _ = opendata.EventSeq(page[len(page)-1].ID)
				continue
			}
			if finished {
				break
			}
			select {
			case <-done:
				finished = true // one more read after the last commit
			default:
			}
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		all, err := reader.Events(ctx, "CFS", 0, store.MaxEventsPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != n || !slices.Equal(seen, ids(all)) {
			t.Fatalf("the reader saw %d events, the feed has %d; skipped: %v", len(seen), len(all), missing(ids(all), seen))
		}
	})
}

func missing(all, seen []string) []string {
	var out []string
	for _, id := range all {
		if !slices.Contains(seen, id) {
			out = append(out, id)
		}
	}
	return out
}
