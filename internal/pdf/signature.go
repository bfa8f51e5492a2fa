package pdf

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Signature is a digital signature found in an uploaded PDF. Its PKCS#7 data
// is checked against the bytes of the file it says it covers, so a file
// changed after it was signed is told apart; the certificate is not checked
// against a trust list or for revocation (which would mean calling the
// addresses the file names). It tells the approver whether to look for a
// handwritten signature instead.
type Signature struct {
	Signer   string    // the signing certificate's common name, else the signature's /Name; "" if neither
	SignedAt time.Time // the signature's /M entry; zero if absent or unreadable
	Problem  string    // SignatureUnreadable or SignatureMismatch; "" when it matches the file
}

// Signature.Problem codes; they never change: the pages key their texts on them.
const (
	// SignatureUnreadable: the signature data is missing, not PKCS#7, or holds no signer's certificate.
	SignatureUnreadable = "unreadable"
	// SignatureMismatch: the signature does not match the bytes it covers: the file changed after signing.
	SignatureMismatch = "mismatch"
)

// maxSignatures bounds the signatures read from one file: a form carries one or two.
const maxSignatures = 16

// signatures lists the signed signature fields pdfcpu found while validating
// ctx, oldest revision first; document timestamps, which no person signs, are left out.
func signatures(ctx *model.Context, data []byte) []Signature {
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
			if s, ok := readSignature(ctx, obj, data); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// readSignature reads the signature field object obj; ok is false when the
// field holds no signature (a form's empty signature box).
func readSignature(ctx *model.Context, obj int, data []byte) (Signature, bool) {
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
	s.Signer, s.Problem = checkSigned(ctx, dict, data)
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

// checkSigned reads the signature's PKCS#7 data and checks it against the
// bytes of data its /ByteRange names; it returns the signer certificate's
// common name and a Signature.Problem code.
func checkSigned(ctx *model.Context, dict types.Dict, data []byte) (signer, problem string) {
	p7, err := signedData(ctx, dict)
	if err != nil || len(p7.Signers) == 0 {
		return "", SignatureUnreadable
	}
	info := p7.Signers[0]
	cert, err := pkcs7.GetCertFromCertsByIssuerAndSerial(p7.Certificates, info.IssuerAndSerialNumber)
	if err != nil || cert == nil {
		return "", SignatureUnreadable
	}
	signer = cleanName(cert.Subject.CommonName)
	covered, err := byteRange(ctx, dict, data)
	if err != nil {
		return signer, SignatureMismatch
	}
	if err := pkcs7.CheckSignatureWithContentType(cert, info, covered, p7.ContentType); err != nil {
		return signer, SignatureMismatch
	}
	return signer, ""
}

// byteRange joins the parts of data the signature's /ByteRange [offset
// length …] names: in order, not overlapping, within the file.
func byteRange(ctx *model.Context, dict types.Dict, data []byte) ([]byte, error) {
	o, err := ctx.Dereference(dict["ByteRange"])
	if err != nil {
		return nil, err
	}
	arr, ok := o.(types.Array)
	if !ok || len(arr) == 0 || len(arr)%2 != 0 || len(arr) > 8 {
		return nil, errors.New("signature: malformed /ByteRange")
	}
	var b bytes.Buffer
	end := int64(0)
	for i := 0; i < len(arr); i += 2 {
		off, ok1 := arr[i].(types.Integer)
		n, ok2 := arr[i+1].(types.Integer)
		if !ok1 || !ok2 || int64(off) < end || n < 0 || int64(off)+int64(n) > int64(len(data)) {
			return nil, errors.New("signature: /ByteRange outside the file or out of order")
		}
		b.Write(data[off : int64(off)+int64(n)])
		end = int64(off) + int64(n)
	}
	return b.Bytes(), nil
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
