package jobs_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// testPublicURL is the service's address in the links of test notices; nothing connects to it.
const testPublicURL = "http://datahub.localhost:8080"

// eml is an outbox message read back the way a mail client would.
type eml struct {
	ID      string
	Subject string
	To      []string
	Text    string
}

func readEML(t *testing.T, path string) eml {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := netmail.ReadMessage(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var m eml
	m.ID = strings.Trim(msg.Header.Get("Message-Id"), "<>")
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range to {
		m.To = append(m.To, a.Address)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct == "text/plain" {
			b, _ := io.ReadAll(part)
			m.Text = string(b)
		}
	}
	return m
}

// mailAt waits until the outbox holds n messages and returns the newest.
func (e *queueEnv) mailAt(t *testing.T, n int) eml {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(e.outbox, "*.eml"))
		slices.Sort(files) // names sort by arrival
		switch {
		case len(files) > n:
			t.Fatalf("%d messages in the outbox, want %d", len(files), n)
		case len(files) == n:
			return readEML(t, files[n-1])
		case time.Now().After(deadline):
			t.Fatalf("%d messages in the outbox after 30 s, want %d", len(files), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// noticeSubmission stores a submission of project whose file check passes.
func (e *queueEnv) noticeSubmission(t *testing.T, id, project, fileURL string) {
	t.Helper()
	f := opendata.Fields{FileURL: fileURL, FileID: id, FileName: "data.csv", EmailContact: "Contact@Example.gc.ca",
		Collection: "primary", TitleEN: "Forest inventory", TitleFR: "Inventaire forestier", NotesEN: "N", NotesFR: "N",
		KeywordsEN: []string{"k"}, KeywordsFR: []string{"k"}, Subject: []string{"nature_and_environment"},
		Frequency: "P1Y", DatePublished: "2024-03-15", Jurisdiction: "federal"}
	if err := e.db.CreateSubmission(context.Background(), opendata.NewSubmission(id, project, "dh_abc", f, time.Now()), nil); err != nil {
		t.Fatal(err)
	}
}

// noticeOn is the notice of the step that ends in each state (opendata's effects table).
var noticeOn = map[opendata.State]opendata.Notice{
	opendata.StatePendingApproval: opendata.NoticeApprovalRequested, opendata.StateChangesRequested: opendata.NoticeChangesRequested,
	opendata.StateApproved: opendata.NoticeApproved, opendata.StateRejected: opendata.NoticeRejected,
	opendata.StateWithdrawn: opendata.NoticeWithdrawn, opendata.StatePublished: opendata.NoticePublished,
	opendata.StatePublishFailed: opendata.NoticePublishFailed,
}

// step moves the submission on and enqueues the notice the transition calls for.
func (e *queueEnv) step(t *testing.T, id string, from, to opendata.State, reason string) {
	t.Helper()
	tr := opendata.Transition{From: from, To: to, Actor: "user:x@example.gc.ca", Reason: reason, At: time.Now()}
	if n, ok := noticeOn[to]; ok {
		tr.Effects = []opendata.Effect{{Kind: opendata.EffectNotify, Notice: n, Reason: reason}}
	}
	if err := e.db.ApplyTransition(context.Background(), id, tr); err != nil {
		t.Fatal(err)
	}
}

// noticesDone waits until the submission has n notice jobs, all completed, and returns them.
func (e *queueEnv) noticesDone(t *testing.T, id string, n int) []store.JobStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := e.jobsOf(t, id, string(opendata.EffectNotify))
		done := 0
		for _, j := range list {
			if j.State == "completed" {
				done++
			}
		}
		if len(list) == n && done == n {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("notice jobs %+v, want %d completed", list, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func csvServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, csvBody)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func grant(t *testing.T, db *store.DB, email string, role opendata.Role, project string) {
	t.Helper()
	if _, err := db.AddGrant(context.Background(), opendata.Grant{Email: email, Role: role, Project: project,
		GrantedAt: time.Now(), GrantedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
}

func TestNotices(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newQueueEnv(t, cfg)
		ctx := context.Background()
		grant(t, e.db, "Approver@Example.gc.ca", opendata.RoleApprover, "cfs")
		grant(t, e.db, "everything@example.gc.ca", opendata.RoleApprover, "")
		grant(t, e.db, "contact@example.gc.ca", opendata.RoleApprover, "CFS") // never asked to approve their own
		grant(t, e.db, "dfo@example.gc.ca", opendata.RoleApprover, "DFO")
		grant(t, e.db, "admin@example.gc.ca", opendata.RoleAdmin, "")
		srv := csvServer(t)
		const id = "0b6e3c1a-notices"
		e.noticeSubmission(t, id, "CFS", srv.URL+"/data.csv")
		d := mail.Data{TitleEN: "Forest inventory", TitleFR: "Inventaire forestier"}
		flowURL := testPublicURL + "/flow/" + id
		contact := []string{"Contact@Example.gc.ca"}

		check := func(n int, want mail.Message, to []string, texts ...string) eml {
			t.Helper()
			m := e.mailAt(t, n)
			if m.Subject != want.Subject || !slices.Equal(m.To, to) {
				t.Fatalf("message %d: %q to %v, want %q to %v", n, m.Subject, m.To, want.Subject, to)
			}
			if !strings.HasPrefix(m.ID, "notify-") || !strings.HasSuffix(m.ID, "-"+id+"-en@datahub.localhost") {
				t.Fatalf("message %d: Message-ID %q", n, m.ID)
			}
			for _, s := range append(texts, flowURL) {
				if !strings.Contains(m.Text, s) {
					t.Fatalf("message %d lacks %q:\n%s", n, s, m.Text)
				}
			}
			return m
		}
		check(1, mail.SubmissionReceived(d), contact)
		e.step(t, id, opendata.StateInPreparation, opendata.StatePendingApproval, "")
		check(2, mail.ApprovalRequested(d), []string{"approver@example.gc.ca", "everything@example.gc.ca"}, testPublicURL+"/queue")
		e.step(t, id, opendata.StatePendingApproval, opendata.StateChangesRequested, "Add French keywords.")
		check(3, mail.ChangesRequested(d), contact, "Add French keywords.")
		e.step(t, id, opendata.StateChangesRequested, opendata.StatePendingApproval, "")
		check(4, mail.ApprovalRequested(d), []string{"approver@example.gc.ca", "everything@example.gc.ca"})
		e.step(t, id, opendata.StatePendingApproval, opendata.StateApproved, "")
		check(5, mail.Approved(d), contact)
		e.step(t, id, opendata.StateApproved, opendata.StatePublishing, "")
		e.step(t, id, opendata.StatePublishing, opendata.StatePublishFailed, "ckan package_create: 409")
		check(6, mail.PublishFailed(d), []string{"Contact@Example.gc.ca", "admin@example.gc.ca"}, "ckan package_create: 409")
		e.step(t, id, opendata.StatePublishFailed, opendata.StatePublishing, "")
		// The published email links the dataset's page as its publication recorded it.
		if err := e.db.RecordPublication(ctx, &opendata.Publication{SubmissionID: id, RegistryID: id,
			RegistryURL: "http://registry.localhost:5000/dataset/" + id}, nil); err != nil {
			t.Fatal(err)
		}
		e.step(t, id, opendata.StatePublishing, opendata.StatePublished, "")
		check(7, mail.Published(d), contact, "http://registry.localhost:5000/dataset/"+id)

		for _, j := range e.noticesDone(t, id, 7) {
			if j.Attempt != 1 || j.SubmissionID != id {
				t.Fatalf("notice job %+v", j)
			}
		}
	})
}

// Each person's email comes in the language they read the service in, first:
// approvers of two languages get one message each, in their own order.
func TestNoticesInEachReadersLanguage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newQueueEnv(t, cfg)
		ctx := context.Background()
		grant(t, e.db, "anglo@example.gc.ca", opendata.RoleApprover, "CFS")
		grant(t, e.db, "Franco@example.gc.ca", opendata.RoleApprover, "CFS")
		grant(t, e.db, "newcomer@example.gc.ca", opendata.RoleApprover, "CFS")
		for email, lang := range map[string]string{"contact@example.gc.ca": "fr", "franco@example.gc.ca": "fr", "anglo@example.gc.ca": "en"} {
			if err := e.db.SetLanguage(ctx, email, lang); err != nil {
				t.Fatal(err)
			}
		}
		srv := csvServer(t)
		const id = "langs"
		e.noticeSubmission(t, id, "CFS", srv.URL+"/data.csv")
		d := mail.Data{TitleEN: "Forest inventory", TitleFR: "Inventaire forestier"}
		fr := d
		fr.Lang = "fr"
		if m := e.mailAt(t, 1); m.Subject != mail.SubmissionReceived(fr).Subject || !strings.HasPrefix(m.Text, "The English follows.") ||
			!strings.HasSuffix(m.ID, "-"+id+"-fr@datahub.localhost") {
			t.Fatalf("the French-speaking contact's email: %q %q\n%s", m.ID, m.Subject, m.Text)
		}
		e.step(t, id, opendata.StateInPreparation, opendata.StatePendingApproval, "")
		e.noticesDone(t, id, 2)
		e.mailAt(t, 3)
		files, _ := filepath.Glob(filepath.Join(e.outbox, "*.eml"))
		slices.Sort(files)
		got := map[string]eml{}
		for _, f := range files[1:] {
			m := readEML(t, f)
			got[strings.Join(m.To, ",")] = m
		}
		if m, ok := got["anglo@example.gc.ca,newcomer@example.gc.ca"]; !ok || m.Subject != mail.ApprovalRequested(d).Subject {
			t.Fatalf("English first to the others: %v", got)
		}
		if m, ok := got["franco@example.gc.ca"]; !ok || m.Subject != mail.ApprovalRequested(fr).Subject {
			t.Fatalf("French first to the French reader: %v", got)
		}
	})
}

// A notice nobody should receive finishes without a message; one about a
// withdrawn dataset goes to its contact with the reason.
func TestNoticeWithoutRecipients(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newQueueEnv(t, cfg)
		srv := csvServer(t)
		const id = "no-approvers"
		e.noticeSubmission(t, id, "NOBODY", srv.URL+"/data.csv")
		e.mailAt(t, 1)
		e.step(t, id, opendata.StateInPreparation, opendata.StatePendingApproval, "")
		e.step(t, id, opendata.StatePendingApproval, opendata.StateWithdrawn, "Superseded.")
		if m := e.mailAt(t, 2); m.Subject != mail.Withdrawn(mail.Data{}).Subject || !strings.Contains(m.Text, "Superseded.") {
			t.Fatalf("withdrawn notice %+v", m)
		}
		e.noticesDone(t, id, 3)
		e.mailAt(t, 2) // still two: the approval request had nobody to go to
	})
}

// flakyMailer fails its first sends, as a mail server that is down would.
type flakyMailer struct {
	next  mail.Mailer
	mu    sync.Mutex
	fails int
	ids   []string // the Message-ID of every attempt
}

func (f *flakyMailer) Send(ctx context.Context, m mail.Message) error {
	f.mu.Lock()
	f.ids = append(f.ids, m.ID)
	fail := len(f.ids) <= f.fails
	f.mu.Unlock()
	if fail {
		return errors.New("421 service not available")
	}
	return f.next.Send(ctx, m)
}

// A send that fails is retried with the same Message-ID until it goes through.
func TestNoticeRetriedOnSendFailure(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		flaky := &flakyMailer{fails: 1}
		e := newQueueEnvWith(t, cfg, func(m mail.Mailer) mail.Mailer { flaky.next = m; return flaky })
		srv := csvServer(t)
		e.noticeSubmission(t, "retried", "CFS", srv.URL+"/data.csv")
		m := e.mailAt(t, 1)
		flaky.mu.Lock()
		ids := slices.Clone(flaky.ids)
		flaky.mu.Unlock()
		if len(ids) != 2 || ids[0] != ids[1] || ids[1] != m.ID {
			t.Fatalf("attempts with ids %v, sent %q", ids, m.ID)
		}
		if j := e.noticesDone(t, "retried", 1)[0]; j.Attempt != 2 || !strings.Contains(j.LastError, "421") ||
			j.MaxAttempts != jobs.NotifyAttempts {
			t.Fatalf("job %+v", j)
		}
	})
}

// failingAt fails the sends whose number (from 1) is in fail.
type failingAt struct {
	next mail.Mailer
	mu   sync.Mutex
	n    int
	fail map[int]bool
	ids  []string
}

func (f *failingAt) Send(ctx context.Context, m mail.Message) error {
	f.mu.Lock()
	f.n++
	fail := f.fail[f.n]
	f.ids = append(f.ids, m.ID)
	f.mu.Unlock()
	if fail {
		return errors.New("421 service not available")
	}
	return f.next.Send(ctx, m)
}

// The same step of several submissions in one transaction is one job; when
// one of its emails fails, the retry sends only those not sent yet.
func TestNoticesOfOneCommitShareAJob(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		m := &failingAt{fail: map[int]bool{5: true}} // the second email of the shared job, once
		e := newQueueEnvWith(t, cfg, func(next mail.Mailer) mail.Mailer { m.next = next; return m })
		srv := csvServer(t)
		for _, id := range []string{"s1", "s2", "s3"} {
			e.noticeSubmission(t, id, "CFS", srv.URL+"/data.csv")
		}
		e.mailAt(t, 3) // their own "received" emails
		// One transaction asks for the same notice about all three, as a group
		// commit of three steps does; the store links each job to its submission.
		ctx := context.Background()
		tx, err := e.db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var batch []store.Job
		for _, id := range []string{"s1", "s2", "s3"} {
			batch = append(batch, store.Job{SubmissionID: id, Effect: opendata.Effect{Kind: opendata.EffectNotify, Notice: opendata.NoticeWithdrawn}})
		}
		ids, err := e.queue.Enqueue(ctx, tx, batch)
		if err != nil || ids[0] != ids[1] || ids[1] != ids[2] {
			t.Fatalf("one job for the three notices: %v %v", ids, err)
		}
		for i, j := range batch {
			if _, err := tx.ExecContext(ctx, `INSERT INTO submission_jobs (submission_id, job_id, kind, created_at) VALUES ($1, $2, 'notify', 0)`,
				j.SubmissionID, ids[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		e.mailAt(t, 6)
		var shared int64
		for _, id := range []string{"s1", "s2", "s3"} {
			list := e.noticesDone(t, id, 2)
			if shared == 0 {
				shared = list[0].ID
			}
			if list[0].ID != shared {
				t.Fatalf("%s: notice jobs %+v, want the shared job %d first", id, list, shared)
			}
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.n != 7 {
			t.Fatalf("%d sends (ids %q), want 7: three, then three with one failure, retried once", m.n, m.ids)
		}
		if m.ids[4] != m.ids[5] || m.ids[3] == m.ids[4] {
			t.Fatalf("the retry must send the failed email again with its Message-ID, and not the one before: %q", m.ids)
		}
	})
}
