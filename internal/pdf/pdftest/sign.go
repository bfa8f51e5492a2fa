// Package pdftest makes PDFs for tests of what the service reads in uploads.
package pdftest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/pkcs7"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// contentsSize is the room kept for the PKCS#7 data, in bytes (hex doubles it).
const contentsSize = 8192

// Sign returns doc with a digital signature appended as an incremental
// update, the way a PDF reader signs a form: a signature field whose PKCS#7
// detached signature covers the file, made with a new self-signed
// certificate whose common name is signer, dated at. doc must be a PDF with
// a classic cross-reference table, as the service's own forms are.
func Sign(t testing.TB, doc []byte, signer string, at time.Time) []byte {
	t.Helper()
	cert, key := certificate(t, signer, at)
	out := appendSignatureField(t, doc, signer, at)
	// The signature covers every byte but the hex string that will hold it.
	start := bytes.LastIndex(out, []byte("/Contents <")) + len("/Contents ")
	end := start + 2 + 2*contentsSize
	byteRange := fmt.Sprintf("[0 %010d %010d %010d]", start, end, len(out)-end)
	placeholder := []byte("[0 0000000000 0000000000 0000000000]")
	i := bytes.LastIndex(out, placeholder)
	if i < 0 || len(byteRange) != len(placeholder) {
		t.Fatalf("pdftest: no room for the byte range")
	}
	copy(out[i:], byteRange)
	h := sha256.New()
	h.Write(out[:start])
	h.Write(out[end:])
	sd, err := pkcs7.NewSignedData()
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.AddSigner(cert, key, h.Sum(nil), pkcs7.OIDDigestAlgorithmSHA256, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(der) > contentsSize {
		t.Fatalf("pdftest: signature of %d bytes does not fit", len(der))
	}
	copy(out[start+1:], hex.EncodeToString(der))
	return out
}

// certificate is a self-signed signing certificate for name.
func certificate(t testing.TB, name string, at time.Time) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(at.UnixNano()),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Government of Canada"}},
		NotBefore:    at.Add(-time.Hour), NotAfter: at.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

var startXRef = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)

// appendSignatureField appends to doc a revision that adds a signature
// field to the catalogue's form, its signature data left as zeros.
func appendSignatureField(t testing.TB, doc []byte, signer string, at time.Time) []byte {
	t.Helper()
	// A configuration of its own: the default one creates a folder in the home directory.
	conf := &model.Configuration{Cmd: model.VALIDATE, ValidationMode: model.ValidationRelaxed, Reader15: true,
		Offline: true, Eol: types.EolLF, Limits: model.DefaultResourceLimits()}
	ctx, err := api.ReadContext(bytes.NewReader(doc), conf)
	if err != nil {
		t.Fatalf("pdftest: read: %v", err)
	}
	m := startXRef.FindSubmatch(doc)
	if m == nil {
		t.Fatal("pdftest: no startxref")
	}
	prev, _ := strconv.Atoi(string(m[1]))
	root := ctx.Root.ObjectNumber.Value()
	catalog, err := ctx.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	pageRef, err := ctx.PageDictIndRef(1)
	if err != nil {
		t.Fatal(err)
	}
	sigObj, fieldObj := *ctx.Size, *ctx.Size+1
	fields := []string{} // the form's fields so far: a second signature keeps the first
	if o, ok := catalog.Find("AcroForm"); ok {
		if form, err := ctx.DereferenceDict(o); err == nil && form != nil {
			for _, f := range form.ArrayEntry("Fields") {
				fields = append(fields, f.PDFString())
			}
		}
	}
	fields = append(fields, fmt.Sprintf("%d 0 R", fieldObj))
	delete(catalog, "AcroForm")

	var b bytes.Buffer
	b.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		b.WriteByte('\n')
	}
	offsets := map[int]int{}
	obj := func(n int, body string) {
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	obj(sigObj, fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (%s) /M (D:%s) "+
		"/ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> >>",
		signer, at.UTC().Format("20060102150405")+"Z", bytes.Repeat([]byte("0"), 2*contentsSize)))
	obj(fieldObj, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Approval) /V %d 0 R /Rect [0 0 0 0] /F 132 /P %d 0 R >>",
		sigObj, pageRef.ObjectNumber.Value()))
	obj(root, catalogWithForm(catalog.PDFString(), fields))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n%d 2\n%010d 00000 n \n%010d 00000 n \n",
		root, offsets[root], sigObj, offsets[sigObj], offsets[fieldObj])
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", fieldObj+1, root, prev, xref)
	return b.Bytes()
}

// catalogWithForm adds an interactive form holding fields to the serialized catalogue.
func catalogWithForm(catalog string, fields []string) string {
	i := strings.LastIndex(catalog, ">>")
	return catalog[:i] + "/AcroForm << /Fields [" + strings.Join(fields, " ") + "] /SigFlags 3 >> >>"
}
