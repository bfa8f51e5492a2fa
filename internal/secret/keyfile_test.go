package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCreateKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultKeyFile)
	created, err := CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", info.Mode().Perm())
	}
	loaded, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.CurrentID() != created.CurrentID() {
		t.Errorf("loaded key %s, created %s", loaded.CurrentID(), created.CurrentID())
	}
	sealed, err := created.Seal([]byte("token"), []byte("ckan-target:CFS"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := loaded.Open(sealed, []byte("ckan-target:CFS")); err != nil || string(got) != "token" {
		t.Errorf("the loaded key does not open what the created one sealed: %q, %v", got, err)
	}

	// A second create must leave the first key alone: losing it loses every sealed secret.
	before, _ := os.ReadFile(path)
	if _, err := CreateKeyFile(path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second create: %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the existing key file was overwritten")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the key file (no temporary left)", len(entries))
	}
}

func TestLoadKeyFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	data := FormatKeyFile(mustKey(t, "k1", 1))
	for _, tt := range []struct {
		mode fs.FileMode
		ok   bool
	}{{0o600, true}, {0o400, true}, {0o640, false}, {0o604, false}, {0o644, false}, {0o660, false}, {0o700, true}} {
		path := filepath.Join(t.TempDir(), "secret.key")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyFile(path)
		if (err == nil) != tt.ok {
			t.Errorf("mode %04o: error %v, want ok %v", tt.mode, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: error %q does not say how to fix it", tt.mode, err)
		}
	}
	if _, err := LoadKeyFile(t.TempDir()); err == nil {
		t.Error("a directory accepted as a key file")
	}
}

func TestParseKeyFile(t *testing.T) {
	k1, k2 := mustKey(t, "2026a", 1), mustKey(t, "2025a", 2)
	r, err := ParseKeyFile(FormatKeyFile(k1, k2))
	if err != nil {
		t.Fatal(err)
	}
	if r.CurrentID() != "2026a" {
		t.Errorf("current %q, want the first key 2026a", r.CurrentID())
	}
	sealedOld, _ := mustRing(t, k2).Seal([]byte("x"), nil)
	if got, err := r.Open(sealedOld, nil); err != nil || string(got) != "x" {
		t.Errorf("the older key in the file does not open: %q, %v", got, err)
	}

	b64 := func(fill byte, n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, n)) }
	secretKey := b64(0x5a, KeySize)
	tests := []struct {
		name, text, current string
	}{
		{"comments and blanks", "# c\n\n  datahub-secret-key v1 k9 " + secretKey + "  \n", "k9"},
		{"crlf", "datahub-secret-key v1 k9 " + secretKey + "\r\n", "k9"},
		{"empty", "", ""},
		{"only comments", "# nothing\n", ""},
		{"other prefix", "secret-key v1 k9 " + secretKey + "\n", ""},
		{"other version", "datahub-secret-key v2 k9 " + secretKey + "\n", ""},
		{"missing id", "datahub-secret-key v1 " + secretKey + "\n", ""},
		{"fields swapped", "datahub-secret-key v1 " + secretKey + " k9\n", ""},
		{"short key", "datahub-secret-key v1 k9 " + b64(0x5a, 16) + "\n", ""},
		{"bad base64", "datahub-secret-key v1 k9 " + secretKey[:20] + "!!\n", ""},
		{"bad id", "datahub-secret-key v1 k:9 " + secretKey + "\n", ""},
		{"duplicate id", "datahub-secret-key v1 k9 " + secretKey + "\ndatahub-secret-key v1 k9 " + b64(1, KeySize) + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseKeyFile([]byte(tt.text))
			if tt.current != "" {
				if err != nil || r.CurrentID() != tt.current {
					t.Fatalf("got %v, %v; want current key %s", r, err, tt.current)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %q", tt.text)
			}
			if strings.Contains(err.Error(), secretKey[:12]) {
				t.Errorf("error %q shows the key", err)
			}
		})
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultKeyFile)
	first, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first call: created %v, %v; want a new key file", created, err)
	}
	second, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second call: created %v, %v; want the existing file loaded", created, err)
	}
	if first.CurrentID() != second.CurrentID() {
		t.Errorf("key changed from %s to %s", first.CurrentID(), second.CurrentID())
	}
	// A key file others can read is refused, not replaced.
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		if _, _, err := LoadOrCreate(path); err == nil || !strings.Contains(err.Error(), "0644") {
			t.Errorf("mode 0644: %v, want refused", err)
		}
	}
	// No folder: an error, not a key made elsewhere.
	if _, _, err := LoadOrCreate(filepath.Join(t.TempDir(), "missing", DefaultKeyFile)); err == nil {
		t.Error("created a key file in a missing folder")
	}
}
