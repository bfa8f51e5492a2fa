package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/pdf"
	"github.com/opendata-datahub/datahub/internal/pdf/pdftest"
)

// signedFormFor stands for the approval of submission id that its business
// owner signed: the approval form printed for that submission, signed
// digitally by Alice Tremblay, as a file in the test's folder. (The form the
// service generates is refused as unsigned byte for byte, and one naming
// another submission is refused too.)
func signedFormFor(t *testing.T, id string) (path string, data []byte) {
	t.Helper()
	var b bytes.Buffer
	err := pdf.Render(&b, pdf.FormData{ID: id, Project: "CFS",
		Fields: opendata.Fields{TitleEN: "Forest inventory", TitleFR: "Inventaire forestier", FileName: "inventory.csv"},
		Form: opendata.ApprovalForm{OwnerName: "Alice Tremblay", OwnerEmail: "alice@example.gc.ca",
			DatasetTitle: "Forest inventory", TypeOfData: opendata.TypeData, CopyrightCleared: true,
			AuthorityToRelease: true, NoPersonalInformation: true, NotClassifiedOrProtected: true, FreeOfCharge: true,
			MachineReadable: true, NonProprietaryFormat: true, OfficialLanguages: true},
		Generated: time.Date(2024, 6, 15, 14, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	data = pdftest.Sign(t, b.Bytes(), "Alice Tremblay", time.Date(2024, 6, 17, 13, 5, 0, 0, time.UTC))
	path = filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}
