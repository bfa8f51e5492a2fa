package store_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/store"
)

// wantPrivate fails the test unless dir and every folder under it are 0700
// and every file 0600.
func wantPrivate(t *testing.T, dir string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no file to look at")
	}
}

// loosen gives dir and everything under it the modes a default umask gives:
// what an earlier version, or the operator's mkdir, left behind.
func loosen(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return nil
	})
}

// The data directory and what the service keeps in it (the SQLite database
// with its log, the key epoch, the uploads) are the service's only, even when
// the directory was made beforehand with the usual 0755 and the files of an
// earlier run, or of a version before this rule, are 0644.
func TestDataDirectoryIsPrivate(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		if cfg.DataDir == "" {
			cfg.DataDir = t.TempDir()
		}
		if err := os.Chmod(cfg.DataDir, 0o755); err != nil {
			t.Fatal(err)
		}
		open := func() *store.DB {
			t.Helper()
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			db.SetJobs(&fakeJobs{})
			return db
		}
		first := open()
		if err := first.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), nil); err != nil {
			t.Fatal(err)
		}
		pdf := []byte("%PDF-1.7\nsigned\n%%EOF\n")
		if err := first.SaveSignedApproval(ctx, "id-1", store.SignedApproval{Pages: 1, FileName: "signed.pdf",
			UploadedBy: "user:a@example.gc.ca", UploadedAt: time.Now()}, pdf); err != nil {
			t.Fatal(err)
		}
		wantPrivate(t, cfg.DataDir)

		// Loosened while the database is open (its log files exist), then
		// opened again, as by the command line next to the server.
		loosen(t, cfg.DataDir)
		open()
		wantPrivate(t, cfg.DataDir)
	})
}
