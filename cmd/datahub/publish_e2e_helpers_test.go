package main

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
)

// publishCSV is the submitted file; its size is the published resource's size.
const publishCSV = "plot,species,height\n1,Picea glauca,12.5\n2,Abies balsamea,9.1\n"

// registryOrg is the double's organization the project publishes under.
const registryOrg = "nrcan-rncan"

// pubEnv is the binary serving at --log-level debug with job workers, a CSV on
// loopback, a CKAN double on loopback and one submission whose file check passed.
type pubEnv struct {
	t         *testing.T
	data      string
	public    string
	srv       *server
	key       string
	id        string
	flow      string
	fileURL   string
	ckan      *ckantest.Server
	orgID     string // the double's id of registryOrg
	tokenFile string // holds the double's token, outside the data directory
}

// startPublishing starts everything; the project CFS has no publishing target yet.
func startPublishing(t *testing.T, fileID string) *pubEnv {
	t.Helper()
	file := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, publishCSV)
	}))
	t.Cleanup(file.Close)
	e := &pubEnv{t: t, data: t.TempDir(), ckan: ckantest.New(t)}
	e.orgID = e.ckan.AddOrganization(registryOrg)
	e.tokenFile = writeToken(t, e.ckan.Token)
	e.key = createKey(t, e.data, "CFS")
	grant(t, e.data, "approver", bob, "--project", "CFS")
	grant(t, e.data, "admin", dana)
	// The file check reaches loopback only with this (tests only); the flag
	// lets the registry client reach the double.
	t.Setenv("DATAHUB_ALLOW_PRIVATE_FETCH", "true")
	addr := freeLoopbackAddr(t)
	e.public = "http://" + addr
	e.srv = startServer(t, e.data, "--addr", addr, "--public-url", e.public, "--job-workers", "2",
		"--allow-private-fetch", "--log-level", "debug")

	e.fileURL = file.URL + "/plots.csv"
	var body map[string]any
	json.Unmarshal([]byte(submission(fileID)), &body)
	body["file_url"], body["email_contact"] = e.fileURL, alice
	body["subject"] = "agriculture, nature_and_environment"
	body["audience"] = "business, government"
	body["time_period_coverage_start"], body["time_period_coverage_end"] = "2020-01-01", "2023-12-31"
	body["digital_object_identifier"] = "https://doi.org/10.1234/forest.2024"
	raw, _ := json.Marshal(body)
	code, m := e.srv.call(t, "POST", "/api/opendata/submit", e.key, string(raw))
	if code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	e.id, _ = m["datahub_id"].(string)
	e.flow = "/flow/" + e.id
	if fc := pollFileCheck(t, e.srv, e.key, e.id); fc["state"] != "passed" || fc["format"] != "CSV" {
		t.Fatalf("file check: %v", fc)
	}
	return e
}

// writeToken writes a registry token to a file outside the data directory, as an operator would.
func writeToken(t *testing.T, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registry.token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// setTarget runs `datahub targets set` for CFS; tokenFile "" keeps the stored token.
func (e *pubEnv) setTarget(org, tokenFile string) result {
	e.t.Helper()
	args := []string{"targets", "set", "--data", e.data, "--project", "CFS", "--registry-url", e.ckan.URL,
		"--organization", org}
	if tokenFile != "" {
		args = append(args, "--token-file", tokenFile)
	}
	r := datahub(e.t, nil, args...)
	if r.code != 0 {
		e.t.Fatalf("targets set: %d %s %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// status is the submission as the status API shows it.
func (e *pubEnv) status() map[string]any {
	e.t.Helper()
	code, m := e.srv.call(e.t, "GET", "/api/opendata/submissions/"+e.id, e.key, "")
	if code != 200 {
		e.t.Fatalf("status: %d %v", code, m)
	}
	return m
}

// publication is the status API's publication object, nil before there is one.
func publicationOf(m map[string]any) map[string]any {
	p, _ := m["publication"].(map[string]any)
	return p
}

// waitFor polls the status API until done accepts the submission, or fails after a while.
func (e *pubEnv) waitFor(what string, done func(m map[string]any) bool) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		m := e.status()
		if done(m) {
			return m
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("still not %s: state %v, publication %v\ndouble's calls %v\n%s", what, m["state"],
				m["publication"], e.ckan.Calls(), e.srv.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitState waits until the submission is in state.
func (e *pubEnv) waitState(state string) map[string]any {
	e.t.Helper()
	return e.waitFor(state, func(m map[string]any) bool { return m["state"] == state })
}

// approveThroughPages is the workflow in the pages: the contact signs in,
// completes the approval form, attaches the signed approval and submits it;
// the approver opens the signed approval, then approves.
func (e *pubEnv) approveThroughPages() {
	t := e.t
	t.Helper()
	contact, _ := signInWeb(t, e.public, e.data, alice, e.flow)
	p := contact.get(e.flow + "/submit")
	if found, disabled := buttonState(p.body, "action-submit_for_approval"); !found || !disabled {
		t.Fatalf("Submit for approval before the approval form: found %v, disabled %v", found, disabled)
	}
	p = contact.post(e.flow+"/approval-form", "owner_name", "Alice Tremblay", "owner_email", alice,
		"owner_department", "Natural Resources Canada", "dataset_title", "Forest inventory", "type_of_data", "data",
		"copyright_cleared", "on", "authority_to_release", "on", "no_personal_information", "on",
		"not_classified_or_protected", "on", "free_of_charge", "on", "machine_readable", "on",
		"non_proprietary_format", "on", "official_languages", "on")
	if p.status != 200 || !strings.Contains(p.url, "flash=") {
		t.Fatalf("approval form: status %d on %s\n%s", p.status, p.url, section(p.body, "section", "approval-form"))
	}
	_, pdf := signedFormFor(t, e.id)
	if p = contact.upload(e.flow+"/signed-approval", "signed.pdf", pdf); p.status != 200 {
		t.Fatalf("signed approval upload: status %d\n%s", p.status, section(p.body, "section", "signed-approval"))
	}
	p = contact.get(e.flow + "/submit")
	if found, disabled := buttonState(p.body, "action-submit_for_approval"); !found || disabled {
		t.Fatalf("Submit for approval once ready: found %v, disabled %v\n%s", found, disabled, section(p.body, "section", "actions"))
	}
	if p = contact.post(e.flow + "/actions/submit_for_approval"); p.status != 200 {
		t.Fatalf("submit for approval: status %d", p.status)
	}
	if s := e.status()["state"]; s != "pending_approval" {
		t.Fatalf("state after submitting for approval: %v", s)
	}

	approver, p := signInWeb(t, e.public, e.data, bob, e.flow)
	if found, disabled := buttonState(p.body, "action-approve"); !found || !disabled {
		t.Fatalf("Approve before the signed approval was opened: found %v, disabled %v", found, disabled)
	}
	// The approver opens it deliberately: a form that records the opening, then serves the PDF.
	sha := signedSHAPattern.FindStringSubmatch(p.body)
	if sha == nil {
		t.Fatalf("no form to open the signed approval:\n%s", section(p.body, "section", "signed-approval"))
	}
	if p = approver.post(e.flow+"/signed-approval/open", "sha256", sha[1]); p.status != 200 || p.ctype != "application/pdf" {
		t.Fatalf("opening the signed approval: status %d, %s", p.status, p.ctype)
	}
	p = approver.get(e.flow)
	if found, disabled := buttonState(p.body, "action-approve"); !found || disabled {
		t.Fatalf("Approve after opening the signed approval: found %v, disabled %v", found, disabled)
	}
	if p = approver.post(e.flow + "/actions/approve"); p.status != 200 {
		t.Fatalf("approve: status %d", p.status)
	}
}

// admin signs the admin in on the submission's page.
func (e *pubEnv) admin() *webUser {
	e.t.Helper()
	u, _ := signInWeb(e.t, e.public, e.data, dana, e.flow)
	return u
}

// act posts an action from the submission's page and expects to land back on it.
func (e *pubEnv) act(u *webUser, action string, pairs ...string) webPage {
	e.t.Helper()
	u.get(e.flow) // the form's token
	// confirmed: the final actions (unpublish) ask for a confirmation first; this is it.
	p := u.post(e.flow+"/actions/"+action, append(pairs, "confirmed", "yes")...)
	if p.status != 200 || !strings.Contains(p.url, "flash="+action) {
		e.t.Fatalf("%s: status %d on %s\n%s", action, p.status, p.url, section(p.body, "section", "actions"))
	}
	return p
}

var signedSHAPattern = regexp.MustCompile(`name="sha256" value="([0-9a-f]{64})"`)

var registryLinkPattern = regexp.MustCompile(`id="registry-link" href="([^"]+)"`)

// registryLink is the href of the page's registry link, or "".
func registryLink(body string) string {
	if m := registryLinkPattern.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// pagePayload is the JSON the page's publication section shows.
func pagePayload(t *testing.T, body string) any {
	t.Helper()
	m := regexp.MustCompile(`(?s)<details id="publication-payload"[^>]*>.*?<pre><code>(.*?)</code></pre>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page shows no payload:\n%s", section(body, "section", "publication"))
	}
	var v any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &v); err != nil {
		t.Fatalf("the page's payload is not JSON: %v\n%s", err, m[1])
	}
	return v
}

// sameJSON compares two JSON values after a round trip (numbers as float64).
func sameJSON(a, b any) bool {
	norm := func(v any) any {
		raw, _ := json.Marshal(v)
		var out any
		json.Unmarshal(raw, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// noSecretAt fails the test if secret appears in the server's debug log or
// in any file under the data directory.
func (e *pubEnv) noSecretAt(secret string) {
	e.t.Helper()
	if !strings.Contains(e.srv.logs.String(), `"level":"DEBUG"`) {
		e.t.Fatalf("the server logged nothing at debug level:\n%s", e.srv.logs)
	}
	if strings.Contains(e.srv.logs.String(), secret) {
		e.t.Errorf("the registry token is in the server's log")
	}
	e.noSecretInFiles(secret)
}

// noSecretInFiles fails the test if secret appears in any file under the data
// directory: the SQLite database and its journal, the uploads, the outbox.
func (e *pubEnv) noSecretInFiles(secret string) {
	e.t.Helper()
	seen := 0
	err := filepath.WalkDir(e.data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(filepath.Base(path), ".db") && bytes.Contains(b, []byte(e.ckan.URL)) {
			seen++ // the target's row is there: the scan reads the stored data
		}
		if bytes.Contains(b, []byte(secret)) {
			e.t.Errorf("the registry token is in %s", path)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if seen == 0 {
		e.t.Fatalf("no database file under %s holds the target's registry URL %s", e.data, e.ckan.URL)
	}
}
