// Package pdf renders the bilingual open data release approval form that a
// business owner prints and signs, and checks the signed copy a contact uploads.
package pdf

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// FormData is what the printed approval form shows.
type FormData struct {
	ID        string                // the datahub_id
	Project   string                // the project that submitted the dataset
	Fields    opendata.Fields       // the submission: titles, file, contact
	Form      opendata.ApprovalForm // as the contact completed it
	FlowURL   string                // where to upload the signed copy; optional
	Generated time.Time             // printed, and the document's creation date; zero means now
}

// Render writes the approval form of d as a PDF, pre-filled in English and
// French. An incomplete form is marked as a draft not to be signed. The same
// d (with Generated set) gives the same bytes.
func Render(w io.Writer, d FormData) error {
	if d.Generated.IsZero() {
		d.Generated = time.Now()
	}
	// Footers print the page count, known once the form is laid out: lay it out
	// to count, then for good. (fpdf's page-count alias is replaced in the raw
	// content stream, where it can match bytes of the UTF-16 user text.)
	draft := layOut(d, 0)
	if err := draft.p.Error(); err != nil {
		return fmt.Errorf("render approval form: %w", err)
	}
	if err := layOut(d, draft.p.PageCount()).p.Output(w); err != nil {
		return fmt.Errorf("render approval form: %w", err)
	}
	return nil
}

// layOut draws the whole form, with pages as the page count in the footers.
func layOut(d FormData, pages int) *sheet {
	form := d.Form.Clean()
	s := newSheet()
	s.pages = pages
	title := text("approval_pdf.title")
	s.p.SetTitle(title.en+" / "+title.fr+" – "+clean(d.ID, false), true)
	s.p.SetCreator("DataHub", true)
	s.p.SetLang("en-CA")
	s.p.SetCreationDate(d.Generated)
	s.p.SetModificationDate(d.Generated)
	s.p.SetCatalogSort(true)
	s.p.SetHeaderFunc(s.runningHead)
	s.p.SetFooterFunc(func() { s.footer(d.ID) })
	s.p.AddPage()

	s.titleBlock(d, form.Complete())
	s.submission(d)
	s.owner(form)
	s.dataset(form)
	s.criteria(form)
	s.exceptions(form)
	s.blanket(form)
	s.approval()
	return s
}

// titleBlock heads the first page: who issues the form, its title, and what to do with it.
func (s *sheet) titleBlock(d FormData, complete bool) {
	y := marginTop
	gc, generated, title := text("layout.government"), text("approval_pdf.generated"), text("approval_pdf.title")
	s.draw(s.wrap("B", 10, black, gc.en, s.width/2), marginX, y)
	s.draw(s.wrap("", 10, black, gc.fr, s.width/2), marginX, y+lineHeight(10))
	date := s.wrap("", 9, muted, generated.en+" / "+generated.fr+" "+d.Generated.Format("2006-01-02"), s.width/2)
	s.p.SetFont(family, "", 9)
	s.draw(date, marginX+s.width-s.p.GetStringWidth(date.lines[0]), y)
	y += 2*lineHeight(10) + 1.5
	s.p.SetFillColor(red[0], red[1], red[2])
	s.p.Rect(marginX, y, s.width, 1.2, "F")
	y += 4
	en := s.wrap("B", 16, black, title.en, s.width)
	fr := s.wrap("B", 13, muted, title.fr, s.width)
	s.draw(en, marginX, y)
	s.draw(fr, marginX, y+en.height())
	s.p.SetY(y + en.height() + fr.height() + 1)
	if !complete {
		s.note(text("approval_pdf.draft"), "B", red)
	}
	if d.FlowURL == "" {
		s.note(text("approval_pdf.instructions"), "", black)
	} else {
		s.note(text("approval_pdf.instructions_at", "url", clean(d.FlowURL, false)), "", black)
	}
}

// runningHead names the form at the top of every page after the first.
func (s *sheet) runningHead() {
	if s.p.PageNo() == 1 {
		return
	}
	title := text("approval_pdf.title")
	t := s.wrap("", 8.5, muted, title.en+" / "+title.fr, s.width)
	s.draw(t, marginX, marginTop)
	y := marginTop + t.height() + 1
	s.rule(y, 150, 0.2)
	s.p.SetY(y + 2)
}

// footer identifies the submission and numbers the pages in both languages.
func (s *sheet) footer(id string) {
	y := s.limit + 6
	s.rule(y, 150, 0.2)
	name := text("approval_pdf.datahub_id")
	left := s.wrap("", 8, muted, name.en+" / "+name.fr+" : "+clean(id, false), s.width*0.65)
	left.lines = left.lines[:1]
	s.draw(left, marginX, y+1)
	page := text("approval_pdf.page", "page", strconv.Itoa(s.p.PageNo()), "pages", strconv.Itoa(s.pages))
	pages := page.en + " / " + page.fr
	s.p.SetFont(family, "", 8)
	s.p.SetTextColor(muted[0], muted[1], muted[2])
	s.p.SetXY(marginX+s.width*0.65, y+1)
	s.p.CellFormat(s.width*0.35, lineHeight(8), pages, "", 0, "R", false, 0, "")
}

func (s *sheet) submission(d FormData) {
	s.section(1, text("approval_pdf.section.submission"))
	s.row(text("approval_pdf.datahub_id"), d.ID)
	s.row(text("editor.field.title_translated_en"), d.Fields.TitleEN)
	s.row(text("editor.field.title_translated_fr"), d.Fields.TitleFR)
	s.row(text("editor.field.file_name"), d.Fields.FileName)
	s.row(text("editor.field.file_url"), d.Fields.FileURL)
	s.row(text("flow.project"), d.Project)
	s.row(text("editor.field.email_contact"), d.Fields.EmailContact)
}

func (s *sheet) owner(f opendata.ApprovalForm) {
	s.section(2, fieldLabel("owner"))
	for _, r := range []struct{ field, value string }{
		{opendata.FormOwnerDepartment, f.OwnerDepartment},
		{opendata.FormOwnerSector, f.OwnerSector},
		{opendata.FormOwnerBranch, f.OwnerBranch},
		{opendata.FormOwnerDivision, f.OwnerDivision},
		{opendata.FormOwnerSection, f.OwnerSection},
		{opendata.FormOwnerName, f.OwnerName},
		{opendata.FormOwnerPhone, f.OwnerPhone},
		{opendata.FormOwnerEmail, f.OwnerEmail},
	} {
		s.row(fieldLabel(r.field), r.value)
	}
}

func (s *sheet) dataset(f opendata.ApprovalForm) {
	s.section(3, fieldLabel("dataset"))
	s.row(fieldLabel(opendata.FormDatasetTitle), f.DatasetTitle)
	s.note(fieldLabel(opendata.FormTypeOfData), "B", black)
	for _, t := range opendata.TypesOfData {
		s.choice(f.TypeOfData == t, typeLabel(t))
	}
}

func (s *sheet) criteria(f opendata.ApprovalForm) {
	s.section(4, fieldLabel("criteria"))
	s.note(text("approval_pdf.confirmed_by"), "B", black)
	for _, c := range f.ReleaseCriteria() {
		s.choice(c.Confirmed, fieldLabel(c.Field))
	}
}

func (s *sheet) exceptions(f opendata.ApprovalForm) {
	s.section(5, fieldLabel("exceptions_group"))
	s.choice(f.SubjectToExceptions, fieldLabel(opendata.FormSubjectToExceptions))
	s.freeText(f.Exceptions)
}

func (s *sheet) blanket(f opendata.ApprovalForm) {
	s.section(6, fieldLabel("blanket"))
	s.note(text("approval_pdf.blanket_note"), "B", black)
	s.choice(f.BlanketOngoing, fieldLabel(opendata.FormBlanketOngoing))
	s.choice(f.BlanketCollection, fieldLabel(opendata.FormBlanketCollection))
	s.choice(f.BlanketInSitu, fieldLabel(opendata.FormBlanketInSitu))
	s.choice(f.BlanketOther, fieldLabel(opendata.FormBlanketOther))
	s.freeText(f.BlanketOtherText)
}

func (s *sheet) approval() {
	s.ensure(80) // the statement and the lines to sign stay on one page
	s.section(7, text("approval_pdf.section.approval"))
	s.note(text("approval_pdf.statement"), "", black)
	for _, key := range []string{"approval_pdf.sign.name", "approval_pdf.sign.title", "approval_pdf.sign.signature", "approval_pdf.sign.date"} {
		s.signatureLine(text(key))
	}
}
