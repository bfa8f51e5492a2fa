package web_test

// Shared helpers for the tests of the pages, on a real SQLite store:
//
//	srv := newTestServer(t)                        // every page, wired as cmd/datahub wires them
//	sub := srv.submission(t, id, fields())         // a submission in preparation, of project testProject
//	jane := signIn(t, srv, contact)                // a browser with a session for that address
//	r := jane.get(t, "/flow/"+id)                  // a response; redirects are not followed
//	r = jane.post(t, "/flow/"+id+"/check")         // a form with the session's CSRF token (pairs: name, value)
//	r = jane.postRaw(t, path, "csrf", "wrong")     // a form exactly as given
//	r = jane.upload(t, path, "signed.pdf", data)   // the signed approval form, multipart, as a browser sends it
//	srv.grant(t, email, opendata.RoleApprover, testProject)
//	srv.makeReady(t, id)                           // the four checklist items hold (or one at a time, below)
//	srv.notices(t, id)                             // the notice jobs enqueued for the submission
//
// Mail lands in srv.outbox (a folder of .eml files); jobs are enqueued in
// River's tables but not run.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/pdf"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
	"github.com/opendata-datahub/datahub/internal/web"
)

// testProject is the project of the submissions testServer.submission stores.
const testProject = "FORESTRY"

// testServer is the web UI on its own migrated SQLite store, behind
// http.CrossOriginProtection like every page of the real server.
type testServer struct {
	*httptest.Server
	db     *store.DB
	queue  *jobs.Queue // enqueues only: nothing runs the jobs
	outbox string      // where the mail goes, one .eml file per message
	cfg    web.Config  // as given to web.New
}

// newTestServer starts the pages on a fresh store; opts may change the
// configuration (the clock, the upload limit...) before the server is made.
func newTestServer(t *testing.T, opts ...func(*web.Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	srv := &testServer{db: storetest.Open(t, storetest.FreshSQLite(t)), outbox: t.TempDir()}
	if err := jobs.Migrate(ctx, srv.db); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	if srv.queue, err = jobs.NewInserter(srv.db, logger); err != nil {
		t.Fatal(err)
	}
	srv.db.SetJobs(srv.queue)
	mailer, err := mail.NewOutbox(srv.outbox, "DataHub <datahub@example.gc.ca>", logger)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Server = httptest.NewServer(http.NewCrossOriginProtection().Handler(mux))
	t.Cleanup(srv.Close)
	keys, _, err := secret.LoadOrCreate(filepath.Join(t.TempDir(), secret.DefaultKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	// Registries in tests are doubles on loopback.
	registry := publish.Registry{Keys: keys, HTTP: fetch.NewHTTPClient(fetch.Policy{AllowPrivate: true}, fetch.HTTPOptions{})}
	srv.cfg = web.Config{Store: srv.db, Vocab: opendata.MustLoadVocabulary(), Mailer: mail.LinkSender{Mailer: mailer},
		Registry:  registry,
		PublicURL: srv.URL, Logger: logger}
	for _, o := range opts {
		o(&srv.cfg)
	}
	pages, err := web.New(srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	pages.Register(mux)
	return srv
}

// has fails the test when the page lacks one of parts.
func has(t *testing.T, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Errorf("page (status %d) lacks %q", r.status, p)
		}
	}
}

// lacks fails the test when the page contains one of parts.
func lacks(t *testing.T, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(r.body, p) {
			t.Errorf("page (status %d) contains %q", r.status, p)
		}
	}
}

// wantCode stops the test unless the response has status.
func wantCode(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, status, r.body)
	}
}

// seeOther checks a PRG answer: 303 to location.
func seeOther(t *testing.T, r response, location string) {
	t.Helper()
	if got := r.header.Get("Location"); r.status != http.StatusSeeOther || got != location {
		t.Fatalf("got %d to %q, want 303 to %q; body:\n%s", r.status, got, location, r.body)
	}
}

// visitor is a browser: anonymous, or signed in with its session's CSRF token.
type visitor struct {
	srv   *testServer
	c     *http.Client
	email string
	csrf  string
}

func (srv *testServer) newVisitor() *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{srv: srv, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// anonymous is a browser signed in as no one.
func (srv *testServer) anonymous() *visitor { return srv.newVisitor() }

// signIn returns a browser signed in as email. The session is stored directly,
// as the sign-in link would store it (its own tests cover that flow).
func signIn(t *testing.T, srv *testServer, email string) *visitor {
	t.Helper()
	token, csrf := rand.Text(), rand.Text()
	h := sha256.Sum256([]byte(token))
	now := time.Now()
	if srv.cfg.Now != nil {
		now = srv.cfg.Now()
	}
	if err := srv.db.CreateSession(context.Background(), store.Session{Hash: h[:], Email: email, CSRF: csrf,
		Method: "link", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	v := srv.newVisitor()
	u, _ := url.Parse(srv.URL)
	v.c.Jar.SetCookies(u, []*http.Cookie{{Name: "dh_session", Value: token, Path: "/"}})
	v.email, v.csrf = email, csrf
	return v
}

func (v *visitor) do(t *testing.T, req *http.Request) response {
	t.Helper()
	return send(t, v.c, req)
}

// send does req with the client c and reads the whole answer.
func send(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

func (v *visitor) get(t *testing.T, path string) response {
	t.Helper()
	req, err := http.NewRequest("GET", v.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.do(t, req)
}

// post sends an urlencoded form with the session's CSRF token; pairs are name, value.
func (v *visitor) post(t *testing.T, path string, pairs ...string) response {
	t.Helper()
	return v.postRaw(t, path, append([]string{"csrf", v.csrf}, pairs...)...)
}

// postRaw sends an urlencoded form as given, adding no token.
func (v *visitor) postRaw(t *testing.T, path string, pairs ...string) response {
	t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		form.Add(pairs[i], pairs[i+1])
	}
	req, err := http.NewRequest("POST", v.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(t, req)
}

// upload sends a file as the signed approval form does: multipart, the CSRF
// field first, then the file in field "file".
func (v *visitor) upload(t *testing.T, path, name string, data []byte) response {
	t.Helper()
	return v.uploadWith(t, path, v.csrf, name, data)
}

// uploadWith is upload with the given CSRF token ("" sends no csrf field).
func (v *visitor) uploadWith(t *testing.T, path, csrf, name string, data []byte) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", v.srv.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return v.do(t, req)
}

// grant gives email a role (project "" for every project).
func (srv *testServer) grant(t *testing.T, email string, role opendata.Role, project string) {
	t.Helper()
	if _, err := srv.db.AddGrant(context.Background(), opendata.Grant{Email: email, Role: role, Project: project,
		GrantedAt: time.Now(), GrantedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
}

// submission stores a new submission of testProject in preparation, as the
// API does: with its pending file check and its "received" notice enqueued.
func (srv *testServer) submission(t *testing.T, id string, f opendata.Fields) *opendata.Submission {
	t.Helper()
	s := opendata.NewSubmission(id, testProject, keyPrefix, f, created)
	if err := srv.db.CreateSubmission(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// state is the submission's state as stored.
func (srv *testServer) state(t *testing.T, id string) opendata.State {
	t.Helper()
	s, err := srv.db.Submission(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.State
}

// passFileCheck records a passed check of the submission's file, as the job would.
func (srv *testServer) passFileCheck(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	c, err := srv.db.FileCheck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	c.State, c.CheckedAt, c.Attempts, c.HTTPStatus = opendata.CheckPassed, &at, 1, 200
	c.Size, c.ContentType, c.Format, c.SHA256 = 2048, "text/csv", "CSV", strings.Repeat("ab", 32)
	if saved, err := srv.db.SaveFileCheck(ctx, c); err != nil || !saved {
		t.Fatalf("save file check: %v, %v", saved, err)
	}
}

// completeForm is an approval form with nothing missing.
func completeForm() opendata.ApprovalForm {
	return opendata.ApprovalForm{
		OwnerName: "Françoise Lefèvre", OwnerEmail: "francoise@example.gc.ca",
		DatasetTitle: "Forest inventory", TypeOfData: opendata.TypeData,
		CopyrightCleared: true, AuthorityToRelease: true, NoPersonalInformation: true,
		NotClassifiedOrProtected: true, FreeOfCharge: true, MachineReadable: true,
		NonProprietaryFormat: true, OfficialLanguages: true,
	}
}

// saveForm stores the submission's approval form.
func (srv *testServer) saveForm(t *testing.T, id string, f opendata.ApprovalForm) {
	t.Helper()
	if err := srv.db.SaveApprovalForm(context.Background(), id, f, "user:"+contact); err != nil {
		t.Fatal(err)
	}
}

// signedPDF is a readable one-or-more-page PDF, as a signed approval would be.
func signedPDF(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pdf.Render(&b, pdf.FormData{ID: subID, Project: testProject, Fields: fields(), Form: completeForm(),
		Generated: created}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// attachSigned stores a signed approval for the submission.
func (srv *testServer) attachSigned(t *testing.T, id string) {
	t.Helper()
	if err := srv.db.SaveSignedApproval(context.Background(), id, store.SignedApproval{FileName: "signed.pdf",
		Pages: 1, UploadedBy: "user:" + contact}, signedPDF(t)); err != nil {
		t.Fatal(err)
	}
}

// makeReady makes the four items of the submit checklist hold (the metadata
// must be valid already, as fields() are).
func (srv *testServer) makeReady(t *testing.T, id string) {
	t.Helper()
	srv.passFileCheck(t, id)
	srv.saveForm(t, id, completeForm())
	srv.attachSigned(t, id)
}

// notices returns the notice jobs enqueued for the submission, oldest first.
func (srv *testServer) notices(t *testing.T, id string) []jobs.NotifyArgs {
	t.Helper()
	ctx := context.Background()
	ids, err := srv.db.SubmissionJobIDs(ctx, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []jobs.NotifyArgs
	for i := len(ids) - 1; i >= 0; i-- {
		var kind string
		var args string
		if err := srv.db.SQL().QueryRowContext(ctx, `SELECT kind, json(args) FROM river_job WHERE id = $1`, ids[i]).
			Scan(&kind, &args); err != nil {
			t.Fatal(err)
		}
		if kind != string(opendata.EffectNotify) {
			continue
		}
		var n jobs.NotifyArgs
		if err := json.Unmarshal([]byte(args), &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}
