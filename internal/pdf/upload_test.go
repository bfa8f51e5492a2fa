package pdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"io"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// protected renders a one-page PDF encrypted with the given passwords.
func protected(t *testing.T, user, owner string) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "Letter", "")
	p.SetProtection(fpdf.CnProtectPrint, user, owner)
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Cell(40, 10, "Signed")
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckUploadAcceptsTheRenderedForm(t *testing.T) {
	data := render(t, sampleData())
	for _, limit := range []int64{int64(len(data)), 10 << 20} {
		info, err := CheckUpload(bytes.NewReader(data), limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		sum := sha256.Sum256(data)
		want := Info{Size: int64(len(data)), Pages: info.Pages, SHA256: hex.EncodeToString(sum[:])}
		if !reflect.DeepEqual(info, want) || info.Pages < 1 {
			t.Errorf("limit %d: info = %+v, want %+v", limit, info, want)
		}
	}
}

func TestCheckUploadAcceptsAnOwnerPasswordOnly(t *testing.T) {
	info, err := CheckUpload(bytes.NewReader(protected(t, "", "owner-secret")), 1<<20)
	if err != nil {
		t.Fatalf("a PDF that opens without a password was refused: %v", err)
	}
	if !info.Encrypted || info.Pages != 1 {
		t.Errorf("info = %+v, want encrypted, 1 page", info)
	}
}

func TestCheckUploadRefuses(t *testing.T) {
	form := render(t, sampleData())
	for _, c := range []struct {
		name   string
		data   []byte
		reason string
	}{
		{"empty", nil, ReasonNotPDF},
		{"short", []byte("%PD"), ReasonNotPDF},
		{"png named .pdf", pngBytes(t), ReasonNotPDF},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), ReasonNotPDF},
		{"leading space", append([]byte(" "), form...), ReasonNotPDF},
		{"header only", []byte("%PDF-"), ReasonDamaged},
		{"text after the header", []byte("%PDF-1.7\nthis is a letter, not a PDF\n"), ReasonDamaged},
		{"truncated", form[:len(form)/2], ReasonDamaged},
		{"no page tree", bytes.ReplaceAll(form, []byte("/Kids"), []byte("/Kidz")), ReasonDamaged},
		{"user password", protected(t, "open-sesame", "owner"), ReasonEncrypted},
		{"too large", form, ReasonTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			limit := int64(1 << 20)
			if c.reason == ReasonTooLarge {
				limit = int64(len(c.data) - 1)
			}
			_, err := CheckUpload(bytes.NewReader(c.data), limit)
			t.Log(err)
			var ue *UploadError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want an *UploadError", err)
			}
			if ue.Reason != c.reason {
				t.Errorf("reason = %s (%v), want %s", ue.Reason, err, c.reason)
			}
			if !errors.Is(err, &UploadError{Reason: c.reason}) {
				t.Errorf("errors.Is does not match reason %s", c.reason)
			}
		})
	}
}

// endless is an upload that never ends; reading more than allowed fails the test.
type endless struct {
	t       *testing.T
	head    string
	read    int64
	allowed int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read+int64(len(p)) > e.allowed {
		e.t.Errorf("read up to byte %d, past the %d allowed", e.read+int64(len(p)), e.allowed)
		return 0, errors.New("read past the limit")
	}
	n := copy(p, e.head[min(e.read, int64(len(e.head))):])
	for i := n; i < len(p); i++ {
		p[i] = 'a'
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestCheckUploadStopsReadingAtTheLimit(t *testing.T) {
	const limit = 1 << 20
	_, err := CheckUpload(&endless{t: t, head: "%PDF-1.7\n", allowed: limit + 1}, limit)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	var ue *UploadError
	if errors.As(err, &ue) && ue.Limit != limit {
		t.Errorf("limit = %d, want %d", ue.Limit, limit)
	}
}

// However large the body says it is, the buffer holds at most limit+1 bytes.
func TestReadUploadBufferNeverPassesTheLimit(t *testing.T) {
	const limit = 1<<20 + 7
	for _, hint := range []int64{-1, 0, 100, limit, 4 << 30} {
		data, _, err := ReadUpload(&endless{t: t, head: "%PDF-1.7\n", allowed: limit + 1}, limit, hint)
		if !errors.Is(err, ErrTooLarge) || len(data) != limit+1 || cap(data) != limit+1 {
			t.Errorf("hint %d: %d bytes in a buffer of %d, %v; want %d in %[4]d, ErrTooLarge", hint, len(data), cap(data), err, limit+1)
		}
	}
}

func TestCheckUploadStopsAtAWrongHeader(t *testing.T) {
	_, err := CheckUpload(&endless{t: t, head: "\x89PNG\r\n", allowed: int64(len(pdfHeader))}, 1<<20)
	if !errors.Is(err, ErrNotPDF) {
		t.Fatalf("err = %v, want ErrNotPDF", err)
	}
}

func TestCheckUploadPassesOnReadErrors(t *testing.T) {
	broken := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("%PDF-1.7\n"), &failing{broken})
	_, err := CheckUpload(r, 1<<20)
	var ue *UploadError
	if !errors.Is(err, broken) || errors.As(err, &ue) {
		t.Errorf("err = %v, want the reader's error, not a refusal", err)
	}
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

func TestUploadErrorMessages(t *testing.T) {
	for err, want := range map[error]string{
		&UploadError{Reason: ReasonTooLarge, Limit: 10}:                  "signed approval: too_large (limit 10 bytes)",
		&UploadError{Reason: ReasonDamaged, Err: errors.New("no pages")}: "signed approval: damaged: no pages",
		ErrNotPDF: "signed approval: not_pdf",
	} {
		if got := err.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
	if errors.Is(ErrDamaged, ErrEncrypted) {
		t.Error("different reasons match")
	}
}

func BenchmarkCheckUpload(b *testing.B) {
	var buf bytes.Buffer
	if err := Render(&buf, sampleData()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := CheckUpload(bytes.NewReader(buf.Bytes()), 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// ReadUpload keeps the bytes it checked: the file as sent, and what it read of a refused one.
func TestReadUploadKeepsTheBytes(t *testing.T) {
	form := render(t, sampleData())
	data, info, err := ReadUpload(bytes.NewReader(form), 10<<20, 0)
	if err != nil || !bytes.Equal(data, form) || info.Size != int64(len(form)) {
		t.Fatalf("ReadUpload = %d bytes, %+v, %v", len(data), info, err)
	}
	if data, _, err := ReadUpload(bytes.NewReader(nil), 10<<20, 0); !errors.Is(err, ErrNotPDF) || len(data) != 0 {
		t.Fatalf("nothing sent: %q, %v", data, err)
	}
	if data, _, err := ReadUpload(bytes.NewReader([]byte("GIF89a")), 10<<20, 0); !errors.Is(err, ErrNotPDF) || string(data) != "GIF89" {
		t.Fatalf("not a PDF: %q, %v", data, err)
	}
}
