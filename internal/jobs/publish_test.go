package jobs_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/ckan"
	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

func TestPublishing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		p := newPubEnv(t, cfg, 2*time.Second)
		ctx := context.Background()
		orgID := p.reg.AddOrganization("cfs-scf")
		p.saveTarget(t, "CFS", "cfs-scf", p.reg.Token)
		wrongToken := strings.Repeat("f", len(p.reg.Token))
		p.saveTarget(t, "BAD", "cfs-scf", wrongToken)
		p.saveTarget(t, "NOORG", "missing-org", p.reg.Token)
		var published string // an id published by the first case, unpublished later

		t.Run("approve publishes", func(t *testing.T) {
			id := p.approve(t, "CFS")
			published = id
			sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
			if sub.State != opendata.StatePublished {
				t.Fatalf("state %s: %+v", sub.State, pub)
			}
			want := []opendata.State{opendata.StateApproved, opendata.StatePublishing, opendata.StatePublished}
			if got := steps(sub); !slices.Equal(got, want) {
				t.Fatalf("history %v, want %v", got, want)
			}
			if last := sub.History[len(sub.History)-1]; last.Actor != opendata.SystemActorName {
				t.Fatalf("published by %q", last.Actor)
			}
			if pub.DryRun || pub.RegistryID != id || pub.RegistryURL != p.reg.URL+"/dataset/"+id || pub.Attempts != 1 ||
				pub.PublishedAt == nil || pub.UnpublishedAt != nil || pub.LastError != "" || len(pub.Errors) != 0 ||
				pub.Target != "CFS" || pub.LastAttemptAt == nil {
				t.Fatalf("publication %+v", pub)
			}
			var sent ckan.Payload
			if err := json.Unmarshal(pub.Payload, &sent); err != nil {
				t.Fatal(err)
			}
			d, ok := p.reg.Dataset(id)
			if !ok {
				t.Fatal("no dataset on the registry")
			}
			res := d["resources"].([]any)[0].(map[string]any)
			if d["state"] != "active" || d["owner_org"] != orgID || sent.OwnerOrg != "cfs-scf" ||
				d["title_translated"].(map[string]any)["fr"] != sent.Title.FR || sent.Title.FR != "Inventaire forestier "+id ||
				d["imso_approval"] != "true" || d["ready_to_publish"] != "true" || d["license_id"] != "ca-ogl-lgo" ||
				d["maintainer_email"] != contact.Email || d["date_published"] != "2024-03-15 00:00:00" {
				t.Fatalf("dataset %v\nsent %s", d, pub.Payload)
			}
			if res["url"] != p.fields(id).FileURL || res["url"] != sent.Resources[0].URL || res["format"] != "CSV" ||
				res["size"] != json.Number(strconv.Itoa(len(csvBody))) || sent.Resources[0].Size != int64(len(csvBody)) {
				t.Fatalf("resource %v, sent %+v", res, sent.Resources[0])
			}
			if n := p.reg.CallsByID("package_create")[id]; n != 1 {
				t.Fatalf("%d creates", n)
			}
			// The published notice links the dataset's registry page.
			p.noticeOf(t, mail.Published(mail.Data{}).Subject, pub.RegistryURL)
		})

		retried := []struct {
			name     string
			action   string
			n        int
			fault    ckantest.Fault
			attempts int
		}{
			{"500 twice, then success", "package_create", 2, ckantest.FaultServerError, 3},
			{"a proxy's 503 page", "package_show", 1, ckantest.FaultProxyPage, 2},
			{"a timeout", "package_create", 1, ckantest.FaultTimeout, 2},
			{"a garbled answer", "organization_show", 1, ckantest.FaultGarbled, 2},
		}
		for _, c := range retried {
			t.Run(c.name, func(t *testing.T) {
				p.reg.FailNext(c.action, c.n, c.fault)
				id := p.approve(t, "CFS")
				sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
				if sub.State != opendata.StatePublished || pub.Attempts != c.attempts || pub.LastError != "" {
					t.Fatalf("state %s, publication %+v", sub.State, pub)
				}
				if creates := p.reg.CallsByID("package_create")[id]; creates != 1+c.n*btoi(c.action == "package_create") {
					t.Fatalf("%d package_create calls", creates)
				}
				if _, ok := p.reg.Dataset(id); !ok {
					t.Fatal("no dataset")
				}
				jobs := p.jobsOf(t, id, string(opendata.EffectPublish))
				if len(jobs) != 1 || jobs[0].State != "completed" || jobs[0].Attempt != c.attempts || jobs[0].LastError == "" {
					t.Fatalf("publish jobs %+v", jobs)
				}
				want := []opendata.State{opendata.StateApproved, opendata.StatePublishing, opendata.StatePublished}
				if got := steps(sub); !slices.Equal(got, want) {
					t.Fatalf("history %v, want %v", got, want)
				}
			})
		}

		t.Run("a connection dropped after the create: patched, never created twice", func(t *testing.T) {
			p.reg.FailNext("package_create", 1, ckantest.FaultDropAfter)
			id := p.approve(t, "CFS")
			sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
			if sub.State != opendata.StatePublished || pub.Attempts != 2 {
				t.Fatalf("state %s, publication %+v", sub.State, pub)
			}
			if c, pt := p.reg.CallsByID("package_create")[id], p.reg.CallsByID("package_patch")[id]; c != 1 || pt != 1 {
				t.Fatalf("%d creates, %d patches", c, pt)
			}
		})

		failed := []struct {
			name   string
			setup  func() string // injects the fault and returns the submission's project
			errors []opendata.RegistryError
			inErr  string // in last_error and the history's reason
		}{
			{"the registry refuses fields", func() string {
				p.reg.FailNext("package_create", 1, ckantest.FaultValidation)
				return "CFS"
			}, []opendata.RegistryError{
				{Field: opendata.FieldTitleFR, Message: `Required language "fr" missing`},
				{Field: opendata.FieldKeywordsFR, Message: "Missing value"},
				{Field: opendata.FieldEmailContact, Message: "Email x is not a valid format"},
				{Field: ckan.FieldFile, Message: "Value must be one of [...]"},
			}, "Validation Error"},
			{"the organization is missing", func() string { return "NOORG" },
				[]opendata.RegistryError{{Field: ckan.FieldOwnerOrg, Message: "Organization does not exist"}},
				"owner_org: Organization does not exist"},
			{"a wrong token", func() string { return "BAD" }, nil, "Authorization Error"},
			{"a bare-string 400", func() string {
				p.reg.FailNext("package_show", 1, ckantest.FaultBadRequest)
				return "CFS"
			}, nil, "Bad request - JSON Error"},
		}
		var noOrg string
		for _, c := range failed {
			t.Run(c.name, func(t *testing.T) {
				id := p.approve(t, c.setup())
				if c.name == "the organization is missing" {
					noOrg = id
				}
				sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
				if sub.State != opendata.StatePublishFailed || pub.Attempts != 1 || pub.PublishedAt != nil ||
					!strings.Contains(pub.LastError, c.inErr) {
					t.Fatalf("state %s, publication %+v", sub.State, pub)
				}
				for _, want := range c.errors {
					if !slices.Contains(pub.Errors, want) {
						t.Errorf("errors %+v lack %+v", pub.Errors, want)
					}
				}
				if c.errors == nil && len(pub.Errors) != 0 {
					t.Errorf("errors %+v", pub.Errors)
				}
				last := sub.History[len(sub.History)-1]
				if last.To != opendata.StatePublishFailed || last.Reason != pub.FailureReason() || last.Reason == "" ||
					(c.errors != nil && !strings.Contains(last.Reason, c.errors[0].Field+": "+c.errors[0].Message)) {
					t.Fatalf("last step %+v", last)
				}
				if n := p.reg.CallsByID("package_create")[id]; n > btoi(c.name == "the registry refuses fields") {
					t.Fatalf("%d creates", n)
				}
				p.noticeOf(t, mail.PublishFailed(mail.Data{}).Subject, last.Reason)
			})
		}

		t.Run("retries exhausted", func(t *testing.T) {
			p.reg.FailNext("organization_show", jobs.PublishAttempts, ckantest.FaultServerError)
			id := p.approve(t, "CFS")
			sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
			if sub.State != opendata.StatePublishFailed || pub.Attempts != jobs.PublishAttempts ||
				!strings.Contains(pub.LastError, "HTTP 500") {
				t.Fatalf("state %s, publication %+v", sub.State, pub)
			}
			if _, ok := p.reg.Dataset(id); ok {
				t.Fatal("a dataset was created")
			}
		})

		t.Run("an admin retries once the organization exists", func(t *testing.T) {
			if noOrg == "" {
				t.Skip("the failed case did not run")
			}
			p.reg.AddOrganization("missing-org")
			p.act(t, noOrg, admin, opendata.ActionRetryPublishing, "", opendata.Checklist{})
			sub, pub := settled(t, p.queueEnv, noOrg, opendata.StatePublished, opendata.StatePublishFailed)
			if sub.State != opendata.StatePublished || pub.Attempts != 2 || pub.LastError != "" || len(pub.Errors) != 0 {
				t.Fatalf("state %s, publication %+v", sub.State, pub)
			}
			if last := sub.History[len(sub.History)-1]; last.To != opendata.StatePublished {
				t.Fatalf("last step %+v", last)
			}
		})

		t.Run("unpublish, then publish again", func(t *testing.T) {
			if published == "" {
				t.Skip("the first case did not run")
			}
			id := published
			p.act(t, id, admin, opendata.ActionUnpublish, "Superseded by a new edition.", opendata.Checklist{})
			var pub *opendata.Publication
			deadline := time.Now().Add(60 * time.Second)
			for {
				_, pub = settled(t, p.queueEnv, id, opendata.StateUnpublished)
				if pub.UnpublishedAt != nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			d, _ := p.reg.Dataset(id)
			if pub.UnpublishedAt == nil || pub.LastError != "" || d["state"] != "deleted" ||
				p.reg.CallsByID("package_delete")[id] != 1 {
				t.Fatalf("publication %+v, dataset state %v", pub, d["state"])
			}
			p.act(t, id, admin, opendata.ActionPublishAgain, "", opendata.Checklist{PublishingTarget: true})
			sub, pub := settled(t, p.queueEnv, id, opendata.StatePublished, opendata.StatePublishFailed)
			d, _ = p.reg.Dataset(id)
			if sub.State != opendata.StatePublished || pub.UnpublishedAt != nil || pub.PublishedAt == nil ||
				d["state"] != "active" || p.reg.CallsByID("package_create")[id] != 1 {
				t.Fatalf("state %s, publication %+v, dataset state %v", sub.State, pub, d["state"])
			}
		})

		t.Run("outcomes counted", func(t *testing.T) {
			o := p.outcomes(t)
			// published: the first, 4 retried, the dropped one, the admin's retry, publish again;
			// failed: 4 refusals and the exhausted retries.
			if o["publish/published"] != 8 || o["publish/failed"] != 5 || o["unpublish/unpublished"] != 1 ||
				o["publish/retry"] < 6 {
				t.Fatalf("outcomes %v", o)
			}
		})

		t.Run("no token in the logs or the publications", func(t *testing.T) {
			logs := p.logs.String()
			if !strings.Contains(logs, "Authorization Error") && !strings.Contains(logs, "HTTP 500") {
				t.Fatalf("the queue logged no registry error, so the check proves nothing:\n%s", logs)
			}
			for _, tok := range []string{p.reg.Token, wrongToken} {
				if strings.Contains(logs, tok) {
					t.Fatal("a token is in the logs")
				}
				rows, err := p.db.SQL().QueryContext(ctx, `SELECT payload || last_error || errors || registry_url FROM publications`)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for rows.Next() {
					var s string
					if err := rows.Scan(&s); err != nil {
						t.Fatal(err)
					}
					if n++; strings.Contains(s, tok) {
						t.Fatal("a token is in a publication")
					}
				}
				rows.Close()
				if n < 5 {
					t.Fatalf("%d publications", n)
				}
			}
		})
	})
}
