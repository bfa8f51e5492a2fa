// Package atomicfile writes files that appear whole or not at all: the
// uploads kept by the store and the messages left in the mail outbox.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write creates or replaces path with content, readable by its owner only
// (mode 0600; a missing folder is made 0700): uploads and messages hold
// people's data. It writes a hidden temporary file in the same folder, syncs
// it, renames it into place and syncs the folder and its parent, so that a reader never sees a partial file and after a crash the
// file is there whole or not at all. On error nothing is left behind.
func Write(path string, content io.WriterTo) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = content.WriteTo(f); err != nil {
		return err
	}
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	// The folder holds the new name; its parent, the folder's, if it was just made.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err = syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
