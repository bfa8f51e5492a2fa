package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/ckan"
	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/fetch/fetchtest"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// lockedBuffer collects a queue's log lines from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pubEnv is a queue whose publishing reaches a registry double on loopback
// through targets saved with sealed tokens, retrying after 10 ms.
type pubEnv struct {
	*queueEnv
	reg      *ckantest.Server
	registry publish.Registry
	logs     *lockedBuffer
	files    *httptest.Server
	metrics  *prometheus.Registry // shared by the env's queues
}

var (
	approver = opendata.Actor{Kind: opendata.ActorUser, Email: "approver@example.gc.ca", Approver: true}
	admin    = opendata.Actor{Kind: opendata.ActorUser, Email: "admin@example.gc.ca", Admin: true}
	contact  = opendata.Actor{Kind: opendata.ActorUser, Email: "contact@example.gc.ca"}
)

// newPubEnv's registry calls give up waiting for an answer after callTimeout.
func newPubEnv(t *testing.T, cfg store.Config, callTimeout time.Duration) *pubEnv {
	t.Helper()
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	// Loopback only: the policy allows 127.0.0.1 alone and the dialer connects nowhere else.
	hc := fetch.NewHTTPClient(fetch.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		fetch.HTTPOptions{HeaderTimeout: callTimeout, Timeout: callTimeout + 3*time.Second, DialContext: (&fetchtest.Dialer{}).Dial})
	p := &pubEnv{reg: ckantest.New(t), registry: publish.Registry{Keys: keys, HTTP: hc}, logs: &lockedBuffer{},
		files: csvServer(t), metrics: prometheus.NewRegistry()}
	p.queueEnv = newQueueEnvConfigured(t, cfg, nil, func(c *jobs.Config) {
		c.Registry = p.registry
		c.Metrics = p.metrics
		c.PublishDelay = func(int) time.Duration { return 10 * time.Millisecond }
		c.Logger = slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	return p
}

// saveTarget saves project's target on the double with token sealed.
func (p *pubEnv) saveTarget(t *testing.T, project, org, token string) {
	t.Helper()
	sealed, err := p.registry.SealToken(project, token)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, token) {
		t.Fatal("the sealed token shows the token")
	}
	err = p.db.SavePublishingTarget(context.Background(), opendata.PublishingTarget{Project: project,
		RegistryURL: p.reg.URL, Organization: org, UpdatedBy: "admin:admin@example.gc.ca"}, &sealed)
	if err != nil {
		t.Fatal(err)
	}
}

// fields are valid metadata for the registry, with the file on the env's file server.
func (p *pubEnv) fields(id string) opendata.Fields {
	return opendata.Fields{FileURL: p.files.URL + "/" + id + "/data.csv", FileID: id, FileName: "data.csv",
		EmailContact: contact.Email, Collection: "primary", TitleEN: "Forest inventory " + id,
		TitleFR: "Inventaire forestier " + id, NotesEN: "Plots.", NotesFR: "Placettes.",
		KeywordsEN: []string{"forests"}, KeywordsFR: []string{"forêts"}, Subject: []string{"nature_and_environment"},
		Frequency: "P1Y", DatePublished: "2024-03-15", Jurisdiction: "federal"}
}

// approve stores a submission of project, waits for its file check to pass,
// sends it for approval and approves it, as the web UI does; it returns the id.
func (p *pubEnv) approve(t *testing.T, project string) string {
	t.Helper()
	ctx := context.Background()
	id := uuid.NewString()
	if err := p.db.CreateSubmission(ctx, opendata.NewSubmission(id, project, "dh_abc", p.fields(id), time.Now()), nil); err != nil {
		t.Fatal(err)
	}
	if c := p.finished(t, id); c.State != opendata.CheckPassed {
		t.Fatalf("file check %+v", c)
	}
	p.act(t, id, contact, opendata.ActionSubmitForApproval, "", opendata.Checklist{MetadataValid: true,
		FileCheckPassed: true, ApprovalFormComplete: true, SignedApprovalAttached: true})
	p.act(t, id, approver, opendata.ActionApprove, "", opendata.Checklist{SignedApprovalOpened: true})
	return id
}

// act takes act on the submission through the domain and the store, as the web UI does.
func (p *pubEnv) act(t *testing.T, id string, a opendata.Actor, act opendata.Action, reason string, facts opendata.Checklist) {
	t.Helper()
	ctx := context.Background()
	sub, err := p.db.Submission(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	step, err := sub.Apply(a, act, reason, facts, time.Now())
	if err != nil {
		t.Fatalf("%s: %v", act, err)
	}
	if err := p.db.ApplyTransition(ctx, id, step); err != nil {
		t.Fatalf("%s: %v", act, err)
	}
}

// settled waits until the submission is in one of the states and its
// publishing jobs have ended, and returns it with its publication.
func settled(t *testing.T, e *queueEnv, id string, states ...opendata.State) (*opendata.Submission, *opendata.Publication) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sub, err := e.db.Submission(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(states, sub.State) && !anyLive(e.jobsOf(t, id, string(opendata.EffectPublish))) &&
			!anyLive(e.jobsOf(t, id, string(opendata.EffectUnpublish))) {
			pub, err := e.db.Publication(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return sub, pub
		}
		if time.Now().After(deadline) {
			pub, _ := e.db.Publication(ctx, id)
			t.Fatalf("submission %s is %s after 60 s, want %v; publication %+v", id, sub.State, states, pub)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func anyLive(list []store.JobStatus) bool {
	return slices.ContainsFunc(list, store.JobStatus.Live)
}

// steps lists the history's states from approval on.
func steps(sub *opendata.Submission) []opendata.State {
	var out []opendata.State
	for _, tr := range sub.History {
		if tr.To == opendata.StateApproved || len(out) > 0 {
			out = append(out, tr.To)
		}
	}
	return out
}

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

// outcomes counts the env's publishing outcomes by "operation/outcome".
func (p *pubEnv) outcomes(t *testing.T) map[string]float64 {
	t.Helper()
	families, err := p.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "datahub_publish_outcomes_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			var op, outcome string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "operation":
					op = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			out[op+"/"+outcome] = m.GetCounter().GetValue()
		}
	}
	return out
}

// noticeOf waits for an outbox message with this subject whose text holds want.
func (p *pubEnv) noticeOf(t *testing.T, subject, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(p.outbox, "*.eml"))
		for _, f := range files {
			if m := readEML(t, f); m.Subject == subject && strings.Contains(m.Text, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %q saying %q", subject, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

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
