// Package secret seals secrets kept at rest (registry API tokens, webhook signing secrets) with
// AES-256-GCM under a key held outside the database, in a key file (see LoadKeyFile).
//
// A sealed secret is text: "v1:<key id>:<base64url(nonce | ciphertext | tag)>". The key id
// says which key of a Keyring opens it, so keys can be rotated: new secrets are sealed with
// the current key while older keys still open what they sealed.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// version is the sealed format; it is bound into the ciphertext with the key id.
const version = "v1"

// KeySize is the size of an AES-256 key in bytes.
const KeySize = 32

var (
	// ErrUnknownKey means a sealed secret names a key id the keyring does not hold.
	ErrUnknownKey = errors.New("unknown key id")
	// ErrAuth means the key, the associated data or the sealed text itself is not the one
	// the secret was sealed with (wrong key, copied to another row, or altered).
	ErrAuth = errors.New("message authentication failed")
	// ErrMalformed means the text is not a sealed secret.
	ErrMalformed = errors.New("malformed sealed secret")
)

// Key is one AES-256 key and its id. Its String never shows the key bytes.
type Key struct {
	id  string
	raw [KeySize]byte
}

// NewKey returns a key from its id and 32 bytes. An id is 1-64 letters, digits, '.', '_' or '-'.
func NewKey(id string, raw []byte) (Key, error) {
	if !validID(id) {
		return Key{}, fmt.Errorf("new key: invalid key id %q: use 1-64 letters, digits, '.', '_' or '-'", id)
	}
	if len(raw) != KeySize {
		return Key{}, fmt.Errorf("new key %q: key is %d bytes, want %d", id, len(raw), KeySize)
	}
	return Key{id: id, raw: [KeySize]byte(raw)}, nil
}

// GenerateKey returns a fresh random key with a random id.
func GenerateKey() (Key, error) {
	var raw [KeySize]byte
	var id [4]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Key{}, fmt.Errorf("generate key: %w", err)
	}
	if _, err := rand.Read(id[:]); err != nil {
		return Key{}, fmt.Errorf("generate key: %w", err)
	}
	return Key{id: "k" + hex.EncodeToString(id[:]), raw: raw}, nil
}

// ID returns the key's id.
func (k Key) ID() string { return k.id }

func (k Key) String() string   { return "secret.Key(" + k.id + ")" }
func (k Key) GoString() string { return k.String() }

func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// Keyring seals with its current key and opens with any key it holds. It is safe for
// concurrent use. Its String never shows key bytes.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a keyring that seals with current and also opens what older keys sealed.
func NewKeyring(current Key, older ...Key) (*Keyring, error) {
	r := &Keyring{current: current.id, aeads: make(map[string]cipher.AEAD)}
	for _, k := range append([]Key{current}, older...) {
		if !validID(k.id) {
			return nil, errors.New("new keyring: a key has no id (use NewKey or GenerateKey)")
		}
		if _, dup := r.aeads[k.id]; dup {
			return nil, fmt.Errorf("new keyring: key id %q appears twice", k.id)
		}
		block, err := aes.NewCipher(k.raw[:])
		if err != nil {
			return nil, fmt.Errorf("new keyring: key %q: %w", k.id, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("new keyring: key %q: %w", k.id, err)
		}
		r.aeads[k.id] = aead
	}
	return r, nil
}

// CurrentID is the id of the key new secrets are sealed with.
func (r *Keyring) CurrentID() string { return r.current }

func (r *Keyring) String() string   { return "secret.Keyring(current " + r.current + ")" }
func (r *Keyring) GoString() string { return r.String() }

// Seal encrypts plaintext with the current key. aad binds the result to where it is stored
// (e.g. "ckan-target:CFS:api_token"): Open with other aad fails, so a sealed value copied to
// another row or column does not open there. aad is not secret and not stored.
func (r *Keyring) Seal(plaintext, aad []byte) (string, error) {
	aead := r.aeads[r.current]
	if aead == nil {
		return "", errors.New("seal secret: empty keyring")
	}
	sealed := aead.Seal(nil, nil, plaintext, additional(r.current, aad))
	return version + ":" + r.current + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open decrypts what Seal returned, given the same aad. Errors name the key id, never the
// secret: errors.Is finds ErrUnknownKey, ErrAuth or ErrMalformed.
func (r *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	ver, rest, ok1 := strings.Cut(sealed, ":")
	id, body, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || ver != version || !validID(id) {
		return nil, fmt.Errorf("open secret: %w (want %s:<key id>:<data>)", ErrMalformed, version)
	}
	aead := r.aeads[id]
	if aead == nil {
		return nil, fmt.Errorf("open secret: key %q: %w", id, ErrUnknownKey)
	}
	data, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("open secret: key %q: %w (bad data)", id, ErrMalformed)
	}
	plain, err := aead.Open(nil, nil, data, additional(id, aad))
	if err != nil {
		return nil, fmt.Errorf("open secret: key %q: %w (wrong key, wrong context or altered)", id, ErrAuth)
	}
	return plain, nil
}

// additional binds the format version and key id along with the caller's aad; the id has no
// ':' so the join is unambiguous.
func additional(id string, aad []byte) []byte {
	return append([]byte(version+":"+id+":"), aad...)
}
