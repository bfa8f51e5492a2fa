package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// registerEditors adds the routes of the submission page's two editors: the
// metadata and the approval form (approvalform.go), with its PDF.
func (s *Server) registerEditors(mux Router) {
	mux.HandleFunc("POST /flow/{id}/metadata", s.form(s.saveMetadata))
	mux.HandleFunc("POST /flow/{id}/approval-form", s.form(s.saveApprovalForm))
	mux.HandleFunc("GET /flow/{id}/approval-form.pdf", s.signedIn(s.approvalFormPDF))
}

// The kinds of editor control; the partials render each its own way.
const (
	kindText     = "text"
	kindTextarea = "textarea"
	kindSelect   = "select"   // one choice
	kindMulti    = "multi"    // several choices
	kindFixed    = "fixed"    // shown, never sent: file_id
	kindCheckbox = "checkbox" // sent as "on" when ticked
	kindRadio    = "radio"
)

// editorControl is one field of an editor, ready to render in the page's language.
type editorControl struct {
	Name        string // the field's API (or opendata.Form*) name: the control's name and id
	Kind        string
	InputType   string // for kindText: text, url, email or tel
	Label       string
	Hint        string
	Required    string // form.required in the page language, or "" for an optional field
	Lang        string // the language of a bilingual field's value, for spell checkers and screen readers
	Value       string // as stored or as typed
	Checked     bool
	Options     []editorOption
	Errors      []string // the problems with the field, in the page language
	Shown       string   // the value as read-only text
	Describedby string   // the ids of the hint and error, for aria-describedby
	Width       string   // half, third or full: its share of a row on a wide screen; "" as the form lays it out
}

// editorOption is one choice of a select or radio group.
type editorOption struct {
	Value, Label string
	Selected     bool
}

// editorError is one problem, for the summary at the top of a form: Target is
// the id of the control it links to.
type editorError struct {
	Field, Target, Message string
}

// finish fills what a control derives from the rest: its aria-describedby.
func (c *editorControl) finish() {
	var ids []string
	if c.Hint != "" {
		ids = append(ids, c.Name+"-hint")
	}
	if len(c.Errors) > 0 {
		ids = append(ids, "error-"+c.Name)
	}
	c.Describedby = strings.Join(ids, " ")
}

// attach puts each message next to its field, in the groups of controls,
// and lists them all in order for the summary, whose entries link to target(field).
func attach(errs []opendata.FieldError, message func(opendata.FieldError) string, target func(string) string,
	groups ...[]editorControl) []editorError {
	var out []editorError
	for _, fe := range errs {
		msg := message(fe)
		out = append(out, editorError{Field: fe.Field, Target: target(fe.Field), Message: msg})
		for _, g := range groups {
			for i := range g {
				if g[i].Name == fe.Field {
					g[i].Errors = append(g[i].Errors, msg)
				}
			}
		}
	}
	for _, g := range groups {
		for i := range g {
			g[i].finish()
		}
	}
	return out
}

// metadataForm is the metadata editor: every field of the API, as stored or
// as the contact typed it, with the problems found.
type metadataForm struct {
	Lang     i18n.Lang
	CSRF     string
	Action   string // where the form posts: /flow/ID/metadata
	Editable bool   // false shows the values read-only, without a form
	Controls []editorControl
	Errors   []editorError
}

// metadataLayout is the editor's order, each field beside its other-language
// twin, and how wide each is on a wide screen (a half, a third or the whole
// row), so that the page stays short.
var metadataLayout = []struct{ name, width string }{
	{opendata.FieldTitleEN, "half"}, {opendata.FieldTitleFR, "half"},
	{opendata.FieldNotesEN, "half"}, {opendata.FieldNotesFR, "half"},
	{opendata.FieldKeywordsEN, "half"}, {opendata.FieldKeywordsFR, "half"},
	{opendata.FieldFileName, "half"}, {opendata.FieldFileURL, "half"},
	{opendata.FieldFileID, "third"}, {opendata.FieldEmailContact, "third"}, {opendata.FieldCollection, "third"},
	{opendata.FieldSubject, "full"},
	{opendata.FieldFrequency, "third"}, {opendata.FieldDatePublished, "third"}, {opendata.FieldJurisdiction, "third"},
	{opendata.FieldCoverageStart, "third"}, {opendata.FieldCoverageEnd, "third"}, {opendata.FieldDOI, "third"},
	{opendata.FieldAudience, "full"},
}

// optionalMetadata are the fields the API does not require (SPEC §2.2).
var optionalMetadata = map[string]bool{
	opendata.FieldCoverageStart: true, opendata.FieldCoverageEnd: true,
	opendata.FieldAudience: true, opendata.FieldDOI: true,
}

// multiChoice reports the fields a multi-select sends as several values.
func multiChoice(name string) bool {
	return name == opendata.FieldSubject || name == opendata.FieldAudience
}

// metadataValues are the fields as a form holds them: keywords as one
// comma-separated text, choices of a multi-select as several values.
type metadataValues map[string][]string

func valuesOf(f opendata.Fields) metadataValues {
	vals := metadataValues{}
	for name, v := range f.Raw() {
		switch {
		case name == opendata.FieldKeywordsEN || name == opendata.FieldKeywordsFR:
			vals[name] = []string{strings.Join(v.List, ", ")}
		case v.IsList:
			vals[name] = v.List
		case v.Str != "":
			vals[name] = []string{v.Str}
		}
	}
	return vals
}

// raw turns the values into what the API's JSON would carry: an empty field
// is absent, keywords are comma-separated text, multi-choices a list. The
// file_id is the stored one: it identifies the dataset and cannot change.
func (vals metadataValues) raw(fileID string) opendata.RawFields {
	raw := opendata.RawFields{opendata.FieldFileID: opendata.Str(fileID)}
	for _, name := range opendata.FieldNames {
		v := vals[name]
		switch {
		case name == opendata.FieldFileID:
		case multiChoice(name):
			if len(v) > 0 {
				raw[name] = opendata.List(v)
			}
		case len(v) > 0 && strings.TrimSpace(v[0]) != "":
			raw[name] = opendata.Str(v[0])
		}
	}
	return raw
}

// metadataRules are the API's rules, so that the page accepts exactly what the API does.
func (s *Server) metadataRules() opendata.Rules {
	return opendata.Rules{
		Vocabulary:   s.vocab,
		Today:        s.cfg.Now().In(s.cfg.Location).Format("2006-01-02"),
		EmailDomains: s.cfg.EmailDomains,
	}
}

// metadataErrors checks stored metadata again with the API's rules: the
// vocabulary, the allowed domains or the date may have changed since.
func (s *Server) metadataErrors(f opendata.Fields) []opendata.FieldError {
	_, errs := s.metadataRules().Validate(f.Raw())
	return errs
}

// metadataFormFor shows stored metadata, with any problems they have now.
func (s *Server) metadataFormFor(lang i18n.Lang, f opendata.Fields) *metadataForm {
	return s.newMetadataForm(lang, valuesOf(f), s.metadataErrors(f))
}

func (s *Server) newMetadataForm(lang i18n.Lang, vals metadataValues, errs []opendata.FieldError) *metadataForm {
	m := &metadataForm{Lang: lang, Controls: make([]editorControl, 0, len(metadataLayout))}
	for _, f := range metadataLayout {
		c := s.metadataControl(lang, f.name, vals[f.name])
		c.Width = f.width
		m.Controls = append(m.Controls, c)
	}
	m.Errors = attach(errs, func(fe opendata.FieldError) string {
		// The API's message, naming the field as the page labels it.
		fe.Field = t(lang, "editor.field."+fe.Field)
		return i18n.FieldError(lang, fe)
	}, func(field string) string { return m.target(field) }, m.Controls)
	return m
}

// target is the id an error summary's entry links to: the control, or a
// group's first checkbox, which the link then focuses.
func (m *metadataForm) target(field string) string {
	for _, c := range m.Controls {
		if c.Name == field && c.Kind == kindMulti && len(c.Options) > 0 {
			return field + "-" + c.Options[0].Value
		}
	}
	return field
}

func (s *Server) metadataControl(lang i18n.Lang, name string, vals []string) editorControl {
	c := editorControl{Name: name, Kind: kindText, InputType: "text",
		Label: t(lang, "editor.field."+name), Hint: t(lang, "editor.hint."+name)}
	if len(vals) > 0 {
		c.Value = vals[0]
	}
	c.Shown = c.Value
	switch name {
	case opendata.FieldFileID:
		c.Kind = kindFixed
	case opendata.FieldFileURL:
		c.InputType = "url"
	case opendata.FieldEmailContact:
		c.InputType = "email"
	case opendata.FieldNotesEN, opendata.FieldNotesFR:
		c.Kind = kindTextarea
	case opendata.FieldCollection, opendata.FieldFrequency, opendata.FieldJurisdiction:
		c.Kind = kindSelect
		c.Options = append([]editorOption{{Label: t(lang, "editor.choose"), Selected: c.Value == ""}},
			s.choiceOptions(lang, name, []string{c.Value})...)
	case opendata.FieldSubject, opendata.FieldAudience:
		c.Kind = kindMulti
		c.Options = s.choiceOptions(lang, name, vals)
	}
	switch name {
	case opendata.FieldTitleEN, opendata.FieldNotesEN, opendata.FieldKeywordsEN:
		c.Lang = string(i18n.EN)
	case opendata.FieldTitleFR, opendata.FieldNotesFR, opendata.FieldKeywordsFR:
		c.Lang = string(i18n.FR)
	}
	if c.Kind == kindSelect || c.Kind == kindMulti {
		labels := make([]string, len(vals))
		for i, v := range vals {
			labels[i] = s.vocab.Label(name, v, string(lang))
		}
		c.Shown = strings.Join(labels, ", ")
	}
	if c.Shown == "" {
		c.Shown = t(lang, "editor.empty")
	}
	if !optionalMetadata[name] && c.Kind != kindFixed {
		c.Required = t(lang, "form.required")
	}
	return c
}

// choiceOptions lists a vocabulary's choices with the selected ones marked.
// A selected value the vocabulary lacks stays listed, so that saving again
// loses nothing and its error shows.
func (s *Server) choiceOptions(lang i18n.Lang, field string, selected []string) []editorOption {
	var out []editorOption
	for _, c := range s.vocab.List(field) {
		label := c.EN
		if lang == i18n.FR {
			label = c.FR
		}
		out = append(out, editorOption{Value: c.Value, Label: label, Selected: slices.Contains(selected, c.Value)})
	}
	for _, v := range selected {
		if v != "" && !s.vocab.Has(field, v) {
			out = append(out, editorOption{Value: v, Label: v, Selected: true})
		}
	}
	return out
}

// saveMetadata checks the edited metadata with the API's rules and saves
// them, or shows the page again with the problems and what was typed.
func (s *Server) saveMetadata(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, ok := s.loadSubmission(w, r, v)
	if !ok || !s.mayEdit(w, r, v, sub) {
		return
	}
	vals := metadataValues{}
	for _, name := range opendata.FieldNames {
		if got, ok := r.PostForm[name]; ok {
			vals[name] = got
		}
	}
	fields, errs := s.metadataRules().Validate(vals.raw(sub.Fields.FileID))
	if len(errs) > 0 {
		vals[opendata.FieldFileID] = []string{sub.Fields.FileID}
		m := s.newMetadataForm(lang(r), vals, errs)
		m.CSRF, m.Action, m.Editable = s.csrfToken(w, r, v), flowPath(sub.ID)+"/metadata", true
		s.renderFlow(w, r, v, sub, http.StatusUnprocessableEntity, flowEdit{Task: taskMetadata, Metadata: m}, flowProblems{})
		return
	}
	if err := s.db.UpdateFields(r.Context(), sub.ID, fields, editedBy(v.Actor, sub)); err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.seeOther(w, r, v, taskPath(sub.ID, nextTask(taskMetadata)), "metadata_saved") // save and continue
}

// mayEdit refuses, with a page that says why, an edit the viewer may not make now.
func (s *Server) mayEdit(w http.ResponseWriter, r *http.Request, v *viewer, sub *opendata.Submission) bool {
	err := sub.CheckEdit(v.Actor)
	if err != nil {
		s.refuse(w, r, v, err)
	}
	return err == nil
}

// editedBy names the editor in the record: as the contact, or as an admin.
func editedBy(a opendata.Actor, sub *opendata.Submission) string {
	if a.IsContact(sub) {
		return opendata.UserActorName(a.Email)
	}
	return opendata.AdminActorName(a.Email)
}
