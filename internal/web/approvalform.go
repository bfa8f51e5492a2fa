package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/pdf"
)

// approvalFormView is the approval form editor, in groups as the printed form has them.
type approvalFormView struct {
	Lang     i18n.Lang
	CSRF     string
	Action   string // where the form posts: /flow/ID/approval-form
	Editable bool   // false shows the values read-only, without a form
	Groups   []approvalGroup
	Errors   []editorError     // wrong values: the form was refused, or the rules changed since it was saved
	Todo     map[string]string // a field → what is still to do there, shown next to it as a hint
	Left     int               // how many items are still to do
}

// PDF is the address of the pre-filled form to print and sign.
func (f *approvalFormView) PDF() string { return f.Action + ".pdf" }

// approvalGroup is one fieldset of the form.
type approvalGroup struct {
	ID, Legend, Hint string
	Controls         []editorControl
}

// approvalFormOf returns the submission's approval form as last saved, or a
// draft filled in from the submission when it was never saved.
func (s *Server) approvalFormOf(ctx context.Context, sub *opendata.Submission, lang i18n.Lang) (opendata.ApprovalForm, error) {
	f, saved, err := s.db.ApprovalForm(ctx, sub.ID)
	if err != nil {
		return f, err
	}
	return approvalDraft(lang, sub, f, saved).Form, nil
}

// shownApproval is the approval form the page shows, and whether it is the
// one saved: only a saved form shows what is left to do.
type shownApproval struct {
	Form  opendata.ApprovalForm
	Saved bool
}

// approvalDraft returns f when it was saved, else a new form filled in with
// what the submission already says: its title in lang and its contact as the
// business owner's email, which the contact corrects when someone else owns the data.
func approvalDraft(lang i18n.Lang, sub *opendata.Submission, f opendata.ApprovalForm, saved bool) shownApproval {
	if saved {
		return shownApproval{Form: f, Saved: true}
	}
	return shownApproval{Form: opendata.ApprovalForm{DatasetTitle: titleIn(lang, sub.Fields), OwnerEmail: sub.Fields.EmailContact}}
}

// approvalFormFor shows a saved form with what is left to do, and with any
// value the rules refuse now; a draft never saved shows no problem, as
// nobody has worked on it yet.
func (s *Server) approvalFormFor(lang i18n.Lang, a shownApproval) *approvalFormView {
	if !a.Saved {
		return newApprovalFormView(lang, a.Form, nil, nil)
	}
	unfinished, wrong := a.Form.Problems()
	return newApprovalFormView(lang, a.Form, unfinished, wrong)
}

// newApprovalFormView shows f with what is still to do (unfinished) as hints
// next to the fields, and the wrong values as errors.
func newApprovalFormView(lang i18n.Lang, f opendata.ApprovalForm, unfinished, wrong []opendata.FieldError) *approvalFormView {
	b := approvalControls{lang}
	phone, email := b.text(opendata.FormOwnerPhone, f.OwnerPhone, false), b.text(opendata.FormOwnerEmail, f.OwnerEmail, true)
	phone.InputType, email.InputType = "tel", "email"
	var criteria []editorControl
	for _, c := range f.ReleaseCriteria() {
		ctl := b.check(c.Field, c.Confirmed, "editor.approval.confirmed", "editor.approval.not_confirmed")
		ctl.Required = t(lang, "form.required")
		criteria = append(criteria, ctl)
	}
	v := &approvalFormView{Lang: lang, Groups: []approvalGroup{
		b.group("approval-owner", "owner",
			b.text(opendata.FormOwnerDepartment, f.OwnerDepartment, false),
			b.text(opendata.FormOwnerSector, f.OwnerSector, false),
			b.text(opendata.FormOwnerBranch, f.OwnerBranch, false),
			b.text(opendata.FormOwnerDivision, f.OwnerDivision, false),
			b.text(opendata.FormOwnerSection, f.OwnerSection, false),
			b.text(opendata.FormOwnerName, f.OwnerName, true), phone, email),
		b.group("approval-dataset", "dataset",
			b.text(opendata.FormDatasetTitle, f.DatasetTitle, true), b.typeOfData(f.TypeOfData)),
		b.group("approval-criteria", "criteria", criteria...),
		b.group("approval-exceptions", "exceptions_group",
			b.check(opendata.FormSubjectToExceptions, f.SubjectToExceptions, approvalYes, approvalNo),
			b.long(opendata.FormExceptions, f.Exceptions)),
		b.group("approval-blanket", "blanket",
			b.check(opendata.FormBlanketOngoing, f.BlanketOngoing, approvalYes, approvalNo),
			b.check(opendata.FormBlanketCollection, f.BlanketCollection, approvalYes, approvalNo),
			b.check(opendata.FormBlanketInSitu, f.BlanketInSitu, approvalYes, approvalNo),
			b.check(opendata.FormBlanketOther, f.BlanketOther, approvalYes, approvalNo),
			b.long(opendata.FormBlanketOtherText, f.BlanketOtherText)),
	}}
	controls := make([][]editorControl, len(v.Groups))
	for i, g := range v.Groups {
		controls[i] = g.Controls // the same elements: attach fills them in place
	}
	v.Errors = attach(wrong, approvalMessage(lang), approvalTarget, controls...)
	v.Todo, v.Left = make(map[string]string, len(unfinished)), len(unfinished)
	for _, fe := range unfinished {
		v.Todo[fe.Field] = todoMessage(lang, fe.Field)
	}
	for _, g := range controls {
		for i := range g {
			if _, ok := v.Todo[g[i].Name]; ok {
				g[i].Describedby = strings.TrimSpace(g[i].Describedby + " todo-" + g[i].Name)
			}
		}
	}
	return v
}

// todoMessage says, in a few words, what is left to do in a field.
func todoMessage(lang i18n.Lang, field string) string {
	switch {
	case isCriterion(field):
		return t(lang, "editor.approval.todo.confirm")
	case field == opendata.FormTypeOfData:
		return t(lang, "editor.approval.todo.choose")
	case field == opendata.FormExceptions || field == opendata.FormBlanketOtherText:
		return t(lang, "editor.approval.todo.describe")
	}
	return t(lang, "editor.approval.todo.fill")
}

// How a ticked or unticked option reads when the form is shown read-only.
const (
	approvalYes = "editor.approval.yes"
	approvalNo  = "editor.approval.no"
)

// approvalControls makes the approval form's controls in one language.
type approvalControls struct{ lang i18n.Lang }

func (b approvalControls) text(name, value string, required bool) editorControl {
	c := editorControl{Name: name, Kind: kindText, InputType: "text", Value: value, Shown: value,
		Label: t(b.lang, "editor.approval."+name), Hint: t(b.lang, "editor.approval."+name+".hint")}
	if required {
		c.Required = t(b.lang, "form.required")
	}
	if c.Shown == "" {
		c.Shown = t(b.lang, "editor.empty")
	}
	return c
}

func (b approvalControls) long(name, value string) editorControl {
	c := b.text(name, value, false)
	c.Kind = kindTextarea
	return c
}

// check is a checkbox; ticked and unticked are the catalogue keys of how it reads when shown read-only.
func (b approvalControls) check(name string, checked bool, ticked, unticked string) editorControl {
	shown := t(b.lang, unticked)
	if checked {
		shown = t(b.lang, ticked)
	}
	return editorControl{Name: name, Kind: kindCheckbox, Checked: checked, Shown: shown,
		Label: t(b.lang, "editor.approval."+name)}
}

func (b approvalControls) typeOfData(value string) editorControl {
	c := editorControl{Name: opendata.FormTypeOfData, Kind: kindRadio, Required: t(b.lang, "form.required"),
		Label: t(b.lang, "editor.approval.type_of_data"), Hint: t(b.lang, "editor.approval.type_of_data.hint"),
		Value: value, Shown: t(b.lang, "editor.empty")}
	for _, v := range opendata.TypesOfData {
		label := t(b.lang, "editor.approval.type."+v)
		c.Options = append(c.Options, editorOption{Value: v, Label: label, Selected: value == v})
		if value == v {
			c.Shown = label
		}
	}
	return c
}

// group is a fieldset; key names its legend and hint in the catalogue.
func (b approvalControls) group(id, key string, controls ...editorControl) approvalGroup {
	return approvalGroup{ID: id, Legend: t(b.lang, "editor.approval."+key), Hint: t(b.lang, "editor.approval."+key+".hint"),
		Controls: controls}
}

// approvalMessage renders a wrong value in the approval form as the API's
// messages read, naming the field as the form labels it.
func approvalMessage(lang i18n.Lang) func(opendata.FieldError) string {
	return func(fe opendata.FieldError) string {
		fe.Field = t(lang, "editor.approval."+fe.Field)
		return i18n.FieldError(lang, fe)
	}
}

func isCriterion(field string) bool {
	for _, c := range (opendata.ApprovalForm{}).ReleaseCriteria() {
		if c.Field == field {
			return true
		}
	}
	return false
}

// approvalTarget is the control a problem links to: a radio group's first option.
func approvalTarget(field string) string {
	if field == opendata.FormTypeOfData {
		return field + "-" + opendata.TypesOfData[0]
	}
	return field
}

// postedApprovalForm reads the form as sent: a ticked checkbox sends "on".
func postedApprovalForm(r *http.Request) opendata.ApprovalForm {
	val := r.PostFormValue
	on := func(name string) bool { return val(name) == "on" }
	return opendata.ApprovalForm{
		OwnerDepartment: val(opendata.FormOwnerDepartment), OwnerSector: val(opendata.FormOwnerSector),
		OwnerBranch: val(opendata.FormOwnerBranch), OwnerDivision: val(opendata.FormOwnerDivision),
		OwnerSection: val(opendata.FormOwnerSection), OwnerName: val(opendata.FormOwnerName),
		OwnerPhone: val(opendata.FormOwnerPhone), OwnerEmail: val(opendata.FormOwnerEmail),
		DatasetTitle: val(opendata.FormDatasetTitle), TypeOfData: val(opendata.FormTypeOfData),

		CopyrightCleared:         on(opendata.FormCopyrightCleared),
		AuthorityToRelease:       on(opendata.FormAuthorityToRelease),
		NoPersonalInformation:    on(opendata.FormNoPersonalInformation),
		NotClassifiedOrProtected: on(opendata.FormNotClassifiedOrProtected),
		FreeOfCharge:             on(opendata.FormFreeOfCharge),
		MachineReadable:          on(opendata.FormMachineReadable),
		NonProprietaryFormat:     on(opendata.FormNonProprietaryFormat),
		OfficialLanguages:        on(opendata.FormOfficialLanguages),

		SubjectToExceptions: on(opendata.FormSubjectToExceptions), Exceptions: val(opendata.FormExceptions),
		BlanketOngoing: on(opendata.FormBlanketOngoing), BlanketCollection: on(opendata.FormBlanketCollection),
		BlanketInSitu: on(opendata.FormBlanketInSitu), BlanketOther: on(opendata.FormBlanketOther),
		BlanketOtherText: val(opendata.FormBlanketOtherText),
	}
}

// saveApprovalForm saves the approval form, finished or not, so that the
// contact can come back to it; a form with a wrong value is not saved but
// shown again with its errors and what was typed.
func (s *Server) saveApprovalForm(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, ok := s.loadSubmission(w, r, v)
	if !ok || !s.mayEdit(w, r, v, sub) {
		return
	}
	f := postedApprovalForm(r)
	unfinished, wrong := f.Problems()
	if len(wrong) > 0 {
		view := newApprovalFormView(lang(r), f, unfinished, wrong)
		view.CSRF, view.Action, view.Editable = s.csrfToken(w, r, v), flowPath(sub.ID)+"/approval-form", true
		s.renderFlow(w, r, v, sub, http.StatusUnprocessableEntity, flowEdit{Task: taskApprovalForm, Approval: view}, flowProblems{})
		return
	}
	if err := s.db.SaveApprovalForm(r.Context(), sub.ID, f.Clean(), editedBy(v.Actor, sub)); err != nil {
		s.refuse(w, r, v, err)
		return
	}
	// Save and continue: to the signed approval once the form is complete.
	if len(unfinished) > 0 {
		s.seeOther(w, r, v, taskPath(sub.ID, taskApprovalForm), "approval_form_saved_incomplete")
		return
	}
	s.seeOther(w, r, v, taskPath(sub.ID, nextTask(taskApprovalForm)), "approval_form_saved")
}

// approvalFormPDF sends the approval form, filled in, as a PDF to print and
// sign, to those who may read the signed one: the contact, admins, approvers.
func (s *Server) approvalFormPDF(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, ok := s.loadSubmission(w, r, v)
	if !ok {
		return
	}
	form, err := s.approvalFormOf(r.Context(), sub, lang(r))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var buf bytes.Buffer
	err = pdf.Render(&buf, pdf.FormData{ID: sub.ID, Project: sub.Project, Fields: sub.Fields, Form: form,
		FlowURL: s.cfg.PublicURL + flowPath(sub.ID), Generated: s.cfg.Now()})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	// Remembered by content, so that this unsigned form is refused if uploaded back as the signed one.
	sum := sha256.Sum256(buf.Bytes())
	if err := s.db.RecordGeneratedForm(r.Context(), sub.ID, hex.EncodeToString(sum[:])); err != nil {
		s.internalError(w, r, err)
		return
	}
	sendDeadline(w, s.cfg.DownloadWriteTimeout)
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="approval-form-`+sub.ID+`.pdf"`)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(buf.Bytes())
}
