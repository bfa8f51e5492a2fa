// Package auth verifies API keys: their format and keyed checksum, and an
// in-memory keyring that follows revocations made by any process at once.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// A key reads "dh_" + 52 base32 characters (256 random bits) + 8 characters of
// checksum (40 bits of an HMAC keyed with the server secret). Its first 11
// characters are its public prefix.
const (
	keyTag       = "dh_"
	randomLen    = 52
	checksumLen  = 8
	keyLen       = len(keyTag) + randomLen + checksumLen
	PrefixLen    = len(keyTag) + 8
	SecretName   = "api-key-checksum" // the settings row holding the server secret
	checksumSize = 5
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewKey mints a key for a project. It returns the key, to be shown once, and
// the record to store, which holds only its hash.
func NewKey(secret []byte, project, client, contact string, expires *time.Time, now time.Time) (string, *opendata.APIKey) {
	random := make([]byte, 32)
	rand.Read(random)
	body := keyTag + b32.EncodeToString(random)
	key := body + checksum(secret, body)
	h := Hash(key)
	return key, &opendata.APIKey{
		Prefix: key[:PrefixLen], Hash: h[:], Project: project, Client: client, Contact: contact,
		CreatedAt: now.UTC(), ExpiresAt: expires,
	}
}

func checksum(secret []byte, body string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(body))
	return b32.EncodeToString(m.Sum(nil)[:checksumSize])
}

// Hash is what is stored of a key. Keys carry 256 random bits, so a plain
// SHA-256 is enough; a slow password hash would add nothing but latency.
func Hash(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// WellFormed reports whether s has the shape of a key (not whether it is valid).
func WellFormed(s string) bool {
	if len(s) != keyLen || !strings.HasPrefix(s, keyTag) {
		return false
	}
	for i := len(keyTag); i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// ChecksumValid reports whether a well-formed key was minted with secret.
func ChecksumValid(secret []byte, key string) bool {
	body := key[:len(key)-checksumLen]
	return hmac.Equal([]byte(checksum(secret, body)), []byte(key[len(key)-checksumLen:]))
}

// PrefixOf returns the public prefix of a well-formed key, or "" for anything
// else, so that logs can name a key without holding it.
func PrefixOf(key string) string {
	if !WellFormed(key) {
		return ""
	}
	return key[:PrefixLen]
}
