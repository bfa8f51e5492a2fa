package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The data directory holds the key checksum secret, sessions, contacts and
// roles (the SQLite file), the uploads and the outbox: it and everything in
// it are the service's owner's only, whatever the umask, the mode of a
// directory made beforehand or the files an earlier version left.
const (
	privateDir  os.FileMode = 0o700
	privateFile os.FileMode = 0o600
)

// prepareDataDir makes dir if missing, then narrows it, the folders in it to
// privateDir and the files to privateFile.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, privateDir); err != nil {
		return err
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		want := privateFile
		switch {
		case d.IsDir():
			want = privateDir
		case !d.Type().IsRegular():
			return nil // a link or socket the operator put there: not ours to change
		}
		info, err := d.Info()
		if err != nil || info.Mode().Perm() == want {
			return err
		}
		return os.Chmod(path, want)
	})
	if err != nil {
		return fmt.Errorf("make the data directory private: %w", err)
	}
	return nil
}

// createPrivate makes path an empty file of mode privateFile if it is missing.
// SQLite gives the database's -wal and -shm files the database file's mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateFile)
	if err != nil {
		return err
	}
	return errors.Join(f.Chmod(privateFile), f.Close())
}
