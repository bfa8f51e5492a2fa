package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/fetch/fetchtest"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
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
