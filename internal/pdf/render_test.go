package pdf

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

func TestRenderIsAReadableBilingualPDF(t *testing.T) {
	d := sampleData()
	if !d.Form.Complete() {
		t.Fatalf("sample form incomplete: %+v", d.Form.Validate())
	}
	data := render(t, d)
	info, err := CheckUpload(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatalf("CheckUpload of the rendered form: %v", err)
	}
	if info.Pages < 2 {
		t.Errorf("pages = %d, want the whole form on 2 or more", info.Pages)
	}
	draft := text("approval_pdf.draft")
	text := pdfText(t, data)
	for _, want := range []string{
		"Government of Canada", "Gouvernement du Canada",
		"Open data release approval", "Approbation de publication de données ouvertes",
		d.ID, "Inventaire forestier du Québec", "inventaire_forêts.csv", d.Fields.FileURL,
		"Françoise Lefèvre-Gagné", "« Données ouvertes »", "Critères de publication obligatoires",
		"Mises à jour de ce jeu de données faites de façon continue",
		"Page 1 of " + strconv.Itoa(info.Pages) + " / Page 1 de " + strconv.Itoa(info.Pages),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(text, draft.en) {
		t.Error("a complete form is marked as a draft")
	}
}

// TestRenderTextForViewers checks the characters that the Go reader of
// pdfText decodes wrongly (beyond U+00FF: ’ –) with poppler, as viewers see them.
func TestRenderTextForViewers(t *testing.T) {
	out := popplerText(t, render(t, sampleData()))
	for _, want := range []string{"Division de l’inventaire", "J’approuve", "« Licence du gouvernement ouvert – Canada »"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdftotext output lacks %q", want)
		}
	}
}

func TestRenderMarksAnIncompleteFormAsDraft(t *testing.T) {
	d := sampleData()
	d.Form.OfficialLanguages = false
	draft := text("approval_pdf.draft")
	text := pdfText(t, render(t, d))
	if !strings.Contains(text, draft.en) || !strings.Contains(text, "Ne pas signer.") {
		t.Error("an incomplete form is not marked as a draft")
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a, b := render(t, sampleData()), render(t, sampleData())
	if !bytes.Equal(a, b) {
		t.Error("two renderings of the same data differ")
	}
}

// TestRenderHostileText: markup is printed as it is, text longer than a page
// flows onto more pages, and characters no font can draw are dropped or replaced.
func TestRenderHostileText(t *testing.T) {
	long := strings.Repeat("Ceci_est_un_mot_très_long_sans_espace_", opendata.MaxFormText/38)
	d := sampleData()
	d.ID = "<script>alert('id')</script>"
	d.Fields.TitleEN = `<script>alert("x")</script> ` + strings.Repeat("Forêt ", opendata.MaxTitle/6)
	d.Fields.FileURL = "https://example.gc.ca/" + strings.Repeat("a", opendata.MaxURL)
	d.Form.OwnerName = "Zoë\x00\x1b[31m \u202eevil\u202c 😀 \uE000 \xff"
	d.Form.Exceptions = long
	d.Form.BlanketOther = true
	d.Form.BlanketOtherText = strings.Repeat("ligne\n", 400)
	d.FlowURL = ""
	data := render(t, d)
	info, err := CheckUpload(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatalf("CheckUpload: %v", err)
	}
	if info.Pages < 5 {
		t.Errorf("pages = %d: 400 lines of text should flow over several pages", info.Pages)
	}
	text := pdfText(t, data)
	flat := squeeze(text)
	for _, want := range []string{d.ID, `<script>alert("x")</script>`, squeeze(long), squeeze(d.Fields.FileURL), "Zoë[31mevil"} {
		if !strings.Contains(flat, squeeze(want)) {
			t.Errorf("text lacks %.60q", want)
		}
	}
	if n := strings.Count(text, "ligne"); n != 400 {
		t.Errorf("%d of 400 lines of other blanket approval printed", n)
	}
}

// TestWrapKeepsLinesInsideTheColumn: nothing runs past the margin, nothing is lost.
func TestWrapKeepsLinesInsideTheColumn(t *testing.T) {
	s := newSheet()
	for _, text := range []string{
		strings.Repeat("x", 500),
		strings.Repeat("Forêt boréale ", 60),
		"https://example.gc.ca/" + strings.Repeat("données/", 30),
	} {
		width := s.width - labelWidth
		p := s.wrap("", 10, black, text, width)
		if len(p.lines) < 2 {
			t.Errorf("%.20q… not wrapped", text)
		}
		for _, line := range p.lines {
			if w := s.p.GetStringWidth(line); w > width+0.01 {
				t.Errorf("line %.20q… is %.1f mm wide, column %.1f", line, w, width)
			}
		}
		if got := strings.Join(p.lines, ""); squeeze(got) != squeeze(text) {
			t.Errorf("wrapped text differs: %d runes, want %d", utf8.RuneCountInString(got), utf8.RuneCountInString(text))
		}
	}
}

func TestClean(t *testing.T) {
	for _, c := range []struct {
		in        string
		multiline bool
		want      string
	}{
		{"  Forêt  ", false, "Forêt"},
		{"a\r\nb\rc\nd", false, "a b c d"},
		{"a\r\nb\rc", true, "a\nb\nc"},
		{"a\n\n\n\n\nb", true, "a\n\nb"},
		{"a\tb", false, "a b"},
		{"a\x00b\x1bc\u200bd\u202ee\uE000f", false, "abcdef"},
		{"😀", false, "\uFFFD"},
		{"a\xffb", false, "a\uFFFDb"},
		{"« l’été »", false, "« l’été »"},
	} {
		if got := clean(c.in, c.multiline); got != c.want {
			t.Errorf("clean(%q, %t) = %q, want %q", c.in, c.multiline, got, c.want)
		}
	}
}

// TestSample keeps testdata/sample.pdf, the form a reviewer can open, up to date.
func TestSample(t *testing.T) {
	data := render(t, sampleData())
	if len(data) > 100<<10 {
		t.Fatalf("sample is %d bytes, more than 100 KB", len(data))
	}
	old, err := os.ReadFile("testdata/sample.pdf")
	if err == nil && bytes.Equal(old, data) {
		return
	}
	if os.Getenv("UPDATE_SAMPLE") == "" {
		t.Fatalf("testdata/sample.pdf is missing or out of date (%v); run with UPDATE_SAMPLE=1", err)
	}
	if err := os.WriteFile("testdata/sample.pdf", data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkRender(b *testing.B) {
	d := sampleData()
	for b.Loop() {
		if err := Render(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
