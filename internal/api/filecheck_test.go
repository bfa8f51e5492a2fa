package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/api"
	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// newJobsEnv is newEnv on cfg's database with a job queue, not yet started,
// whose fetcher may reach loopback only; a nil mailer writes to an outbox.
func newJobsEnv(t *testing.T, cfg store.Config, mailer mail.Mailer) (*env, *jobs.Queue) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, cfg)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	loopbackOnly := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ap, err := netip.ParseAddrPort(addr); err != nil || !ap.Addr().Unmap().IsLoopback() {
			return nil, fmt.Errorf("test dialer: not dialling non-loopback %s", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	if mailer == nil {
		outbox, err := mail.NewOutbox(t.TempDir(), "DataHub <datahub@example.gc.ca>", nil)
		if err != nil {
			t.Fatal(err)
		}
		mailer = outbox
	}
	q, err := jobs.New(db, jobs.Config{
		Mailer: mailer, PublicURL: "https://datahub.example",
		Fetch:        fetch.New(fetch.Config{Policy: fetch.Policy{AllowPrivate: true}, DialContext: loopbackOnly, TotalTimeout: 20 * time.Second}),
		FetchTimeout: 20 * time.Second, PollInterval: 100 * time.Millisecond, Logger: logger, Test: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	db.SetJobs(q)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	secret, err := db.Secret(ctx, auth.SecretName)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeyring(ctx, db, secret, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{PublicURL: "https://datahub.example", Logger: logger, AuthFailuresPerMinute: 1000},
		db, keys, opendata.MustLoadVocabulary(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	return &env{t: t, db: db, secret: secret, srv: srv, h: api.Observe(mux, logger, srv.Metrics()),
		openapi: newTrafficCheck(t, srv.OpenAPIJSON())}, q
}

// status polls the submission's status until done accepts it.
func status(t *testing.T, e *env, key, id string, done func(m map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := e.do("GET", "/api/opendata/submissions/"+id, "", "DH-Auth-Key", key)
		wantStatus(t, w, 200)
		m := decode(t, w)
		if done(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never got there: %v", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileCheckState(m map[string]any) string {
	fc, _ := m["file_check"].(map[string]any)
	s, _ := fc["state"].(string)
	return s
}

// jobStates lists the states of the submission's file check jobs, newest first.
func jobStates(m map[string]any) []string {
	var out []string
	for _, j := range m["jobs"].([]any) {
		if j.(map[string]any)["kind"] == "file_check" {
			out = append(out, j.(map[string]any)["state"].(string))
		}
	}
	return out
}

func TestFileCheckInStatus(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e, queue := newJobsEnv(t, cfg, nil)
		file := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, "plot,height\n1,12.5\n")
		}))
		defer file.Close()
		cfs := e.key("CFS")
		w := e.submit(cfs, validBody(map[string]any{"file_url": file.URL + "/plots.csv"}))
		wantStatus(t, w, 200)
		id := decode(t, w)["datahub_id"].(string)
		check := func(key string) *httptest.ResponseRecorder {
			return e.do("POST", "/api/opendata/submissions/"+id+"/check", "", "DH-Auth-Key", key)
		}

		// Before any worker runs: pending, with its job waiting.
		m := status(t, e, cfs, id, func(map[string]any) bool { return true })
		fc := m["file_check"].(map[string]any)
		if fc["state"] != "pending" || fc["checked_at"] != nil || fc["attempts"] != 0.0 {
			t.Fatalf("file_check %v", fc)
		}
		// Its jobs: the file check only, not the email to the contact.
		kinds := map[any]map[string]any{}
		for _, j := range m["jobs"].([]any) {
			kinds[j.(map[string]any)["kind"]] = j.(map[string]any)
		}
		job := kinds["file_check"]
		if len(kinds) != 1 || job == nil || job["state"] != "available" || job["max_attempts"] != 4.0 {
			t.Fatalf("jobs %v", m["jobs"])
		}
		// A re-check while one is pending enqueues nothing; another project gets 404.
		w = check(cfs)
		wantStatus(t, w, 202)
		if decode(t, w)["state"] != "pending" {
			t.Fatalf("re-check while pending: %s", w.Body)
		}
		wantStatus(t, check(e.key("NRC")), 404)
		wantStatus(t, e.do("POST", "/api/opendata/submissions/00000000-0000-0000-0000-000000000000/check", "", "DH-Auth-Key", cfs), 404)
		wantStatus(t, e.do("GET", "/api/opendata/submissions/"+id+"/check", "", "DH-Auth-Key", cfs), 405)

		if err := queue.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		m = status(t, e, cfs, id, func(m map[string]any) bool {
			return fileCheckState(m) == "passed" && jobStates(m)[0] == "completed"
		})
		fc = m["file_check"].(map[string]any)
		if fc["format"] != "CSV" || fc["size"] != 19.0 || fc["http_status"] != 200.0 || len(fc["sha256"].(string)) != 64 ||
			fc["checked_at"] == nil || fc["reason"] != nil || fc["attempts"] != 1.0 || len(jobStates(m)) != 1 {
			t.Fatalf("after the check: %v", m)
		}

		// A re-check of a finished check runs a new job.
		w = check(cfs)
		wantStatus(t, w, 202)
		if decode(t, w)["state"] != "pending" {
			t.Fatalf("re-check: %s", w.Body)
		}
		status(t, e, cfs, id, func(m map[string]any) bool {
			js := jobStates(m)
			return len(js) == 2 && js[0] == "completed" && fileCheckState(m) == "passed"
		})
		// The listing stays light: no file check, no jobs.
		list := decode(t, e.do("GET", "/api/opendata/submissions", "", "DH-Auth-Key", cfs))
		if item := list["items"].([]any)[0].(map[string]any); item["file_check"] != nil || item["jobs"] != nil {
			t.Fatalf("list item %v", item)
		}
	})
}

// With a queue that runs nothing (as in unit tests) the check stays pending,
// and a re-check while its job waits enqueues nothing new.
func TestFileCheckPendingWhileItsJobWaits(t *testing.T) {
	e := newEnv(t)
	cfs := e.key("CFS")
	id := decode(t, e.submit(cfs, validBody(nil)))["datahub_id"].(string)
	m := decode(t, e.do("GET", "/api/opendata/submissions/"+id, "", "DH-Auth-Key", cfs))
	if fileCheckState(m) != "pending" {
		t.Fatalf("status %v", m)
	}
	before, _ := e.db.SubmissionJobIDs(context.Background(), id, 10)
	w := e.do("POST", "/api/opendata/submissions/"+id+"/check", "", "DH-Auth-Key", cfs)
	wantStatus(t, w, 202)
	if after, _ := e.db.SubmissionJobIDs(context.Background(), id, 10); len(after) != len(before) {
		t.Fatalf("jobs %v after a re-check of a waiting check, %v before", after, before)
	}
}

// refusingMailer fails every message as a mail server would, naming itself and the recipients.
type refusingMailer struct{}

const smtpRefusal = "smtp 10.20.30.40:25 (mail.internal.example): 550 rejected alice@example.gc.ca"

func (refusingMailer) Send(context.Context, mail.Message) error { return errors.New(smtpRefusal) }

// An email job's failure is the service's business: the status API shows the
// client neither the job nor its error, which stays in the jobs list.
func TestStatusHidesEmailJobs(t *testing.T) {
	e, queue := newJobsEnv(t, storetest.FreshSQLite(t), refusingMailer{})
	file := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "plot,height\n1,12.5\n")
	}))
	defer file.Close()
	cfs := e.key("CFS")
	w := e.submit(cfs, validBody(map[string]any{"file_url": file.URL + "/plots.csv"}))
	wantStatus(t, w, 200)
	id := decode(t, w)["datahub_id"].(string)
	if err := queue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for failed := false; !failed; time.Sleep(50 * time.Millisecond) {
		list, err := queue.List(ctx, jobs.States(), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range list {
			failed = failed || (j.Kind == string(opendata.EffectNotify) && strings.Contains(j.LastError, smtpRefusal))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the email job never failed: %+v", list)
		}
	}
	w = e.do("GET", "/api/opendata/submissions/"+id, "", "DH-Auth-Key", cfs)
	wantStatus(t, w, 200)
	for _, leak := range []string{"10.20.30.40", "mail.internal", "alice@", "notify"} {
		if strings.Contains(w.Body.String(), leak) {
			t.Errorf("the status shows %q: %s", leak, w.Body)
		}
	}
	for _, j := range decode(t, w)["jobs"].([]any) {
		if j.(map[string]any)["kind"] != "file_check" {
			t.Errorf("job %v", j)
		}
	}
}

// A file check job that failed an attempt says why as the check does.
func TestStatusJobErrorIsTheChecksReason(t *testing.T) {
	e, queue := newJobsEnv(t, storetest.FreshSQLite(t), nil)
	file := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer file.Close()
	cfs := e.key("CFS")
	w := e.submit(cfs, validBody(map[string]any{"file_url": file.URL + "/plots.csv"}))
	wantStatus(t, w, 200)
	id := decode(t, w)["datahub_id"].(string)
	if err := queue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := status(t, e, cfs, id, func(m map[string]any) bool {
		js := jobStates(m)
		return len(js) == 1 && js[0] == "retryable"
	})
	job := m["jobs"].([]any)[0].(map[string]any)
	reason := m["file_check"].(map[string]any)["reason"]
	if job["last_error"] == nil || job["last_error"] != reason || strings.Contains(job["last_error"].(string), "attempt 1 of") {
		t.Fatalf("job %v, file_check reason %v", job, reason)
	}
}
