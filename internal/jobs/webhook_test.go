package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
	"github.com/opendata-datahub/datahub/internal/webhook"
)

// hookRequest is one POST a receiver got.
type hookRequest struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint on loopback. answer decides the response
// to the nth request (from 1); nil answers 204.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []hookRequest
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, hookRequest{header: r.Header.Clone(), body: body})
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// verify checks a request with the Standard Webhooks reference library and
// returns its event; the body's id is the webhook-id.
func verify(t *testing.T, secret string, req hookRequest) opendata.Event {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(req.body, req.header); err != nil {
		t.Fatalf("signature of %s: %v (headers %v)", req.header.Get("webhook-id"), err, req.header)
	}
	var ev opendata.Event
	if err := json.Unmarshal(req.body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != req.header.Get("webhook-id") || req.header.Get("Content-Type") != "application/json" {
		t.Fatalf("event %s delivered as webhook-id %s, %s", ev.ID, req.header.Get("webhook-id"), req.header.Get("Content-Type"))
	}
	return ev
}

// hookEnv is a queue whose deliveries go through the recording dialer, a
// key of project CFS and the secret key that seals endpoint secrets.
type hookEnv struct {
	*queueEnv
	keys   *secret.Keyring
	prefix string // the key's
}

// newHookEnv starts a queue delivering through policy after delays of 10 ms,
// the endpoint given timeout to answer, with a key of project CFS.
func newHookEnv(t *testing.T, cfg store.Config, policy fetch.Policy, timeout time.Duration) *hookEnv {
	t.Helper()
	k, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	e := newQueueEnvConfig(t, cfg, nil, func(e *queueEnv, c *jobs.Config) {
		c.Registry = publish.Registry{Keys: keys, HTTP: fetch.NewHTTPClient(fetch.Policy{AllowPrivate: true},
			fetch.HTTPOptions{DialContext: e.dialer.Dial})}
		c.Webhooks = jobs.NewWebhookClient(policy, fetch.HTTPOptions{Timeout: timeout, DialContext: e.dialer.Dial})
		c.WebhookDelay = func(int) time.Duration { return 10 * time.Millisecond }
		c.PublishDelay = func(int) time.Duration { return 10 * time.Millisecond }
	})
	ctx := context.Background()
	serverSecret, err := e.db.Secret(ctx, auth.SecretName)
	if err != nil {
		t.Fatal(err)
	}
	_, rec := auth.NewKey(serverSecret, "CFS", "hook client", "client@example.gc.ca", nil, time.Now())
	if err := e.db.CreateKey(ctx, rec); err != nil {
		t.Fatal(err)
	}
	return &hookEnv{queueEnv: e, keys: keys, prefix: rec.Prefix}
}

// endpoints manages the env's endpoints as the API and the command line do.
func (h *hookEnv) endpoints() webhook.Endpoints { return webhook.Endpoints{Store: h.db, Keys: h.keys} }

// setHook points the key's endpoint at url and returns its new secret.
func (h *hookEnv) setHook(t *testing.T, url string) string {
	t.Helper()
	s, err := h.endpoints().Set(context.Background(), h.prefix, url, time.Now())
	if err != nil || s == "" {
		t.Fatalf("set webhook: %q %v", s, err)
	}
	return s
}

// create stores a valid submission of the key whose file is at fileURL.
func (h *hookEnv) create(t *testing.T, id, fileURL string) *opendata.Submission {
	t.Helper()
	f := opendata.Fields{FileURL: fileURL, FileID: "file-" + id, FileName: "inventory.csv", EmailContact: "contact@example.gc.ca",
		Collection: "primary", TitleEN: "Forest inventory", TitleFR: "Inventaire forestier",
		NotesEN: "Plot measurements.", NotesFR: "Mesures des placettes.",
		KeywordsEN: []string{"forests", "trees"}, KeywordsFR: []string{"forêts", "arbres"},
		Subject: []string{"nature_and_environment"}, Frequency: "P1Y", DatePublished: "2024-03-15", Jurisdiction: "federal"}
	sub := opendata.NewSubmission(id, "CFS", h.prefix, f, time.Now())
	if err := h.db.CreateSubmission(context.Background(), sub, nil); err != nil {
		t.Fatal(err)
	}
	return sub
}

// deliveries waits until the key has n deliveries, none pending, and returns them.
func (h *hookEnv) deliveries(t *testing.T, n int) []opendata.Delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := h.db.Deliveries(context.Background(), h.prefix, 100)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, d := range list {
			if d.Outcome != opendata.DeliveryPending {
				done++
			}
		}
		if len(list) == n && done == n {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries %+v, want %d done", list, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// feed returns the project's events, oldest first.
func (h *hookEnv) feed(t *testing.T) []opendata.Event {
	t.Helper()
	evs, err := h.db.Events(context.Background(), "CFS", 0, store.MaxEventsPage)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// step takes act on the submission as actor and records it with its effects.
func (h *hookEnv) step(t *testing.T, id string, a opendata.Actor, act opendata.Action) {
	t.Helper()
	ctx := context.Background()
	sub, err := h.db.Submission(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	all := opendata.Checklist{MetadataValid: true, FileCheckPassed: true, ApprovalFormComplete: true,
		SignedApprovalAttached: true, SignedApprovalOpened: true, PublishingTarget: true}
	tr, err := sub.Apply(a, act, "", all, time.Now())
	if err != nil {
		t.Fatalf("%s: %v", act, err)
	}
	if err := h.db.ApplyTransition(ctx, id, tr); err != nil {
		t.Fatalf("%s: %v", act, err)
	}
}

// The events of a submission's whole life, from its arrival to the registry,
// are in the feed in the order they happened, and each reaches the endpoint
// once, signed, with the feed's very bytes.
func TestWebhookWholeLife(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		h := newHookEnv(t, cfg, fetch.Policy{AllowPrivate: true}, 0)
		ctx := context.Background()
		rc := newReceiver(t, nil)
		secret := h.setHook(t, rc.srv.URL+"/hooks")
		reg := ckantest.New(t)
		reg.AddOrganization("nrcan-rncan")
		sealed, err := publish.Registry{Keys: h.keys}.SealToken("CFS", reg.Token)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.db.SavePublishingTarget(ctx, opendata.PublishingTarget{Project: "CFS", RegistryURL: reg.URL,
			Organization: "nrcan-rncan", UpdatedBy: "test", UpdatedAt: time.Now()}, &sealed); err != nil {
			t.Fatal(err)
		}
		const id = "0190a3c2-7d4e-7b1a-9c3e-5f6a7b8c9d01"
		h.create(t, id, csvServer(t).URL+"/inventory.csv")
		if c := h.finished(t, id); c.State != opendata.CheckPassed {
			t.Fatalf("file check %+v", c)
		}
		h.step(t, id, opendata.Actor{Kind: opendata.ActorUser, Email: "contact@example.gc.ca"}, opendata.ActionSubmitForApproval)
		h.step(t, id, opendata.Actor{Kind: opendata.ActorUser, Email: "approver@example.gc.ca", Approver: true}, opendata.ActionApprove)
		deadline := time.Now().Add(30 * time.Second)
		for {
			sub, err := h.db.Submission(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if sub.State == opendata.StatePublished {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("submission still %s", sub.State)
			}
			time.Sleep(50 * time.Millisecond)
		}

		type step struct {
			typ        opendata.EventType
			from, to   opendata.State
			checkState opendata.CheckState
		}
		want := []step{
			{opendata.EventReceived, "", opendata.StateInPreparation, ""},
			{opendata.EventFileChecked, "", opendata.StateInPreparation, opendata.CheckPassed},
			{opendata.EventStateChanged, opendata.StateInPreparation, opendata.StatePendingApproval, ""},
			{opendata.EventStateChanged, opendata.StatePendingApproval, opendata.StateApproved, ""},
			{opendata.EventStateChanged, opendata.StateApproved, opendata.StatePublishing, ""},
			{opendata.EventStateChanged, opendata.StatePublishing, opendata.StatePublished, ""},
		}
		feed := h.feed(t)
		if len(feed) != len(want) {
			t.Fatalf("feed has %d events, want %d: %+v", len(feed), len(want), feed)
		}
		for i, ev := range feed {
			w := want[i]
			var check opendata.CheckState
			if ev.Data.FileCheck != nil {
				check = ev.Data.FileCheck.State
			}
			if ev.Type != w.typ || ev.Data.PreviousState != w.from || ev.Data.State != w.to || check != w.checkState ||
				ev.Data.DatahubID != id || ev.Data.FileID != "file-"+id {
				t.Errorf("event %d: %+v, want %+v", i, ev, w)
			}
			if i > 0 && ev.ID <= feed[i-1].ID {
				t.Errorf("event ids out of order: %s after %s", ev.ID, feed[i-1].ID)
			}
		}
		if last := feed[len(feed)-1].Data; !strings.HasPrefix(last.RegistryURL, reg.URL) {
			t.Errorf("published event's registry_url %q", last.RegistryURL)
		}

		for _, d := range h.deliveries(t, len(want)) {
			if d.Outcome != opendata.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != http.StatusNoContent {
				t.Errorf("delivery %+v", d)
			}
		}
		got := rc.requests()
		slices.SortFunc(got, func(a, b hookRequest) int {
			return strings.Compare(a.header.Get("webhook-id"), b.header.Get("webhook-id"))
		})
		if len(got) != len(feed) {
			t.Fatalf("the endpoint got %d requests, want %d", len(got), len(feed))
		}
		for i, req := range got {
			ev := verify(t, secret, req)
			body, _ := json.Marshal(feed[i])
			if ev.ID != feed[i].ID || string(req.body) != string(body) {
				t.Errorf("delivery %d: %s, want the feed's %s", i, req.body, body)
			}
		}
	})
}

// countingAnswer answers each event's attempts in turn with 500, no answer
// until the client gives up, a reset connection, then 204.
func countingAnswer() func(n int, w http.ResponseWriter, r *http.Request) {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(_ int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		n := seen[r.Header.Get("webhook-id")]
		mu.Unlock()
		switch n {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			select { // the client's time limit ends the request first
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case 3:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			conn.(interface{ SetLinger(int) error }).SetLinger(0) // close with a reset
			conn.Close()
		default:
			w.WriteHeader(http.StatusOK)
		}
	}
}

// A receiver that fails (500), times out, or resets, then recovers, gets
// each event in the end; every attempt carries the same id and body, signed.
func TestWebhookRetriedUntilTheReceiverRecovers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		h := newHookEnv(t, cfg, fetch.Policy{AllowPrivate: true}, 300*time.Millisecond)
		rc := newReceiver(t, countingAnswer())
		secret := h.setHook(t, rc.srv.URL)
		h.create(t, "0190a3c2-7d4e-7b1a-9c3e-5f6a7b8c9d02", csvServer(t).URL+"/inventory.csv")
		for _, d := range h.deliveries(t, 2) { // received and file_checked
			if d.Outcome != opendata.DeliveryDelivered || d.Attempts != 4 || d.LastStatus != http.StatusOK || d.LastError != "" {
				t.Errorf("delivery %+v", d)
			}
		}
		bodies := map[string][]string{}
		for _, req := range rc.requests() {
			ev := verify(t, secret, req)
			bodies[ev.ID] = append(bodies[ev.ID], string(req.body))
		}
		if len(bodies) != 2 {
			t.Fatalf("events received: %v", bodies)
		}
		for id, b := range bodies {
			if len(b) != 4 || b[0] != b[1] || b[1] != b[2] || b[2] != b[3] {
				t.Errorf("event %s: %d attempts, bodies %q", id, len(b), b)
			}
		}
		hook, err := h.db.Webhook(context.Background(), h.prefix)
		if err != nil || hook.Status() != "active" {
			t.Errorf("endpoint after recovery: %+v %v", hook, err)
		}
	})
}

// The attempts' errors are kept on the delivery while it is retried.
func TestWebhookDeliveryRecordsItsFailures(t *testing.T) {
	h := newHookEnv(t, storetest.FreshSQLite(t), fetch.Policy{AllowPrivate: true}, 0)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	h.setHook(t, rc.srv.URL)
	h.create(t, "0190a3c2-7d4e-7b1a-9c3e-5f6a7b8c9d03", "http://127.0.0.1:1/none.csv")
	for _, d := range h.deliveries(t, 2) {
		if d.Outcome != opendata.DeliveryFailed || d.Attempts != jobs.WebhookAttempts || d.LastStatus != http.StatusServiceUnavailable ||
			!strings.Contains(d.LastError, "503") || d.DoneAt == nil || d.NextAt != nil {
			t.Errorf("delivery %+v", d)
		}
	}
	if n := len(rc.requests()); n != 2*jobs.WebhookAttempts {
		t.Errorf("the endpoint got %d requests, want %d", n, 2*jobs.WebhookAttempts)
	}
	hook, err := h.db.Webhook(context.Background(), h.prefix)
	if err != nil || hook.Status() != "failing" || hook.FailingSince == nil || hook.DisabledAt != nil {
		t.Errorf("endpoint %+v %v", hook, err)
	}
}

// signatures counts the v1 signatures of a request.
func signatures(req hookRequest) int { return len(strings.Fields(req.header.Get("webhook-signature"))) }

// After a rotation the old secret signs too, as a second signature, for a
// day; once that has passed only the new one signs.
func TestWebhookRotation(t *testing.T) {
	h := newHookEnv(t, storetest.FreshSQLite(t), fetch.Policy{AllowPrivate: true}, 0)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	first := h.setHook(t, rc.srv.URL)
	h.create(t, "0190a3c2-7d4e-7b1a-9c3e-5f6a7b8c9d04", "http://127.0.0.1:1/none.csv")
	list := h.deliveries(t, 2)
	redeliver := func(n int) hookRequest { // the newest delivery again; it is the nth in all
		t.Helper()
		if err := h.db.RetryDelivery(ctx, h.prefix, list[0].ID); err != nil {
			t.Fatal(err)
		}
		h.deliveries(t, n)
		got := rc.requests()
		return got[len(got)-1]
	}
	for _, req := range rc.requests() {
		verify(t, first, req)
		if signatures(req) != 1 {
			t.Fatalf("signatures before a rotation: %q", req.header.Get("webhook-signature"))
		}
	}

	// A rotation whose day has passed: only the new secret signs.
	second, err := h.endpoints().Rotate(ctx, h.prefix, time.Now().Add(-opendata.WebhookOldSecretFor-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	req := redeliver(3)
	verify(t, second, req)
	if wh, _ := standardwebhooks.NewWebhook(first); signatures(req) != 1 || wh.Verify(req.body, req.header) == nil {
		t.Fatalf("the expired secret still signs: %q", req.header.Get("webhook-signature"))
	}

	// A rotation now: both sign, the new one first.
	third, err := h.endpoints().Rotate(ctx, h.prefix, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req = redeliver(4)
	verify(t, third, req)
	verify(t, second, req)
	if signatures(req) != 2 {
		t.Fatalf("signatures during a rotation: %q", req.header.Get("webhook-signature"))
	}
	if wh, _ := standardwebhooks.NewWebhook(first); wh.Verify(req.body, req.header) == nil {
		t.Fatal("a secret rotated out twice still signs")
	}
	hook, err := h.db.Webhook(ctx, h.prefix)
	if err != nil || hook.OldSecretUntil == nil || hook.OldSecretUntil.Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("endpoint %+v %v", hook, err)
	}
}

// The callback URL goes through the address policy when it is dialled: a
// loopback, private or metadata address is refused without a connection.
func TestWebhookRefusedAtDialTime(t *testing.T) {
	h := newHookEnv(t, storetest.FreshSQLite(t), fetch.Policy{}, 0)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	h.setHook(t, rc.srv.URL+"/hooks")
	h.create(t, "0190a3c2-7d4e-7b1a-9c3e-5f6a7b8c9d05", "http://127.0.0.1:1/none.csv")
	n := 2
	for _, url := range []string{"", "http://10.20.30.40:8080/hooks", "http://169.254.169.254/latest", "http://[::1]:8080/hooks"} {
		if url != "" {
			if _, err := h.endpoints().Set(ctx, h.prefix, url, time.Now()); err != nil {
				t.Fatal(err)
			}
			list, _ := h.db.Deliveries(ctx, h.prefix, 1)
			if err := h.db.RetryDelivery(ctx, h.prefix, list[0].ID); err != nil {
				t.Fatal(err)
			}
			n++
		}
		d := h.deliveries(t, n)[0]
		if d.Outcome != opendata.DeliveryFailed || d.LastStatus != 0 || !strings.Contains(d.LastError, "address") {
			t.Errorf("%s: delivery %+v", url, d)
		}
	}
	if got := rc.requests(); len(got) != 0 {
		t.Errorf("the loopback receiver got %d requests", len(got))
	}
	receiver := strings.TrimPrefix(rc.srv.URL, "http://")
	for _, a := range h.dialer.Addrs() {
		if a == receiver || strings.HasPrefix(a, "10.") || strings.HasPrefix(a, "169.254.") || strings.HasPrefix(a, "[::1]") {
			t.Errorf("dialled %s", a)
		}
	}
}

// Two replicas on one PostgreSQL database deliver each event exactly once.
func TestWebhookTwoReplicasDeliverOnce(t *testing.T) {
	cfg := storetest.FreshPostgres(t)
	h := newHookEnv(t, cfg, fetch.Policy{AllowPrivate: true}, 0)
	replica := &queueEnv{db: storetest.Open(t, cfg), dialer: h.dialer, mailer: h.mailer, configure: h.configure}
	replica.queue = replica.start(t)
	rc := newReceiver(t, nil)
	secret := h.setHook(t, rc.srv.URL)
	files := csvServer(t).URL + "/inventory.csv"
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := h.db
			if i%2 == 1 {
				db = replica.db
			}
			sub := opendata.NewSubmission("0190a3c2-7d4e-7b1a-9c3e-5f6a7b8c"+strings.Repeat("0", 2)+string(rune('a'+i)), "CFS",
				h.prefix, opendata.Fields{FileURL: files, FileID: "replica-" + string(rune('a'+i)), FileName: "x.csv",
					EmailContact: "contact@example.gc.ca"}, time.Now())
			if err := db.CreateSubmission(context.Background(), sub, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	h.deliveries(t, 2*n)
	seen := map[string]int{}
	for _, req := range rc.requests() {
		seen[verify(t, secret, req).ID]++
	}
	feed := h.feed(t)
	if len(seen) != 2*n || len(feed) != 2*n {
		t.Fatalf("%d events delivered, %d in the feed; want %d", len(seen), len(feed), 2*n)
	}
	for _, ev := range feed {
		if seen[ev.ID] != 1 {
			t.Errorf("event %s delivered %d times", ev.ID, seen[ev.ID])
		}
	}
}
