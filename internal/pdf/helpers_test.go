package pdf

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	readpdf "github.com/ledongthuc/pdf"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// sampleData is a complete approval form, in French where it can be, to show accents.
func sampleData() FormData {
	return FormData{
		ID:      "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		Project: "inventaire-forestier",
		Fields: opendata.Fields{
			TitleEN:      "Forest inventory of Québec",
			TitleFR:      "Inventaire forestier du Québec",
			FileName:     "inventaire_forêts.csv",
			FileURL:      "https://example.gc.ca/donnees/inventaire_forets.csv",
			EmailContact: "jean.tremblay@example.gc.ca",
		},
		Form: opendata.ApprovalForm{
			OwnerDepartment: "Ressources naturelles Canada",
			OwnerSector:     "Service canadien des forêts",
			OwnerBranch:     "Direction générale de l’économie forestière",
			OwnerDivision:   "Division de l’inventaire",
			OwnerSection:    "Section « Données ouvertes »",
			OwnerName:       "Françoise Lefèvre-Gagné",
			OwnerPhone:      "613-555-0199",
			OwnerEmail:      "francoise.lefevre@example.gc.ca",
			DatasetTitle:    "Inventaire forestier du Québec",
			TypeOfData:      opendata.TypeData,

			CopyrightCleared: true, AuthorityToRelease: true, NoPersonalInformation: true,
			NotClassifiedOrProtected: true, FreeOfCharge: true, MachineReadable: true,
			NonProprietaryFormat: true, OfficialLanguages: true,

			SubjectToExceptions: true,
			Exceptions:          "Les placettes situées à moins de 1 km d’une réserve sont exclues.",
			BlanketOngoing:      true,
		},
		FlowURL:   "https://datahub.example.gc.ca/flow/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		Generated: time.Date(2024, 6, 15, 14, 30, 0, 0, time.UTC),
	}
}

// render renders d, failing the test on error.
func render(t testing.TB, d FormData) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, d); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.Bytes()
}

// pdfText extracts the text of a PDF with a reader other than the one
// CheckUpload uses, through the fonts' ToUnicode maps as a viewer's search would.
func pdfText(t testing.TB, data []byte) string {
	t.Helper()
	r, err := readpdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("read PDF: %v", err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("extract text: %v", err)
	}
	b, err := io.ReadAll(plain)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// popplerText extracts a PDF's text with pdftotext, which decodes every
// character the form uses (’ – « ») as viewers show them.
func popplerText(t testing.TB, data []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	cmd := exec.Command("pdftotext", "-", "-")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// squeeze drops all white space, so that wrapped text can be found whole.
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}
