package pdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Reasons an upload is refused. They never change: the UI keys its English
// and French messages on them.
const (
	ReasonTooLarge  = "too_large" // more than the size limit
	ReasonNotPDF    = "not_pdf"   // does not start with %PDF-
	ReasonDamaged   = "damaged"   // starts like a PDF but cannot be read, or has no page
	ReasonEncrypted = "encrypted" // needs a password to open
)

// UploadError says why an uploaded file is not an acceptable signed approval.
type UploadError struct {
	Reason string // one of the Reason constants
	Limit  int64  // the size limit in bytes, for ReasonTooLarge
	Err    error  // what the parser said, for the logs; may be nil
}

// The upload errors by reason, for errors.Is.
var (
	ErrTooLarge  = &UploadError{Reason: ReasonTooLarge}
	ErrNotPDF    = &UploadError{Reason: ReasonNotPDF}
	ErrDamaged   = &UploadError{Reason: ReasonDamaged}
	ErrEncrypted = &UploadError{Reason: ReasonEncrypted}
)

func (e *UploadError) Error() string {
	msg := "signed approval: " + e.Reason
	if e.Reason == ReasonTooLarge {
		msg += fmt.Sprintf(" (limit %d bytes)", e.Limit)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *UploadError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTooLarge) and the like match on the reason alone.
func (e *UploadError) Is(target error) bool {
	t, ok := target.(*UploadError)
	return ok && t.Reason == e.Reason
}

// Info describes an accepted upload.
type Info struct {
	Size      int64  // bytes
	Pages     int    // at least 1
	SHA256    string // lowercase hex of the bytes
	Encrypted bool   // encrypted, but with no password needed to open it
	// Signatures are the file's digital signatures, read but not verified (see Signature).
	Signatures []Signature
}

// pdfHeader starts every PDF file.
var pdfHeader = []byte("%PDF-")

// CheckUpload reads an uploaded signed approval and accepts it only if its
// content is a readable PDF of at least one page and at most limit bytes. It
// reads at most limit+1 bytes of r, and stops after five if they are not %PDF-.
// A refusal is an *UploadError; any other error is r's own. ReadUpload is the
// same, keeping the bytes.
func CheckUpload(r io.Reader, limit int64) (Info, error) {
	_, info, err := ReadUpload(r, limit, 0)
	return info, err
}

// ReadUpload is CheckUpload that also returns the bytes it read, so that
// the caller keeps the file without a second copy. On an error they are what
// was read before it: nil when r held nothing. sizeHint is how many bytes r
// is expected to hold (0 when unknown): the buffer starts at that size, at
// most 1 MiB (a client's word is not worth more before its bytes arrive),
// and grows as they do, never past limit+1, so a body much larger than the
// limit costs one buffer of the limit's size and the smaller ones before it.
func ReadUpload(r io.Reader, limit, sizeHint int64) ([]byte, Info, error) {
	if limit < int64(len(pdfHeader)) {
		return nil, Info{}, fmt.Errorf("check upload: size limit %d is too small for a PDF", limit)
	}
	head := make([]byte, len(pdfHeader))
	n, err := io.ReadFull(r, head)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return head[:n:n], Info{}, &UploadError{Reason: ReasonNotPDF, Err: fmt.Errorf("only %d bytes", n)}
	case err != nil:
		return head[:n:n], Info{}, fmt.Errorf("check upload: %w", err)
	case !bytes.Equal(head, pdfHeader):
		return head, Info{}, &UploadError{Reason: ReasonNotPDF}
	}
	data, err := readAtMost(r, head, limit+1, sizeHint)
	if err != nil {
		return data, Info{}, fmt.Errorf("check upload: %w", err)
	}
	if int64(len(data)) > limit {
		return data, Info{}, &UploadError{Reason: ReasonTooLarge, Limit: limit}
	}
	info, err := readPDF(data)
	if err != nil {
		return data, Info{}, err
	}
	sum := sha256.Sum256(data)
	info.Size, info.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
	return data, info, nil
}

// readAtMost appends r to head until r ends or most bytes are held, in a
// buffer that starts at sizeHint (64 KiB when unknown, 1 MiB at most) and
// doubles, never past most.
func readAtMost(r io.Reader, head []byte, most, sizeHint int64) ([]byte, error) {
	size := int64(64 << 10)
	if sizeHint > 0 {
		size = min(sizeHint, 1<<20)
	}
	size = min(max(size, int64(len(head))), most)
	data := append(make([]byte, 0, size), head...)
	for int64(len(data)) < most {
		if len(data) == cap(data) {
			data = append(make([]byte, 0, min(2*int64(cap(data)), most)), data...)
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		} else if err != nil {
			return data, err
		}
	}
	return data, nil
}

// readPDF parses and validates data with pdfcpu, counts its pages and reads its signatures.
func readPDF(data []byte) (info Info, err error) {
	defer func() {
		// The file is the client's: a parser bug on it must refuse the file, not stop the service.
		if p := recover(); p != nil {
			info, err = Info{}, &UploadError{Reason: ReasonDamaged, Err: fmt.Errorf("parser panic: %v", p)}
		}
	}()
	ctx, err := api.ReadContext(bytes.NewReader(data), readConfig(int64(len(data))))
	if err != nil {
		if errors.Is(err, pdfcpu.ErrWrongPassword) || errors.Is(err, pdfcpu.ErrUnsupportedEncryptionFeature) {
			return Info{}, &UploadError{Reason: ReasonEncrypted, Err: err}
		}
		return Info{}, &UploadError{Reason: ReasonDamaged, Err: err}
	}
	if err := api.ValidateContext(ctx); err != nil {
		return Info{}, &UploadError{Reason: ReasonDamaged, Err: err}
	}
	if ctx.PageCount < 1 {
		return Info{}, &UploadError{Reason: ReasonDamaged, Err: errors.New("no pages")}
	}
	return Info{Pages: ctx.PageCount, Encrypted: ctx.Encrypt != nil, Signatures: signatures(ctx, data)}, nil
}

// readConfig is pdfcpu's relaxed validation, built here rather than by
// model.NewDefaultConfiguration, which creates a configuration folder in the
// user's home. Streams are limited to what a signed form of size bytes can hold.
func readConfig(size int64) *model.Configuration {
	limits := model.DefaultResourceLimits()
	limits.MaxStreamBytes = size
	limits.MaxDecodeBytes = min(limits.MaxDecodeBytes, max(64<<20, 8*size))
	return &model.Configuration{
		Cmd:            model.VALIDATE,
		ValidationMode: model.ValidationRelaxed,
		Reader15:       true,
		Offline:        true,
		Eol:            types.EolLF,
		Limits:         limits,
	}
}
