package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// forEachDBWithUploads is forEachDB with a data directory on both dialects
// (PostgreSQL keeps uploads there too), returned for looking at the files.
func forEachDBWithUploads(t *testing.T, test func(t *testing.T, open func() *store.DB, dataDir string)) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		if cfg.DataDir == "" {
			cfg.DataDir = t.TempDir()
		}
		test(t, opener(t, cfg), cfg.DataDir)
	})
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestSignedApproval(t *testing.T) {
	forEachDBWithUploads(t, func(t *testing.T, open func() *store.DB, dataDir string) {
		ctx := context.Background()
		db := open()
		if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		_, err := db.SignedApproval(ctx, "id-1")
		wantCode(t, "before any upload", err, opendata.ENOTFOUND)
		_, _, err = db.OpenSignedApproval(ctx, "id-1")
		wantCode(t, "open before any upload", err, opendata.ENOTFOUND)

		pdf := []byte("%PDF-1.7\nsigned\n%%EOF\n")
		at := time.Now().UTC().Truncate(time.Microsecond)
		signedAt := at.Add(-time.Hour)
		sigs := []store.DigitalSignature{{Signer: "Céline Roy", SignedAt: &signedAt}, {Problem: "unreadable"}}
		meta := store.SignedApproval{Pages: 2, FileName: "C:\\Users\\céline\\Appro\x01val signed.pdf ", UploadedBy: "user:a@example.gc.ca", UploadedAt: at,
			Signatures: sigs}
		if err := db.SaveSignedApproval(ctx, "id-1", meta, pdf); err != nil {
			t.Fatal(err)
		}
		want := store.SignedApproval{SHA256: hexSHA(pdf), Size: int64(len(pdf)), Pages: 2, FileName: "Approval signed.pdf",
			UploadedBy: "user:a@example.gc.ca", UploadedAt: at, Signatures: sigs}
		got, err := db.SignedApproval(ctx, "id-1")
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("stored %+v %v, want %+v", got, err, want)
		}
		f, meta2, err := db.OpenSignedApproval(ctx, "id-1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(body, pdf) || !reflect.DeepEqual(*meta2, want) {
			t.Fatalf("opened %q %+v", body, meta2)
		}
		path := filepath.Join(dataDir, "uploads", "id-1", want.SHA256+".pdf")
		if onDisk, err := os.ReadFile(path); err != nil || !bytes.Equal(onDisk, pdf) {
			t.Fatalf("file at %s: %q %v", path, onDisk, err)
		}

		// A new upload replaces it; the old file is kept as the record of what was signed.
		pdf2 := []byte("%PDF-1.7\nsigned again\n%%EOF\n")
		if err := db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{SHA256: strings.ToUpper(hexSHA(pdf2)),
			Size: int64(len(pdf2)), Pages: 1, FileName: "v2.pdf", UploadedBy: "x"}, pdf2); err != nil {
			t.Fatal(err)
		}
		// None found is an empty list, told apart from an upload stored before signatures were read (nil).
		if got, _ := db.SignedApproval(ctx, "id-1"); got.SHA256 != hexSHA(pdf2) || got.FileName != "v2.pdf" || got.UploadedAt.IsZero() ||
			got.Signatures == nil || len(got.Signatures) != 0 {
			t.Fatalf("replaced %+v", got)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("the first upload is gone: %v", err)
		}

		wantCode(t, "wrong hash", db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{SHA256: hexSHA(pdf)}, pdf2), opendata.EINVALID)
		wantCode(t, "wrong size", db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{Size: 3}, pdf2), opendata.EINVALID)
		wantCode(t, "empty", db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{}, nil), opendata.EINVALID)
		wantCode(t, "missing", db.SaveSignedApproval(ctx, "nope", store.SignedApproval{}, pdf), opendata.ENOTFOUND)
		wantCode(t, "bad id", db.SaveSignedApproval(ctx, "../x", store.SignedApproval{}, pdf), opendata.EINVALID)
		move(t, db, "id-1", opendata.StateInPreparation, opendata.StatePendingApproval)
		pdf3 := []byte("%PDF-1.7\ntoo late\n%%EOF\n")
		wantCode(t, "pending approval", db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{}, pdf3), opendata.ECONFLICT)
		if _, err := os.Stat(filepath.Join(dataDir, "uploads", "id-1", hexSHA(pdf3)+".pdf")); !os.IsNotExist(err) {
			t.Fatalf("a refused upload left a file: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "uploads", "nope")); !os.IsNotExist(err) {
			t.Fatalf("an upload for no submission made a folder: %v", err)
		}
		entries, _ := os.ReadDir(filepath.Join(dataDir, "uploads", "id-1"))
		if len(entries) != 2 {
			t.Fatalf("uploads folder holds %d entries, want the 2 PDFs (no temporary files)", len(entries))
		}
	})
}

// On PostgreSQL without a data directory uploads are refused, saying why.
func TestSignedApprovalNeedsDataDir(t *testing.T) {
	t.Parallel()
	db := opener(t, freshPostgres(t))()
	ctx := context.Background()
	if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
		t.Fatal(err)
	}
	err := db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{}, []byte("%PDF-1.7\n"))
	if err == nil || !strings.Contains(err.Error(), "no data directory") {
		t.Fatalf("upload without a data directory: %v", err)
	}
	if _, err := db.SignedApproval(ctx, "id-1"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
		t.Fatalf("a refused upload was recorded: %v", err)
	}
}

func TestDocumentOpens(t *testing.T) {
	forEachDBWithUploads(t, func(t *testing.T, open func() *store.DB, _ string) {
		ctx := context.Background()
		db := open()
		if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		pdf := []byte("%PDF-1.7\none\n")
		wantCode(t, "nothing uploaded", db.RecordOpened(ctx, "id-1", "app@example.gc.ca", hexSHA(pdf)), opendata.ENOTFOUND)
		if err := db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{UploadedBy: "x"}, pdf); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.Opened(ctx, "id-1", "app@example.gc.ca", hexSHA(pdf)); err != nil || ok {
			t.Fatalf("opened before opening: %v %v", ok, err)
		}
		for range 2 { // opening twice is fine
			if err := db.RecordOpened(ctx, "id-1", "App@Example.gc.ca", hexSHA(pdf)); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := db.Opened(ctx, "id-1", "APP@example.gc.ca", hexSHA(pdf)); err != nil || !ok {
			t.Fatalf("not opened after opening: %v %v", ok, err)
		}
		if ok, _ := db.Opened(ctx, "id-1", "other@example.gc.ca", hexSHA(pdf)); ok {
			t.Fatal("someone else's open counted")
		}
		wantCode(t, "no email", db.RecordOpened(ctx, "id-1", " ", hexSHA(pdf)), opendata.EINVALID)

		// A new upload must be opened again, and opening the old one no longer counts.
		pdf2 := []byte("%PDF-1.7\ntwo\n")
		if err := db.SaveSignedApproval(ctx, "id-1", store.SignedApproval{UploadedBy: "x"}, pdf2); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.Opened(ctx, "id-1", "app@example.gc.ca", hexSHA(pdf2)); ok {
			t.Fatal("a new upload counted as opened")
		}
		wantCode(t, "stale open", db.RecordOpened(ctx, "id-1", "app@example.gc.ca", hexSHA(pdf)), opendata.ECONFLICT)
		if err := db.RecordOpened(ctx, "id-1", "app@example.gc.ca", hexSHA(pdf2)); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.Opened(ctx, "id-1", "app@example.gc.ca", hexSHA(pdf2)); !ok {
			t.Fatal("the new upload is not opened after opening")
		}
	})
}
