package jobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/fetch/fetchtest"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// queueEnv is a migrated store with a started queue whose file checks retry
// after 10 ms instead of seconds and whose notices land in an outbox folder.
type queueEnv struct {
	db     *store.DB
	queue  *jobs.Queue
	dialer *fetchtest.Dialer
	outbox string      // where the notices land
	mailer mail.Mailer // sends them: the outbox, or a wrapper around it
	// configure, when set, changes the queue's configuration before it starts.
	configure func(*queueEnv, *jobs.Config)
}

func newQueueEnv(t *testing.T, cfg store.Config) *queueEnv {
	t.Helper()
	return newQueueEnvWith(t, cfg, nil)
}

// newQueueEnvWith is newQueueEnv with a mailer wrapping the outbox, nil for the outbox itself.
func newQueueEnvWith(t *testing.T, cfg store.Config, wrap func(mail.Mailer) mail.Mailer) *queueEnv {
	t.Helper()
	return newQueueEnvConfig(t, cfg, wrap, nil)
}

// newQueueEnvConfigured is newQueueEnvConfig for a configure that needs no env.
func newQueueEnvConfigured(t *testing.T, cfg store.Config, wrap func(mail.Mailer) mail.Mailer, configure func(*jobs.Config)) *queueEnv {
	t.Helper()
	return newQueueEnvConfig(t, cfg, wrap, func(_ *queueEnv, c *jobs.Config) { configure(c) })
}

// newQueueEnvConfig is newQueueEnvWith with configure applied to every queue's configuration.
func newQueueEnvConfig(t *testing.T, cfg store.Config, wrap func(mail.Mailer) mail.Mailer, configure func(*queueEnv, *jobs.Config)) *queueEnv {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, cfg)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, db); err != nil { // a second run finds nothing to do
		t.Fatal(err)
	}
	e := &queueEnv{db: db, dialer: &fetchtest.Dialer{}, outbox: t.TempDir(), configure: configure}
	outbox, err := mail.NewOutbox(e.outbox, "DataHub <datahub@example.gc.ca>", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e.mailer = outbox
	if wrap != nil {
		e.mailer = wrap(outbox)
	}
	e.queue = e.start(t)
	return e
}

// start starts another queue on the env's database, stopped when the test ends.
func (e *queueEnv) start(t *testing.T) *jobs.Queue {
	t.Helper()
	return e.startOn(t, e.db)
}

// startOn starts a queue on db (the env's store or another handle on its database), stopped when the test ends.
func (e *queueEnv) startOn(t *testing.T, db *store.DB) *jobs.Queue {
	t.Helper()
	client := fetch.New(fetch.Config{Policy: fetch.Policy{AllowPrivate: true}, DialContext: e.dialer.Dial,
		ConnectTimeout: 2 * time.Second, HeaderTimeout: 5 * time.Second, TotalTimeout: 20 * time.Second})
	qc := jobs.Config{
		Fetch: client, FetchTimeout: 20 * time.Second, Workers: 4, Mailer: e.mailer, PublicURL: testPublicURL,
		RetryDelay:       func(int) time.Duration { return 10 * time.Millisecond },
		ProjectBusyDelay: 50 * time.Millisecond,
		PollInterval:     100 * time.Millisecond,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		Test:             true,
	}
	if e.configure != nil {
		e.configure(e, &qc)
	}
	q, err := jobs.New(db, qc)
	if err != nil {
		t.Fatal(err)
	}
	db.SetJobs(q)
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return q
}

func (e *queueEnv) submit(t *testing.T, id, fileURL string) {
	t.Helper()
	e.submitFor(t, "CFS", id, fileURL)
}

// submitFor stores a submission of project whose file is at fileURL; its check is enqueued.
func (e *queueEnv) submitFor(t *testing.T, project, id, fileURL string) {
	t.Helper()
	f := opendata.Fields{FileURL: fileURL, FileID: id, FileName: "data.csv", EmailContact: "a@example.gc.ca",
		Collection: "primary", TitleEN: "T", TitleFR: "T", NotesEN: "N", NotesFR: "N",
		KeywordsEN: []string{"k"}, KeywordsFR: []string{"k"}, Subject: []string{"nature_and_environment"},
		Frequency: "P1Y", DatePublished: "2024-03-15", Jurisdiction: "federal"}
	if err := e.db.CreateSubmission(context.Background(), opendata.NewSubmission(id, project, "dh_abc", f, time.Now()), nil); err != nil {
		t.Fatal(err)
	}
}

// finished waits until the submission's check is no longer pending.
func (e *queueEnv) finished(t *testing.T, id string) *opendata.FileCheck {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := e.db.FileCheck(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != opendata.CheckPending {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("check of %s still pending: %+v", id, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jobOf returns the submission's newest file check job once River has recorded its end.
func (e *queueEnv) jobOf(t *testing.T, id string) store.JobStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.jobsOf(t, id, string(opendata.EffectCheckFile))
		if len(st) == 0 {
			t.Fatalf("no file check job for %s", id)
		}
		if !st[0].Live() || time.Now().After(deadline) {
			return st[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jobsOf returns the submission's jobs of one kind, newest first.
func (e *queueEnv) jobsOf(t *testing.T, id, kind string) []store.JobStatus {
	t.Helper()
	ctx := context.Background()
	ids, err := e.db.SubmissionJobIDs(ctx, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.queue.Statuses(ctx, ids)
	if err != nil || len(all) != len(ids) {
		t.Fatalf("statuses of %v: %v %v", ids, all, err)
	}
	var out []store.JobStatus
	for _, st := range all {
		if st.Kind == kind {
			out = append(out, st)
		}
	}
	return out
}

const csvBody = "plot,species,height\n1,Picea glauca,12.5\n2,Abies balsamea,9.1\n"

func TestFileCheckJobs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newQueueEnv(t, cfg)
		var flaky, broken atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/data.csv":
				w.Header().Set("Content-Type", "text/csv")
				io.WriteString(w, csvBody)
			case "/flaky.csv": // fails twice, then serves the file
				if flaky.Add(1) <= 2 {
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return
				}
				w.Header().Set("Content-Type", "text/csv")
				io.WriteString(w, csvBody)
			case "/broken.csv":
				broken.Add(1)
				http.Error(w, "down", http.StatusServiceUnavailable)
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()

		e.submit(t, "csv", srv.URL+"/data.csv")
		e.submit(t, "missing", srv.URL+"/missing.csv")
		e.submit(t, "flaky", srv.URL+"/flaky.csv")
		e.submit(t, "broken", srv.URL+"/broken.csv")
		e.submit(t, "metadata", "http://169.254.169.254/latest/meta-data/")

		sum := sha256.Sum256([]byte(csvBody))
		t.Run("a CSV passes", func(t *testing.T) {
			c := e.finished(t, "csv")
			if c.State != opendata.CheckPassed || c.Format != "CSV" || c.Size != int64(len(csvBody)) ||
				c.SHA256 != hex.EncodeToString(sum[:]) || c.HTTPStatus != 200 || c.Attempts != 1 ||
				c.CheckedAt == nil || c.Reason != "" {
				t.Fatalf("check %+v", c)
			}
			if j := e.jobOf(t, "csv"); j.State != "completed" || j.Kind != "file_check" || j.SubmissionID != "csv" {
				t.Fatalf("job %+v", j)
			}
		})
		t.Run("a 404 fails at once", func(t *testing.T) {
			c := e.finished(t, "missing")
			if c.State != opendata.CheckFailed || c.HTTPStatus != 404 || c.Attempts != 1 || c.CheckedAt == nil || c.Reason == "" {
				t.Fatalf("check %+v", c)
			}
		})
		t.Run("a 503 is retried until the file comes", func(t *testing.T) {
			c := e.finished(t, "flaky")
			if c.State != opendata.CheckPassed || c.Attempts != 3 || flaky.Load() != 3 {
				t.Fatalf("check %+v after %d requests", c, flaky.Load())
			}
			if j := e.jobOf(t, "flaky"); j.Attempt != 3 || j.LastError == "" {
				t.Fatalf("job %+v", j)
			}
		})
		t.Run("a 503 that lasts fails after the last attempt", func(t *testing.T) {
			c := e.finished(t, "broken")
			if c.State != opendata.CheckFailed || c.Attempts != jobs.FileCheckAttempts || broken.Load() != jobs.FileCheckAttempts ||
				c.HTTPStatus != 503 || c.CheckedAt == nil || c.Reason == "" ||
				c.ReasonArgs["attempts"] != strconv.Itoa(jobs.FileCheckAttempts) || !strings.HasSuffix(c.Reason, " attempts)") {
				t.Fatalf("check %+v after %d requests", c, broken.Load())
			}
			j := e.jobOf(t, "broken")
			if j.Attempt != jobs.FileCheckAttempts || j.MaxAttempts != jobs.FileCheckAttempts || j.LastError == "" {
				t.Fatalf("job %+v", j)
			}
		})
		t.Run("a metadata address is refused without a connection", func(t *testing.T) {
			c := e.finished(t, "metadata")
			if c.State != opendata.CheckRefused || c.Attempts != 1 || c.CheckedAt == nil || c.Reason == "" {
				t.Fatalf("check %+v", c)
			}
			for _, a := range e.dialer.Addrs() {
				if strings.HasPrefix(a, "169.254.") {
					t.Fatalf("dialled %s", a)
				}
			}
		})
		t.Run("a re-check runs again", func(t *testing.T) {
			before := len(e.dialer.Addrs())
			c, enqueued, err := e.db.RequestFileCheck(context.Background(), "csv")
			if err != nil || !enqueued || c.State != opendata.CheckPending {
				t.Fatalf("request: %+v %v %v", c, enqueued, err)
			}
			if c := e.finished(t, "csv"); c.State != opendata.CheckPassed || len(e.dialer.Addrs()) != before+1 {
				t.Fatalf("re-check %+v, %d dials", c, len(e.dialer.Addrs())-before)
			}
			checks := e.jobsOf(t, "csv", string(opendata.EffectCheckFile))
			if j := e.jobOf(t, "csv"); len(checks) != 2 || j.ID != checks[0].ID || j.State != "completed" {
				t.Fatalf("jobs %v, newest %+v", checks, j)
			}
		})
		t.Run("jobs list", func(t *testing.T) {
			list, err := e.queue.List(context.Background(), []string{"completed"}, 100)
			n := 0
			for _, j := range list {
				if j.Kind == string(opendata.EffectCheckFile) {
					n++
				}
			}
			if err != nil || n != 6 {
				t.Fatalf("%d completed file checks, want 6: %v", n, err)
			}
			if _, err := e.queue.List(context.Background(), []string{"bogus"}, 10); err == nil {
				t.Fatal("an unknown state was accepted")
			}
		})
	})
}

// A check cut short by a shutdown runs again at the next start, and the
// interrupted attempt does not count.
func TestShutdownInterruptsWithoutLosingAnAttempt(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newQueueEnv(t, cfg)
		arrived := make(chan struct{}, 1)
		var stall atomic.Bool
		stall.Store(true)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/csv")
			if stall.Load() {
				io.WriteString(w, "plot,height\n")
				w.(http.Flusher).Flush()
				arrived <- struct{}{}
				<-r.Context().Done() // until the checker hangs up
				return
			}
			io.WriteString(w, csvBody)
		}))
		defer srv.Close()
		e.submit(t, "slow", srv.URL+"/data.csv")
		select {
		case <-arrived:
		case <-time.After(20 * time.Second):
			t.Fatal("the check never started")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := e.queue.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := e.db.FileCheck(context.Background(), "slow")
		if err != nil || c.State != opendata.CheckPending || c.Attempts != 0 {
			t.Fatalf("after the shutdown: %+v %v", c, err)
		}
		if st := e.jobsOf(t, "slow", string(opendata.EffectCheckFile)); len(st) != 1 || st[0].State != "available" || st[0].Attempt != 0 {
			t.Fatalf("job after the shutdown: %+v", st)
		}
		stall.Store(false)
		e.queue = e.start(t)
		if c := e.finished(t, "slow"); c.State != opendata.CheckPassed || c.Attempts != 1 {
			t.Fatalf("after the restart: %+v", c)
		}
	})
}

// Job rows are read beside the writer: on SQLite, whose one write connection
// is held here as a long commit would hold it, a status lookup's jobs and
// the job list are still read. On PostgreSQL both share one pool of many.
func TestJobReadsDoNotWaitForTheWriter(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newQueueEnv(t, cfg)
		ids := []string{"reader-1", "reader-2", "reader-3", "reader-4", "reader-5"}
		for _, id := range ids {
			e.submit(t, id, "http://127.0.0.1:9/data.csv")
		}
		var jobIDs []int64
		for _, id := range ids {
			got, err := e.db.SubmissionJobIDs(context.Background(), id, 100)
			if err != nil {
				t.Fatal(err)
			}
			jobIDs = append(jobIDs, got...)
		}
		writer, err := e.db.SQL().Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer writer.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if few, err := e.queue.Statuses(ctx, jobIDs[:1]); err != nil || len(few) != 1 {
			t.Errorf("one job while the writer is busy: %v, %v", few, err)
		}
		if many, err := e.queue.Statuses(ctx, jobIDs); err != nil || len(many) != len(jobIDs) {
			t.Errorf("%d jobs while the writer is busy: %d, %v", len(jobIDs), len(many), err)
		}
		if list, err := e.queue.List(ctx, []string{"available", "running", "retryable", "completed", "scheduled"}, 100); err != nil || len(list) == 0 {
			t.Errorf("job list while the writer is busy: %v, %v", list, err)
		}
	})
}
