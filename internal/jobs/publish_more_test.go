package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/ckan"
	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// Without a target the payload is recorded and nothing is sent; once a target
// is saved, an admin's publish now sends that payload.
func TestPublishingDryRun(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		p := newPubEnv(t, cfg, 2*time.Second)
		ctx := context.Background()
		id := p.approve(t, "CFS")
		var pub *opendata.Publication
		deadline := time.Now().Add(60 * time.Second)
		for {
			var sub *opendata.Submission
			sub, pub = settled(t, p.queueEnv, id, opendata.StateApproved, opendata.StatePublishing, opendata.StatePublishFailed)
			if sub.State != opendata.StateApproved {
				t.Fatalf("state %s without a target", sub.State)
			}
			if pub.DryRun || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		sub, err := p.db.Submission(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		check, err := p.db.FileCheck(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := publish.Payload(sub, "", check).JSON(); !pub.DryRun || !bytes.Equal(pub.Payload, want) ||
			pub.Attempts != 0 || pub.RegistryID != "" || pub.PublishedAt != nil {
			t.Fatalf("publication %+v\npayload %s\nwant %s", pub, pub.Payload, want)
		}
		var dry ckan.Payload
		if err := json.Unmarshal(pub.Payload, &dry); err != nil || dry.ID != id || dry.Resources[0].Format != "CSV" ||
			dry.Resources[0].URL != sub.Fields.FileURL || dry.IMSOApproval != "true" {
			t.Fatalf("dry-run payload %s: %v", pub.Payload, err)
		}
		if calls := p.reg.Calls(); len(calls) != 0 {
			t.Fatalf("the registry was called: %+v", calls)
		}

		orgID := p.reg.AddOrganization("cfs-scf")
		p.saveTarget(t, opendata.DefaultTarget, "cfs-scf", p.reg.Token)
		p.act(t, id, admin, opendata.ActionPublishNow, "", opendata.Checklist{PublishingTarget: true})
		sub, pub = settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
		if sub.State != opendata.StatePublished || pub.DryRun || pub.Attempts != 1 || pub.Target != opendata.DefaultTarget {
			t.Fatalf("state %s, publication %+v", sub.State, pub)
		}
		var sent ckan.Payload
		if err := json.Unmarshal(pub.Payload, &sent); err != nil {
			t.Fatal(err)
		}
		dry.OwnerOrg = "cfs-scf" // the one thing a target adds
		if d, _ := p.reg.Dataset(id); !bytes.Equal(sent.JSON(), dry.JSON()) || d["owner_org"] != orgID {
			t.Fatalf("sent %s\nafter the dry run %s", sent.JSON(), dry.JSON())
		}
		want := []opendata.State{opendata.StateApproved, opendata.StatePublishing, opendata.StatePublished}
		if got := steps(sub); !slices.Equal(got, want) {
			t.Fatalf("history %v, want %v", got, want)
		}
		if a := sub.History[len(sub.History)-2].Actor; a != "admin:admin@example.gc.ca" {
			t.Fatalf("publish now by %q", a)
		}
	})
}

// Two replicas, each with its own store handle and queue on one PostgreSQL
// database, publish twenty approvals: each dataset is created exactly once.
func TestPublishingOnTwoReplicas(t *testing.T) {
	cfg := storetest.FreshPostgres(t)
	p := newPubEnv(t, cfg, 2*time.Second)
	other := storetest.Open(t, cfg)
	p.startOn(t, other)
	p.reg.AddOrganization("cfs-scf")
	p.saveTarget(t, opendata.DefaultTarget, "cfs-scf", p.reg.Token)
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = p.approve(t, "CFS")
	}
	for _, id := range ids {
		if sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed); sub.State != opendata.StatePublished ||
			pub.Attempts != 1 {
			t.Fatalf("%s: state %s, publication %+v", id, sub.State, pub)
		}
	}
	creates := p.reg.CallsByID("package_create")
	for _, id := range ids {
		if creates[id] != 1 {
			t.Errorf("%s created %d times", id, creates[id])
		}
	}
	if len(creates) != len(ids) {
		t.Errorf("creates %v", creates)
	}
}

// A publication cut short by a shutdown is not a failure: the submission stays
// publishing, and the next start publishes it once.
func TestPublishingResumesAfterShutdown(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		p := newPubEnv(t, cfg, time.Minute)
		p.reg.AddOrganization("cfs-scf")
		p.saveTarget(t, opendata.DefaultTarget, "cfs-scf", p.reg.Token)
		p.reg.FailNext("package_create", 1, ckantest.FaultTimeout) // held until the client hangs up
		id := p.approve(t, "CFS")
		deadline := time.Now().Add(30 * time.Second)
		for !slices.Contains(p.reg.Calls(), ckantest.Call{Action: "package_create", ID: id, Fault: ckantest.FaultTimeout}) {
			if time.Now().After(deadline) {
				t.Fatalf("the create never arrived: %+v", p.reg.Calls())
			}
			time.Sleep(10 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := p.queue.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		sub, err := p.db.Submission(context.Background(), id)
		if err != nil || sub.State != opendata.StatePublishing {
			t.Fatalf("after the shutdown: %+v %v", sub, err)
		}
		p.queue = p.start(t)
		sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
		if sub.State != opendata.StatePublished || pub.LastError != "" {
			t.Fatalf("state %s, publication %+v", sub.State, pub)
		}
		if n := p.reg.CallsByID("package_create")[id]; n != 2 {
			t.Fatalf("%d creates, want the held one and one more", n)
		}
		if o := p.outcomes(t); o["publish/failed"] != 0 || o["publish/published"] != 1 {
			t.Fatalf("outcomes %v", o)
		}
		want := []opendata.State{opendata.StateApproved, opendata.StatePublishing, opendata.StatePublished}
		if got := steps(sub); !slices.Equal(got, want) {
			t.Fatalf("history %v, want %v", got, want)
		}
	})
}
