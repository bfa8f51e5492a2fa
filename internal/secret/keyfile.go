package secret

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultKeyFile is the key file's name inside the data folder when none is given.
const DefaultKeyFile = "secret.key"

// A key file is text, one key a line, the current key first:
//
//	# comments and blank lines are ignored
//	datahub-secret-key v1 <key id> <standard base64 of 32 bytes>
//
// Later lines are older keys kept so that what they sealed still opens. The file must not be
// readable by group or others (mode 0600 or 0400), else LoadKeyFile refuses it.
const keyLinePrefix = "datahub-secret-key"

const keyFileHeader = `# DataHub secret key: it opens the registry tokens and webhook secrets stored in the
# database. Keep it out of the database and its backups, back it up separately: without it
# those secrets must be entered again. The first key line is current; older keys follow.
`

// LoadKeyFile reads a key file into a Keyring.
func LoadKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	if err := checkMode(path, info.Mode()); err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("load key file %s: %w", path, err)
	}
	r, err := ParseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("load key file %s: %w", path, err)
	}
	return r, nil
}

// checkMode refuses a key file others could read. Windows has no such mode bits to check.
func checkMode(path string, mode fs.FileMode) error {
	if !mode.IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && mode.Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o, readable beyond its owner: run chmod 600 %s", path, mode.Perm(), path)
	}
	return nil
}

// ParseKeyFile reads the key file format. Errors name the line, never its content.
func ParseKeyFile(data []byte) (*Keyring, error) {
	var keys []Key
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 || f[0] != keyLinePrefix || f[1] != version {
			return nil, fmt.Errorf("line %d: want %q", n, keyLinePrefix+" "+version+" <key id> <base64 key>")
		}
		// A misordered line could put the key where the id belongs: name neither in errors.
		raw, err := base64.StdEncoding.DecodeString(f[3])
		if err != nil || len(raw) != KeySize || !validID(f[2]) {
			return nil, fmt.Errorf("line %d: want a key id (letters, digits, '.', '_', '-') and %d bytes in standard base64", n, KeySize)
		}
		k, err := NewKey(f[2], raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: invalid key", n)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("no key in the file")
	}
	return NewKeyring(keys[0], keys[1:]...)
}

// FormatKeyFile writes keys in the key file format, the current key first.
func FormatKeyFile(current Key, older ...Key) []byte {
	var b strings.Builder
	b.WriteString(keyFileHeader)
	for _, k := range append([]Key{current}, older...) {
		fmt.Fprintf(&b, "%s %s %s %s\n", keyLinePrefix, version, k.id, base64.StdEncoding.EncodeToString(k.raw[:]))
	}
	return []byte(b.String())
}

// CreateKeyFile writes a new key file holding one fresh random key, mode 0600. It never
// overwrites: if path exists the error wraps fs.ErrExist. The file appears whole or not at all.
func CreateKeyFile(path string) (*Keyring, error) {
	k, err := GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if err := writeNew(path, FormatKeyFile(k)); err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	return NewKeyring(k)
}

// writeNew writes data to a temporary file beside path and links it into place: a link fails
// when path exists, where a rename would replace it.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".secret-key-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the new name durable too
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadOrCreate loads the key file at path, or creates it if there is none (the default for a
// single server keeping its data in one folder). created says a new key was made, which the
// operator should be told to back up.
func LoadOrCreate(path string) (r *Keyring, created bool, err error) {
	r, err = LoadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return r, false, err
	}
	r, err = CreateKeyFile(path)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		r, err = LoadKeyFile(path)
		return r, false, err
	}
	return r, err == nil, err
}
