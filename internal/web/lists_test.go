package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// listSubmission stores a submission of project in state, whose contact is
// contact, received at.
func listSubmission(t *testing.T, rig *uiRig, n int, project, contact string, state opendata.State, at time.Time) *opendata.Submission {
	t.Helper()
	f := opendata.Fields{
		FileURL: "http://127.0.0.1:9/x.csv", FileID: fmt.Sprintf("file-%d", n), FileName: fmt.Sprintf("data-%d.csv", n),
		EmailContact: contact, Collection: "primary",
		TitleEN: fmt.Sprintf("Dataset %d", n), TitleFR: fmt.Sprintf("Jeu de données %d", n),
		NotesEN: "Notes.", NotesFR: "Notes.", KeywordsEN: []string{"forests"}, KeywordsFR: []string{"forêts"},
		Subject: []string{"nature_and_environment"}, Frequency: "P1Y", DatePublished: "2024-03-15", Jurisdiction: "federal",
	}
	s := opendata.NewSubmission(fmt.Sprintf("00000000-0000-4000-8000-%012d", n), project, "dh_abcdefgh", f, at)
	s.State = state
	if err := rig.db.CreateSubmission(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// tableRows returns the rows of the table with id, as the IDs they link to, in order.
func tableRows(t *testing.T, body, id string) []string {
	t.Helper()
	start := strings.Index(body, `<table id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no table %s", id)
	}
	end := strings.Index(body[start:], "</table>")
	var ids []string
	for _, m := range regexp.MustCompile(`href="/flow/([^"]+)"`).FindAllStringSubmatch(body[start:start+end], -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestMySubmissionsListsOnlyTheViewers(t *testing.T) {
	rig := newUIRig(t)
	day := rig.now.Add(-72 * time.Hour)
	older := listSubmission(t, rig, 1, "CFS", "jane@example.gc.ca", opendata.StatePendingApproval, day)
	newer := listSubmission(t, rig, 2, "NRC", "Jane@Example.gc.ca", opendata.StateInPreparation, day.Add(time.Hour))
	other := listSubmission(t, rig, 3, "CFS", "bob@example.gc.ca", opendata.StateInPreparation, day)

	jane := rig.as(t, "jane@example.gc.ca")
	r := jane.get(t, "/submissions")
	wantCode(t, r, http.StatusOK)
	if got, want := tableRows(t, r.body, "my-submissions"), []string{newer.ID, older.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v (newest first)", got, want)
	}
	has(t, r, "<caption", "Dataset 1", "Dataset 2", "Pending approval", "In preparation", "NRC",
		day.Format("2006-01-02 15:04 UTC"))
	lacks(t, r, other.ID, "Dataset 3")

	fr := jane.get(t, "/submissions?lang=fr")
	wantCode(t, fr, http.StatusOK)
	has(t, fr, "Mes soumissions", "Jeu de données 1", "Dernière modification")
	lacks(t, fr, "Dataset 1")

	carol := rig.as(t, "carol@example.gc.ca")
	empty := carol.get(t, "/submissions")
	wantCode(t, empty, http.StatusOK)
	has(t, empty, `id="my-submissions-empty"`)
	lacks(t, empty, `<table id="my-submissions"`)

	seeOther(t, rig.anonymous().get(t, "/submissions"), "/signin?next="+url.QueryEscape("/submissions"))
}

func TestQueueListsTheApproversPendingSubmissions(t *testing.T) {
	rig := newUIRig(t)
	day := rig.now.Add(-72 * time.Hour)
	cfs1 := listSubmission(t, rig, 1, "CFS", "jane@example.gc.ca", opendata.StatePendingApproval, day)
	nrc := listSubmission(t, rig, 2, "NRC", "bob@example.gc.ca", opendata.StatePendingApproval, day.Add(time.Hour))
	cfs2 := listSubmission(t, rig, 3, "cfs", "carl@example.gc.ca", opendata.StatePendingApproval, day.Add(2*time.Hour))
	prep := listSubmission(t, rig, 4, "CFS", "jane@example.gc.ca", opendata.StateInPreparation, day)
	done := listSubmission(t, rig, 5, "CFS", "jane@example.gc.ca", opendata.StateApproved, day)

	ann := rig.as(t, "ann@example.gc.ca", approverOf("cfs"))
	r := ann.get(t, "/queue")
	wantCode(t, r, http.StatusOK)
	if got, want := tableRows(t, r.body, "queue"), []string{cfs1.ID, cfs2.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CFS approver's queue %v, want %v (oldest first)", got, want)
	}
	has(t, r, "<caption", "jane@example.gc.ca", "carl@example.gc.ca", "Waiting since")
	lacks(t, r, nrc.ID, prep.ID, done.ID)

	gus := rig.as(t, "gus@example.gc.ca", globalApprov)
	r = gus.get(t, "/queue")
	wantCode(t, r, http.StatusOK)
	if got, want := tableRows(t, r.body, "queue"), []string{cfs1.ID, nrc.ID, cfs2.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("global approver's queue %v, want %v", got, want)
	}

	leo := rig.as(t, "leo@example.gc.ca", approverOf("XYZ"))
	r = leo.get(t, "/queue?lang=fr")
	wantCode(t, r, http.StatusOK)
	has(t, r, "File d’approbation", `id="queue-empty"`, "Aucune soumission n’attend votre approbation.")

	for who, p := range map[string]*person{
		"contact":            rig.as(t, "jane@example.gc.ca"),
		"admin, no approver": rig.as(t, "admin@example.gc.ca", adminRole),
	} {
		if r := p.get(t, "/queue"); r.status != http.StatusForbidden || !strings.Contains(r.body, `id="error-forbidden"`) {
			t.Errorf("%s: status %d, want the 403 page", who, r.status)
		}
	}
}

func TestListsEscapeTitles(t *testing.T) {
	rig := newUIRig(t)
	s := listSubmission(t, rig, 1, "CFS", "jane@example.gc.ca", opendata.StatePendingApproval, rig.now)
	s.Fields.TitleEN = `<script>alert(1)</script>`
	s.Fields.TitleFR = `"><img src=x onerror=alert(1)>`
	s.Fields.FileID, s.ID = "file-x", "00000000-0000-4000-8000-00000000000x"
	if err := rig.db.CreateSubmission(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	jane := rig.as(t, "jane@example.gc.ca", approverOf("CFS"))
	for _, path := range []string{"/submissions", "/queue", "/submissions?lang=fr", "/queue?lang=fr"} {
		r := jane.get(t, path)
		wantCode(t, r, http.StatusOK)
		lacks(t, r, "<script>alert", "<img src=x")
	}
	has(t, jane.get(t, "/submissions?lang=en"), "&lt;script&gt;alert(1)&lt;/script&gt;")
	has(t, jane.get(t, "/queue?lang=fr"), "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
}

// Each refusal says why in the words of its page: the queue is for approvers,
// and an admin is told that being admin is not being approver.
func TestListAndAdminRefusalsSayWhy(t *testing.T) {
	rig := newUIRig(t)
	boss := rig.as(t, "boss@example.gc.ca", adminRole)
	nobody := rig.as(t, "nobody@example.gc.ca")
	for _, tt := range []struct {
		who        *person
		path, want string
	}{
		{boss, "/queue", "You are an administrator, not an approver"},
		{nobody, "/queue", "You are not an approver of any project"},
		{nobody, "/admin", "The administration pages are for administrators only."},
	} {
		r := tt.who.get(t, tt.path)
		wantCode(t, r, http.StatusForbidden)
		has(t, r, `id="error-forbidden"`, tt.want)
		lacks(t, r, "submission’s contact")
	}
}
