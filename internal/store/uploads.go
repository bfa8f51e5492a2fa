package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opendata-datahub/datahub/internal/atomicfile"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// SignedApproval describes the signed approval PDF stored for a submission.
type SignedApproval struct {
	SHA256     string // hex, of the file's bytes; names the stored file
	Size       int64
	Pages      int
	FileName   string // the uploader's name for it, cleaned
	UploadedBy string
	UploadedAt time.Time
	// Signatures are the file's digital signatures as read at upload (checked
	// against the file, not a trust list); nil when stored before they were read.
	Signatures []DigitalSignature
}

// DigitalSignature is one digital signature read in a signed approval.
type DigitalSignature struct {
	Signer   string     `json:"signer,omitempty"`    // the name on the signing certificate, or the signature's own
	SignedAt *time.Time `json:"signed_at,omitempty"` // as the file says
	Problem  string     `json:"problem,omitempty"`   // pdf.SignatureUnreadable or pdf.SignatureMismatch; "" when it matches the file
}

// maxFileName bounds a stored file name, in bytes.
const maxFileName = 255

// SaveSignedApproval stores pdf, which the caller has checked, as the
// submission's signed approval while the submission is with its contact
// (ENOTFOUND, ECONFLICT otherwise). The bytes go to
// DATA/uploads/<id>/<sha256>.pdf, whole or not at all, before the row that
// names them commits. meta.SHA256 and meta.Size are computed when empty and
// must match the bytes otherwise (EINVALID); a zero UploadedAt is now.
// Files replaced by a later upload are kept, as the record of what was signed.
func (db *DB) SaveSignedApproval(ctx context.Context, id string, meta SignedApproval, pdf []byte) error {
	sum := sha256.Sum256(pdf)
	switch hexSum := hex.EncodeToString(sum[:]); {
	case meta.SHA256 == "":
		meta.SHA256 = hexSum
	case !strings.EqualFold(meta.SHA256, hexSum):
		return opendata.Errorf(opendata.EINVALID, "save signed approval: the SHA-256 does not match the file")
	default:
		meta.SHA256 = hexSum
	}
	switch {
	case meta.Size == 0:
		meta.Size = int64(len(pdf))
	case meta.Size != int64(len(pdf)):
		return opendata.Errorf(opendata.EINVALID, "save signed approval: the size does not match the file")
	}
	if len(pdf) == 0 {
		return opendata.Errorf(opendata.EINVALID, "save signed approval: the file is empty")
	}
	if meta.UploadedAt.IsZero() {
		meta.UploadedAt = db.now()
	}
	meta.FileName = cleanFileName(meta.FileName)
	sigs := []DigitalSignature{}
	if meta.Signatures != nil {
		sigs = meta.Signatures
	}
	sigJSON, err := json.Marshal(sigs)
	if err != nil {
		return fmt.Errorf("save signed approval: %w", err)
	}
	path, err := db.uploadPath(id, meta.SHA256)
	if err != nil {
		return fmt.Errorf("save signed approval: %w", err)
	}
	// Refuse early, so that a refused upload leaves no file behind; the
	// transaction checks again under its lock.
	if err := db.checkEditable(ctx, id); err != nil {
		return fmt.Errorf("save signed approval: %w", err)
	}
	if err := atomicfile.Write(path, bytes.NewReader(pdf)); err != nil {
		return fmt.Errorf("save signed approval: %w", err)
	}
	err = db.update(ctx, func(tx *Tx) error {
		if _, err := lockEditable(tx, id); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO signed_approvals (submission_id, sha256, size, pages, file_name, uploaded_at, uploaded_by, signatures)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (submission_id) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, pages = excluded.pages,
				file_name = excluded.file_name, uploaded_at = excluded.uploaded_at, uploaded_by = excluded.uploaded_by,
				signatures = excluded.signatures`,
			id, meta.SHA256, meta.Size, meta.Pages, meta.FileName, micros(meta.UploadedAt), meta.UploadedBy, string(sigJSON))
		return err
	})
	if err != nil {
		return fmt.Errorf("save signed approval: %w", err)
	}
	return nil
}

// checkEditable is lockEditable outside a transaction, for a quick refusal.
func (db *DB) checkEditable(ctx context.Context, id string) error {
	var state string
	err := db.queryRow(ctx, `SELECT state FROM submissions WHERE id = $1`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return opendata.Errorf(opendata.ENOTFOUND, "no submission %s", id)
	} else if err != nil {
		return err
	}
	return opendata.State(state).CheckEditable()
}

// SignedApproval returns what is stored about the submission's signed
// approval; ENOTFOUND when none was uploaded.
func (db *DB) SignedApproval(ctx context.Context, id string) (*SignedApproval, error) {
	var a SignedApproval
	var at int64
	var sigs sql.NullString
	err := db.queryRow(ctx, `SELECT sha256, size, pages, file_name, uploaded_at, uploaded_by, signatures FROM signed_approvals
		WHERE submission_id = $1`, id).Scan(&a.SHA256, &a.Size, &a.Pages, &a.FileName, &at, &a.UploadedBy, &sigs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no signed approval for submission %s", id)
	} else if err != nil {
		return nil, fmt.Errorf("get signed approval: %w", err)
	}
	a.UploadedAt = fromMicros(at)
	if sigs.Valid {
		a.Signatures = []DigitalSignature{}
		if err := json.Unmarshal([]byte(sigs.String), &a.Signatures); err != nil {
			return nil, fmt.Errorf("get signed approval %s: signatures: %w", id, err)
		}
	}
	return &a, nil
}

// OpenSignedApproval opens the submission's current signed approval PDF for
// reading; the caller closes it. ENOTFOUND when none was uploaded.
func (db *DB) OpenSignedApproval(ctx context.Context, id string) (*os.File, *SignedApproval, error) {
	a, err := db.SignedApproval(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	path, err := db.uploadPath(id, a.SHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("open signed approval: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open signed approval: %w", err)
	}
	return f, a, nil
}

// RecordOpened records that email opened the signed approval whose hash is
// sha256, the one it was served. ENOTFOUND when the submission has no signed
// approval; ECONFLICT when another was uploaded since.
func (db *DB) RecordOpened(ctx context.Context, id, email, sha256 string) error {
	email = opendata.NormEmail(email)
	if email == "" {
		return opendata.Errorf(opendata.EINVALID, "record opened: no email")
	}
	err := db.update(ctx, func(tx *Tx) error {
		var cur string
		err := tx.QueryRow(`SELECT sha256 FROM signed_approvals WHERE submission_id = $1`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return opendata.Errorf(opendata.ENOTFOUND, "no signed approval for submission %s", id)
		} else if err != nil {
			return err
		}
		if !strings.EqualFold(cur, sha256) {
			return opendata.Errorf(opendata.ECONFLICT, "the signed approval changed meanwhile; reload the page")
		}
		_, err = tx.Exec(`INSERT INTO document_opens (submission_id, email, sha256, opened_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (submission_id, email, sha256) DO NOTHING`, id, email, cur, micros(db.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("record opened: %w", err)
	}
	return nil
}

// Opened reports whether email has opened the signed approval whose hash is
// sha256; a new upload must be opened again.
func (db *DB) Opened(ctx context.Context, id, email, sha256 string) (bool, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM document_opens WHERE submission_id = $1 AND email = $2 AND sha256 = $3`,
		id, opendata.NormEmail(email), strings.ToLower(sha256)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("opened: %w", err)
	}
	return n > 0, nil
}

// uploadPath is where a submission's upload with this hash lives. Both parts
// are checked, so that no id or hash can name a file elsewhere.
func (db *DB) uploadPath(id, sum string) (string, error) {
	if db.dataDir == "" {
		return "", errors.New("no data directory for uploads: with PostgreSQL, give every replica the same --data folder")
	}
	if id == "" || strings.IndexFunc(id, func(r rune) bool { return !isIDRune(r) }) >= 0 {
		return "", opendata.Errorf(opendata.EINVALID, "bad submission id %q", id)
	}
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("bad SHA-256 %q", sum)
	}
	return filepath.Join(db.dataDir, "uploads", id, strings.ToLower(sum)+".pdf"), nil
}

func isIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

// cleanFileName keeps the last element of an uploader's path, without
// control characters or surrounding space, at most maxFileName bytes.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > maxFileName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "signed-approval.pdf"
	}
	return name
}

// RecordGeneratedForm remembers an approval form PDF generated for the
// submission, by its SHA-256 (lower-case hex).
func (db *DB) RecordGeneratedForm(ctx context.Context, id, sha256 string) error {
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO generated_forms (sha256, submission_id, generated_at) VALUES ($1, $2, $3)
			ON CONFLICT (sha256, submission_id) DO NOTHING`, strings.ToLower(sha256), id, micros(db.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("record generated form: %w", err)
	}
	return nil
}

// GeneratedForm reports whether a file with this SHA-256 is a form the service generated, unsigned.
func (db *DB) GeneratedForm(ctx context.Context, sha256 string) (bool, error) {
	var n int
	if err := db.queryRow(ctx, `SELECT count(*) FROM generated_forms WHERE sha256 = $1`, strings.ToLower(sha256)).Scan(&n); err != nil {
		return false, fmt.Errorf("generated form: %w", err)
	}
	return n > 0, nil
}
