package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPinFiles(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string]int{"a": 8192, "b": 100, "empty": 0} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	unpin, size, err := pinFiles(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	unpin()
	if size != 8292 {
		t.Errorf("held %d bytes, want 8292", size)
	}
	if _, _, err := pinFiles(filepath.Join(dir, "empty*")); err == nil {
		t.Error("a glob of empty files: no error")
	}
	if _, _, err := pinFiles(filepath.Join(dir, "[")); err == nil {
		t.Error("a bad glob: no error")
	}
}
