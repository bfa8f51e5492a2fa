package pdf

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/pdf/pdftest"
)

func TestSignaturesRead(t *testing.T) {
	form := render(t, sampleData())
	at := time.Date(2026, 12, 3, 15, 4, 5, 0, time.UTC)
	signed := pdftest.Sign(t, form, "Jeanne Tremblay", at)
	twice := pdftest.Sign(t, signed, "Marc Gagnon", at.Add(time.Hour))
	// The same signature whose data is not PKCS#7: a field is there, but nothing says who signed.
	broken := bytes.Clone(signed)
	i := bytes.LastIndex(broken, []byte("/Contents <")) + len("/Contents <")
	copy(broken[i:], "0badc0de")
	// The signed file changed afterwards: one byte of what the signature covers (the header's version).
	changed := bytes.Clone(signed)
	changed[len("%PDF-1.")]++

	for _, c := range []struct {
		name string
		data []byte
		want []Signature
	}{
		{"unsigned", form, nil},
		{"signed", signed, []Signature{{Signer: "Jeanne Tremblay", SignedAt: at}}},
		{"signed twice", twice, []Signature{{Signer: "Jeanne Tremblay", SignedAt: at}, {Signer: "Marc Gagnon", SignedAt: at.Add(time.Hour)}}},
		{"unreadable signature data", broken, []Signature{{Signer: "Jeanne Tremblay", SignedAt: at, Problem: SignatureUnreadable}}},
		{"changed after signing", changed, []Signature{{Signer: "Jeanne Tremblay", SignedAt: at, Problem: SignatureMismatch}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := CheckUpload(bytes.NewReader(c.data), 10<<20)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Signatures) != len(c.want) {
				t.Fatalf("signatures %+v, want %+v", info.Signatures, c.want)
			}
			for i, s := range info.Signatures {
				if s.Signer != c.want[i].Signer || !s.SignedAt.Equal(c.want[i].SignedAt) || s.Problem != c.want[i].Problem {
					t.Errorf("signature %d: %+v, want %+v", i, s, c.want[i])
				}
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"  Jeanne\tTremblay\n":   "Jeanne Tremblay",
		"A\x00B\x7fC":            "A B C",
		strings.Repeat("é", 300): strings.Repeat("é", 200) + "…",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A signed file damaged anywhere is refused or read with a problem, never a
// panic: its signature's bytes are the client's.
func TestSignaturesOfDamagedFiles(t *testing.T) {
	signed := pdftest.Sign(t, render(t, sampleData()), "Jeanne Tremblay", time.Now())
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		damaged := bytes.Clone(signed)
		for range 1 + rnd.IntN(4) {
			damaged[rnd.IntN(len(damaged))] = byte(rnd.IntN(256))
		}
		info, err := CheckUpload(bytes.NewReader(damaged), 10<<20)
		if err != nil {
			continue
		}
		for _, s := range info.Signatures {
			if s.Problem != "" && s.Problem != SignatureUnreadable && s.Problem != SignatureMismatch {
				t.Fatalf("problem %q is not a code", s.Problem)
			}
		}
	}
}
