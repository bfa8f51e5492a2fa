package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// registerFlow adds the submission page behind flow_url and its own forms;
// the metadata and approval form editors register theirs.
func (s *Server) registerFlow(mux Router) {
	mux.HandleFunc("GET /flow/{id}", s.page(s.flow))
	mux.HandleFunc("POST /flow/{id}/check", s.form(s.recheck))
	mux.HandleFunc("GET /flow/{id}/signed-approval.pdf", s.signedIn(s.openSigned))
	mux.HandleFunc("POST /flow/{id}/signed-approval", s.page(s.uploadSigned))
	mux.HandleFunc("POST /flow/{id}/signed-approval/open", s.form(s.recordOpened))
	mux.HandleFunc("POST /flow/{id}/actions/{action}", s.form(s.act))
	mux.HandleFunc("GET /flow/{id}/actions/{action}", s.signedIn(s.actionPage))
}

// flowPage is the submission page: for an anonymous visitor only a sign-in
// link, otherwise every section of the UI contract.
type flowPage struct {
	Page
	SignIn      string // anonymous: the sign-in link that comes back here
	Sub         *opendata.Submission
	Title       string // the dataset's title in the page's language
	Next        string
	Checklist   []checkItem
	Metadata    *metadataForm
	Approval    *approvalFormView
	FileCheck   fileCheckView
	Signed      signedView
	Publication *publicationView // nil before the first publishing attempt or dry run
	Actions     []actionView
	Timeline    []timelineRow
	Task        string        // the task page shown; "" on the overview
	TaskTitle   string        // that task's name
	Tasks       []taskItem    // the task list
	Notice      *reasonNotice // the approver's reason, while it stands
	Overview    string        // the overview's address
	NextTask    *taskItem     // the task after this one, for "Continue"
	Editable    bool          // the viewer may change the submission now
	Confirm     *actionView   // on an action's own page: its form
}

// flowEdit carries the editors' forms as the person typed them, to show
// again with their errors; a nil field is built from the stored data.
type flowEdit struct {
	Task     string          // the task page to show; "" for the overview
	Action   opendata.Action // the action page to show instead: its form alone
	Metadata *metadataForm
	Approval *approvalFormView
}

// flowProblems are the refusals of this file's own forms, shown next to their fields.
type flowProblems struct {
	Upload string          // about the signed approval's file
	Action opendata.Action // the action whose form was refused
	Reason string          // the reason typed for it, kept
	Error  string          // why it was refused
}

// flow shows the submission to its contact, its project's approvers and
// admins; anyone else signed in is refused, and a visitor is asked to sign in.
func (s *Server) flow(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, err := s.db.Submission(r.Context(), r.PathValue("id"))
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	if !v.SignedIn() {
		p := flowPage{Page: s.newPage(w, r, v), SignIn: "/signin?next=" + url.QueryEscape(flowPath(sub.ID))}
		s.render(w, r, http.StatusOK, "flow.html", &p)
		return
	}
	if !sub.CanView(v.Actor) {
		s.fail(w, r, v, http.StatusForbidden, "error.forbidden")
		return
	}
	s.renderFlow(w, r, v, sub, http.StatusOK, flowEdit{}, flowProblems{})
}

func flowPath(id string) string { return "/flow/" + url.PathEscape(id) }

// loadSubmission reads the submission named by the path's {id} for a
// signed-in viewer. It answers 404 or 403 itself (401 to a visitor) and
// returns false; true when v may see the submission.
func (s *Server) loadSubmission(w http.ResponseWriter, r *http.Request, v *viewer) (*opendata.Submission, bool) {
	if !v.SignedIn() {
		s.fail(w, r, v, http.StatusUnauthorized, "error.signed_out")
		return nil, false
	}
	sub, err := s.db.Submission(r.Context(), r.PathValue("id"))
	switch {
	case err != nil:
		s.refuse(w, r, v, err)
		return nil, false
	case !sub.CanView(v.Actor):
		s.fail(w, r, v, http.StatusForbidden, "error.forbidden")
		return nil, false
	}
	return sub, true
}

// renderFlow renders the overview, or the task page edit.Task, with the
// editors' forms as typed and the refusals of this file's forms.
func (s *Server) renderFlow(w http.ResponseWriter, r *http.Request, v *viewer, sub *opendata.Submission, status int,
	edit flowEdit, probs flowProblems) {
	f, err := s.facts(r.Context(), sub, v)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p := flowPage{Page: s.newPage(w, r, v), Sub: sub}
	p.Modified = sub.UpdatedAt.UTC().Format(time.DateOnly)
	p.Title = titleIn(p.Lang, sub.Fields)
	p.Next = t(p.Lang, "flow.next."+string(sub.State))
	p.Checklist = checkItems(p.Lang, sub.ID, f)
	editable := sub.CanEdit(v.Actor)
	p.Task, p.Editable, p.Overview = edit.Task, editable, flowPath(sub.ID)
	p.Tasks = taskItems(p.Lang, sub, f)
	for i, it := range p.Tasks {
		if it.Slug == p.Task {
			p.TaskTitle = it.Title
			if i+1 < len(p.Tasks) {
				p.NextTask = &p.Tasks[i+1]
			}
		}
	}
	p.Notice = s.reasonNotice(p.Lang, sub)
	if p.Metadata = edit.Metadata; p.Metadata == nil {
		p.Metadata = s.metadataFormFor(p.Lang, sub.Fields)
	}
	p.Metadata.CSRF, p.Metadata.Action, p.Metadata.Editable = p.CSRF, flowPath(sub.ID)+"/metadata", editable
	if p.Approval = edit.Approval; p.Approval == nil {
		p.Approval = s.approvalFormFor(p.Lang, approvalDraft(p.Lang, sub, f.form, f.formSaved))
	}
	p.Approval.CSRF, p.Approval.Action, p.Approval.Editable = p.CSRF, flowPath(sub.ID)+"/approval-form", editable
	p.FileCheck = newFileCheckView(p.Lang, sub.ID, f.check, editable)
	p.Signed = s.newSignedView(p.Lang, sub, v, f, editable, probs.Upload)
	p.Publication = newPublicationView(p.Lang, f.publication)
	if sub.State == opendata.StateApproved && f.publication != nil && f.publication.DryRun {
		p.Next = t(p.Lang, "flow.next.approved_dry_run")
	}
	all := actionViews(p.Lang, sub, v, f.list, probs)
	for i, a := range all {
		switch {
		case a.Action == edit.Action:
			p.Confirm = &all[i]
		case (a.Action == opendata.ActionSubmitForApproval) == (edit.Task == taskSubmit):
			p.Actions = append(p.Actions, a)
		}
	}
	p.Timeline = timeline(p.Lang, sub.History)
	page := "flow.html"
	switch {
	case edit.Action != "" && p.Confirm != nil:
		page = "action.html"
	case edit.Action != "":
		s.stale(w, r, v, sub, edit.Action)
		return
	case p.Task != "":
		page = "task.html"
	}
	s.render(w, r, status, page, &p)
}

// titleIn is the dataset's title in lang, or in the other language when
// that one is missing.
func titleIn(lang i18n.Lang, f opendata.Fields) string {
	en, fr := strings.TrimSpace(f.TitleEN), strings.TrimSpace(f.TitleFR)
	if lang == i18n.FR && fr != "" || en == "" {
		return fr
	}
	return en
}

// flowFacts is what the page and the workflow know about a submission
// beyond its own record.
type flowFacts struct {
	list        opendata.Checklist
	metaErrs    int                   // problems with the metadata
	check       *opendata.FileCheck   // nil when no check was requested
	form        opendata.ApprovalForm // as saved; empty unless formSaved
	formSaved   bool
	signed      *store.SignedApproval // nil when none is attached
	publication *opendata.Publication // nil before the first publishing attempt or dry run
}

// checklist establishes the workflow's facts about sub for v: the four items
// of the submit checklist and whether v opened the current signed approval.
func (s *Server) checklist(ctx context.Context, sub *opendata.Submission, v *viewer) (opendata.Checklist, error) {
	f, err := s.facts(ctx, sub, v)
	if err != nil {
		return opendata.Checklist{}, err
	}
	return f.list, nil
}

func (s *Server) facts(ctx context.Context, sub *opendata.Submission, v *viewer) (*flowFacts, error) {
	f := &flowFacts{metaErrs: len(s.metadataErrors(sub.Fields))}
	f.list.MetadataValid = f.metaErrs == 0
	var err error
	if f.check, err = s.db.FileCheck(ctx, sub.ID); opendata.ErrorCode(err) == opendata.ENOTFOUND {
		f.check = nil
	} else if err != nil {
		return nil, err
	}
	f.list.FileCheckPassed = f.check.Passed()
	if f.form, f.formSaved, err = s.db.ApprovalForm(ctx, sub.ID); err != nil {
		return nil, err
	}
	f.list.ApprovalFormComplete = f.formSaved && len(f.form.Validate()) == 0
	if f.signed, err = s.db.SignedApproval(ctx, sub.ID); opendata.ErrorCode(err) == opendata.ENOTFOUND {
		f.signed = nil
	} else if err != nil {
		return nil, err
	}
	f.list.SignedApprovalAttached = f.signed != nil
	if f.publication, err = s.db.Publication(ctx, sub.ID); opendata.ErrorCode(err) == opendata.ENOTFOUND {
		f.publication = nil
	} else if err != nil {
		return nil, err
	}
	if sub.State == opendata.StateApproved || sub.State == opendata.StateUnpublished { // publish now, publish again
		if _, _, err := s.db.TargetFor(ctx, sub.Project); err == nil {
			f.list.PublishingTarget = true
		} else if opendata.ErrorCode(err) != opendata.ENOTFOUND {
			return nil, err
		}
	}
	if f.signed != nil && v.SignedIn() {
		if f.list.SignedApprovalOpened, err = s.db.Opened(ctx, sub.ID, v.Actor.Email, f.signed.SHA256); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// checkItem is one line of the checklist.
type checkItem struct {
	Done   bool
	Text   string
	Detail string // what is wrong, when something can be said in a few words
	Href   string // the section that deals with it
}

func checkItems(lang i18n.Lang, id string, f *flowFacts) []checkItem {
	out := make([]checkItem, 0, len(opendata.SubmitChecklist))
	for _, it := range opendata.SubmitChecklist {
		c := checkItem{Done: f.list.Holds(it), Text: t(lang, "checklist."+string(it)), Href: taskPath(id, taskChecks[it])}
		switch {
		case it == opendata.CheckMetadataValid && f.metaErrs > 0:
			c.Detail = t(lang, "flow.checklist.problems", "count", strconv.Itoa(f.metaErrs))
		case it == opendata.CheckFileCheckPassed && f.check != nil && !c.Done:
			c.Detail = t(lang, "filecheck.state."+string(f.check.State))
		}
		out = append(out, c)
	}
	return out
}

// fileCheckView is the file check section.
type fileCheckView struct {
	Present    bool
	Key        string // the state as stored, for the style
	State      string // in words
	Explain    string
	Requested  time.Time
	Checked    time.Time // zero while the check is pending
	Size       string
	Type       string
	Format     string
	Reason     string    // why it did not pass, in the page's language (English for checks saved before reason codes)
	ReasonLang i18n.Lang // the language Reason is in
	Recheck    bool      // the viewer may ask for another check
	Action     string    // where that form posts
}

func newFileCheckView(lang i18n.Lang, id string, c *opendata.FileCheck, editable bool) fileCheckView {
	v := fileCheckView{Recheck: editable, Action: flowPath(id) + "/check"}
	if c == nil {
		return v
	}
	v.Present, v.Key, v.Requested = true, string(c.State), c.RequestedAt
	v.State, v.Explain = t(lang, "filecheck.state."+v.Key), t(lang, "filecheck.explain."+v.Key)
	v.Type, v.Format = c.ContentType, c.Format
	v.Reason, v.ReasonLang = fileCheckReason(lang, c)
	if c.CheckedAt != nil {
		v.Checked = *c.CheckedAt
		if c.Size > 0 {
			v.Size = byteSize(lang, c.Size)
		}
	}
	return v
}

// byteSize writes n bytes for people: 512 bytes, 3.4 KB, 10 MB (3,4 Ko in
// French), in units of 1024 as file managers count.
func byteSize(lang i18n.Lang, n int64) string {
	num, key := strconv.FormatInt(n, 10), "size.bytes"
	switch {
	case n >= 1<<20:
		num, key = oneDecimal(float64(n)/(1<<20)), "size.mb"
	case n >= 1<<10:
		num, key = oneDecimal(float64(n)/(1<<10)), "size.kb"
	}
	if lang == i18n.FR {
		num = strings.Replace(num, ".", ",", 1)
	}
	return t(lang, key, "n", num)
}

func oneDecimal(x float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(x, 'f', 1, 64), ".0")
}

// recheck asks for another check of the file, for the contact or an admin
// while the submission is with its contact.
func (s *Server) recheck(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, ok := s.loadSubmission(w, r, v)
	if !ok {
		return
	}
	if err := sub.CheckEdit(v.Actor); err != nil {
		s.refuse(w, r, v, err)
		return
	}
	_, enqueued, err := s.db.RequestFileCheck(r.Context(), sub.ID)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	flash := "check_requested"
	if !enqueued {
		flash = "check_pending"
	}
	s.seeOther(w, r, v, taskPath(sub.ID, taskFileCheck), flash)
}

// timelineRow is one transition, in words.
type timelineRow struct {
	At     time.Time
	State  opendata.State
	Actor  string
	Reason string
}

func timeline(lang i18n.Lang, history []opendata.Transition) []timelineRow {
	out := make([]timelineRow, len(history))
	for i, h := range history {
		out[i] = timelineRow{At: h.At, State: h.To, Actor: actorName(lang, h.Actor), Reason: h.Reason}
	}
	return out
}

// actorName says who took a step, from the name the history records.
func actorName(lang i18n.Lang, name string) string {
	kind, rest, _ := strings.Cut(name, ":")
	switch {
	case name == opendata.SystemActorName:
		return t(lang, "flow.actor.system")
	case kind == "api" && rest != "":
		return t(lang, "flow.actor.api", "key", rest)
	case kind == "admin" && rest != "":
		return t(lang, "flow.actor.admin", "email", rest)
	case kind == "user" && rest != "":
		return rest
	}
	return name
}

// fileCheckReason says why the check did not pass in lang, from its code and
// arguments; a check saved before reason codes has its English words only.
func fileCheckReason(lang i18n.Lang, c *opendata.FileCheck) (string, i18n.Lang) {
	if c.Reason == "" {
		return "", lang
	}
	if c.ReasonCode == "" || !i18n.Has(lang, "filecheck.why."+c.ReasonCode) {
		return c.Reason, i18n.EN
	}
	pairs := make([]string, 0, 2*len(c.ReasonArgs))
	for k, v := range c.ReasonArgs {
		pairs = append(pairs, k, v)
	}
	why := i18n.T(lang, "filecheck.why."+c.ReasonCode, pairs...)
	if n := c.ReasonArgs["attempts"]; n != "" {
		why += " " + i18n.T(lang, "filecheck.after_attempts", "attempts", n)
	}
	return why, lang
}
