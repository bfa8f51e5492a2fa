package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// result is one phase's outcome.
type result struct {
	rate               float64
	published          int
	failed             int
	latencies          []time.Duration // approval committed → seen published
	wall               time.Duration   // first approval → last outcome
	calls              int             // registry calls about the phase's datasets
	meanAttempts       float64
	registryPerAttempt time.Duration // mean time of one attempt's registry calls (datahub_registry_call_seconds)
	resentCreates      int           // ids with more than one package_create call (a create that failed unapplied is sent again)
	createdTwice       int           // ids whose create was applied more than once, or refused because the id existed
}

var (
	contact  = opendata.Actor{Kind: opendata.ActorUser, Email: "contact@example.gc.ca"}
	approver = opendata.Actor{Kind: opendata.ActorUser, Email: "approver@example.gc.ca", Approver: true}
)

const project = "CFS"

// runPhase stores o.n submissions whose file checks pass, sends them for
// approval, approves them in one burst and waits for each to be published or
// to fail.
func runPhase(ctx context.Context, db *store.DB, reg *ckantest.Server, filesURL, tag string, o options) (result, error) {
	var res result
	callsBefore := len(reg.Calls())
	ids := make([]string, o.n)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		f := opendata.Fields{FileURL: filesURL + "/" + ids[i] + "/data.csv", FileID: tag + "-" + ids[i], FileName: "data.csv",
			EmailContact: contact.Email, Collection: "primary", TitleEN: "Forest inventory " + ids[i],
			TitleFR: "Inventaire forestier " + ids[i], NotesEN: "Plots.", NotesFR: "Placettes.",
			KeywordsEN: []string{"forests"}, KeywordsFR: []string{"forêts"}, Subject: []string{"nature_and_environment"},
			Frequency: "P1Y", DatePublished: "2024-03-15", Jurisdiction: "federal"}
		if err := db.CreateSubmission(ctx, opendata.NewSubmission(ids[i], project, "dh_bench", f, time.Now()), nil); err != nil {
			return res, err
		}
	}
	if err := checksPassed(ctx, db, ids, o.timeout); err != nil {
		return res, err
	}
	subs := make([]*opendata.Submission, len(ids))
	for i, id := range ids {
		if err := act(ctx, db, id, contact, opendata.ActionSubmitForApproval, opendata.Checklist{MetadataValid: true,
			FileCheckPassed: true, ApprovalFormComplete: true, SignedApprovalAttached: true}); err != nil {
			return res, err
		}
		var err error
		if subs[i], err = db.Submission(ctx, id); err != nil {
			return res, err
		}
	}

	approvedAt := map[string]time.Time{}
	start := time.Now()
	for _, sub := range subs { // the burst: approvals back to back
		step, err := sub.Apply(approver, opendata.ActionApprove, "", opendata.Checklist{SignedApprovalOpened: true}, time.Now())
		if err != nil {
			return res, err
		}
		if err := db.ApplyTransition(ctx, sub.ID, step); err != nil {
			return res, err
		}
		approvedAt[sub.ID] = time.Now()
	}
	done, err := outcomes(ctx, db, approvedAt, o)
	if err != nil {
		return res, err
	}
	res.wall = time.Since(start)
	attempts := 0
	for id, out := range done {
		if out.state == opendata.StatePublished {
			res.published++
			res.latencies = append(res.latencies, out.at.Sub(approvedAt[id]))
			if d, ok := reg.Dataset(id); !ok || d["state"] != "active" {
				return res, fmt.Errorf("%s is published but not active on the registry", id)
			}
		} else {
			res.failed++
		}
		pub, err := db.Publication(ctx, id)
		if err != nil {
			return res, err
		}
		attempts += pub.Attempts
	}
	res.meanAttempts = float64(attempts) / float64(len(ids))
	countCalls(&res, reg.Calls()[callsBefore:], approvedAt)
	return res, nil
}

// countCalls counts the phase's registry calls and its creates per dataset.
func countCalls(res *result, calls []ckantest.Call, ours map[string]time.Time) {
	creates, applied := map[string]int{}, map[string]int{}
	res.calls = len(calls)
	for _, c := range calls {
		if c.Action != "package_create" {
			continue
		}
		creates[c.ID]++
		switch {
		case c.Status == 200 || c.Fault == ckantest.FaultDropAfter: // applied
			applied[c.ID]++
		case c.Status == 409 && c.Fault == "": // "Dataset id already exists": a second create was tried
			applied[c.ID] += 2
		}
	}
	for id := range ours {
		if creates[id] > 1 {
			res.resentCreates++
		}
		if applied[id] > 1 {
			res.createdTwice++
		}
	}
}

func act(ctx context.Context, db *store.DB, id string, a opendata.Actor, act opendata.Action, facts opendata.Checklist) error {
	sub, err := db.Submission(ctx, id)
	if err != nil {
		return err
	}
	step, err := sub.Apply(a, act, "", facts, time.Now())
	if err != nil {
		return err
	}
	return db.ApplyTransition(ctx, id, step)
}

// checksPassed waits until every submission's file check has passed.
func checksPassed(ctx context.Context, db *store.DB, ids []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	left := ids
	for len(left) > 0 {
		var still []string
		for _, id := range left {
			c, err := db.FileCheck(ctx, id)
			if err != nil {
				return err
			}
			switch c.State {
			case opendata.CheckPassed:
			case opendata.CheckPending:
				still = append(still, id)
			default:
				return fmt.Errorf("file check of %s: %s %s", id, c.State, c.Reason)
			}
		}
		left = still
		if len(left) > 0 && time.Now().After(deadline) {
			return fmt.Errorf("%d file checks still pending after %s", len(left), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// outcome is when a submission was first seen published or failed.
type outcome struct {
	state opendata.State
	at    time.Time
}

// outcomes polls every 10 ms until each approved submission is published or
// has failed, and says when each was first seen so.
func outcomes(ctx context.Context, db *store.DB, approved map[string]time.Time, o options) (map[string]outcome, error) {
	done := map[string]outcome{}
	deadline := time.Now().Add(o.timeout)
	for len(done) < len(approved) {
		for _, st := range []opendata.State{opendata.StatePublished, opendata.StatePublishFailed} {
			page, err := db.ListSubmissions(ctx, store.Filter{Project: project, State: st, Limit: 10 * o.n})
			if err != nil {
				return nil, err
			}
			now := time.Now()
			for _, s := range page.Submissions {
				if _, ours := approved[s.ID]; ours {
					if _, seen := done[s.ID]; !seen {
						done[s.ID] = outcome{st, now}
					}
				}
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d publications unfinished after %s", len(approved)-len(done), len(approved), o.timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return done, nil
}
