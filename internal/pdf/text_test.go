package pdf

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// TestFormPrintsTheCatalogueText: the signed form is the legal record, so every
// label, criterion and statement the catalogue holds for it is printed verbatim,
// in both languages, as poppler extracts it.
func TestFormPrintsTheCatalogueText(t *testing.T) {
	complete := sampleData()
	draft := sampleData()
	draft.Form.OfficialLanguages = false
	draft.FlowURL = ""
	data := render(t, complete)
	info, err := CheckUpload(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	printed := popplerText(t, data) + "\n" + popplerText(t, render(t, draft))

	keys := []string{"layout.government", "flow.project", "editor.field.title_translated_en",
		"editor.field.title_translated_fr", "editor.field.file_name", "editor.field.file_url", "editor.field.email_contact"}
	for _, name := range []string{"owner", "dataset", "criteria", "exceptions_group", "blanket",
		opendata.FormOwnerDepartment, opendata.FormOwnerSector, opendata.FormOwnerBranch, opendata.FormOwnerDivision,
		opendata.FormOwnerSection, opendata.FormOwnerName, opendata.FormOwnerPhone, opendata.FormOwnerEmail,
		opendata.FormDatasetTitle, opendata.FormTypeOfData, opendata.FormSubjectToExceptions,
		opendata.FormBlanketOngoing, opendata.FormBlanketCollection, opendata.FormBlanketInSitu, opendata.FormBlanketOther,
	} {
		keys = append(keys, "editor.approval."+name)
	}
	for _, c := range complete.Form.ReleaseCriteria() {
		keys = append(keys, "editor.approval."+c.Field)
	}
	for _, typ := range opendata.TypesOfData {
		keys = append(keys, "editor.approval.type."+typ)
	}
	for _, k := range i18n.Keys(i18n.EN) {
		if strings.HasPrefix(k, "approval_pdf.") {
			keys = append(keys, k)
		}
	}
	args := []string{"url", complete.FlowURL, "page", "1", "pages", strconv.Itoa(info.Pages)}
	flat := oneLine(printed)
	for _, k := range keys {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			if !i18n.Has(lang, k) {
				t.Errorf("%s: no %s text in the catalogue", k, lang)
				continue
			}
			if want := oneLine(i18n.T(lang, k, args...)); !strings.Contains(flat, want) {
				t.Errorf("%s: the form does not print the %s text %q", k, lang, want)
			}
		}
	}
}

// oneLine joins wrapped lines, so that a text can be found across line breaks.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
