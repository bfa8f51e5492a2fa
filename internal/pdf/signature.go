package pdf

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Signature is a digital signature found in an uploaded PDF. It is read, not
// verified: nothing here checks the signature against the bytes, the
// certificate against a trust list or its revocation (which would mean calling
// the addresses the file names). It tells the approver whether to look for a
// handwritten signature instead.
type Signature struct {
	Signer   string    // the signing certificate's common name, else the signature's /Name; "" if neither
	SignedAt time.Time // the signature's /M entry; zero if absent or unreadable
	Problem  string    // SignatureUnreadable when its PKCS#7 data could not be read; "" otherwise
}

// SignatureUnreadable is Signature.Problem for a signature field whose
// signature data is missing or is not PKCS#7.
const SignatureUnreadable = "unreadable"

// maxSignatures bounds the signatures read from one file: a form carries one or two.
const maxSignatures = 16

// signatures lists the signed signature fields pdfcpu found while validating
// ctx, oldest revision first; document timestamps, which no person signs, are left out.
func signatures(ctx *model.Context) []Signature {
	revisions := make([]int, 0, len(ctx.Signatures))
	for r := range ctx.Signatures {
		revisions = append(revisions, r)
	}
	slices.Sort(revisions)
	slices.Reverse(revisions) // pdfcpu numbers the newest revision 0
	var out []Signature
	for _, r := range revisions {
		fields := make([]int, 0, len(ctx.Signatures[r]))
		for obj, sig := range ctx.Signatures[r] {
			if sig.Type != model.SigTypeDTS {
				fields = append(fields, obj)
			}
		}
		slices.Sort(fields)
		for _, obj := range fields {
			if len(out) == maxSignatures {
				return out
			}
			if s, ok := readSignature(ctx, obj); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// readSignature reads the signature field object obj; ok is false when the
// field holds no signature (a form's empty signature box).
func readSignature(ctx *model.Context, obj int) (Signature, bool) {
	field, err := ctx.DereferenceDict(*types.NewIndirectRef(obj, 0))
	if err != nil || field == nil {
		return Signature{}, false
	}
	ref := field.IndirectRefEntry("V")
	if ref == nil {
		return Signature{}, false
	}
	dict, err := ctx.DereferenceDict(*ref)
	if err != nil || dict == nil {
		return Signature{Problem: SignatureUnreadable}, true
	}
	var s Signature
	if m, ok := dict.Find("M"); ok {
		if v, err := ctx.DereferenceStringOrHexLiteral(m, model.V10, nil); err == nil {
			if t, ok := types.DateTime(v, true); ok {
				s.SignedAt = t.UTC()
			}
		}
	}
	if p7, err := signedData(ctx, dict); err != nil {
		s.Problem = SignatureUnreadable
	} else {
		s.Signer = signerName(p7)
	}
	if s.Signer == "" {
		if n, ok := dict.Find("Name"); ok {
			if v, err := ctx.DereferenceStringOrHexLiteral(n, model.V10, nil); err == nil {
				s.Signer = cleanName(v)
			}
		}
	}
	return s, true
}

// signedData parses the signature's /Contents as PKCS#7 signed data.
func signedData(ctx *model.Context, dict types.Dict) (*pkcs7.PKCS7, error) {
	o, err := ctx.Dereference(dict["Contents"])
	if err != nil {
		return nil, err
	}
	var raw []byte
	switch v := o.(type) {
	case types.HexLiteral:
		raw, err = v.Bytes()
	case types.StringLiteral:
		raw, err = types.Unescape(v.Value())
	default:
		return nil, errors.New("signature: no /Contents")
	}
	if err != nil {
		return nil, err
	}
	return pkcs7.Parse(raw)
}

// signerName is the common name of the certificate of the first signer; ""
// when the data names no one.
func signerName(p7 *pkcs7.PKCS7) string {
	if len(p7.Signers) == 0 {
		return ""
	}
	serial := p7.Signers[0].IssuerAndSerialNumber.SerialNumber
	for _, c := range p7.Certificates {
		if serial != nil && c.SerialNumber != nil && c.SerialNumber.Cmp(serial) == 0 {
			return cleanName(c.Subject.CommonName)
		}
	}
	return ""
}

// cleanName keeps a name from the file fit to show on one line of a page.
func cleanName(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == ' ' || r == '\u00a0'
	}), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
