package auth

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef")
	otherSecret = []byte("fedcba9876543210fedcba9876543210")
)

// isKeyChar reports whether c may follow the tag: the lower-case base32 alphabet.
func isKeyChar(c byte) bool { return c >= 'a' && c <= 'z' || c >= '2' && c <= '7' }

// mint returns a fresh key made with testSecret.
func mint(t testing.TB) string {
	t.Helper()
	key, _ := NewKey(testSecret, "proj", "client", "c@example.gc.ca", nil, time.Now())
	return key
}

// replaceAt returns s with the byte at i replaced by r (which may be several bytes).
func replaceAt(s string, i int, r string) string { return s[:i] + r + s[i+1:] }

// otherKeyChar returns a base32 character other than c.
func otherKeyChar(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestNewKeyFormat(t *testing.T) {
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now := time.Date(2025, 6, 7, 8, 9, 10, 0, time.FixedZone("EDT", -4*3600))
	key, rec := NewKey(testSecret, "proj-a", "client-a", "contact@example.gc.ca", &expires, now)

	tests := []struct {
		name string
		ok   bool
	}{
		{"length is 63", len(key) == 63 && keyLen == 63},
		{"starts with dh_", strings.HasPrefix(key, "dh_")},
		{"52 random + 8 checksum base32 characters", func() bool {
			for i := 3; i < len(key); i++ {
				if !isKeyChar(key[i]) {
					return false
				}
			}
			return len(key)-3 == 52+8
		}()},
		{"well formed", WellFormed(key)},
		{"prefix is the first 11 characters", rec.Prefix == key[:11] && len(rec.Prefix) == PrefixLen && PrefixLen == 11},
		{"stored hash is SHA-256 of the key", func() bool {
			h := sha256.Sum256([]byte(key))
			return string(rec.Hash) == string(h[:]) && len(rec.Hash) == 32
		}()},
		{"Hash agrees with stored hash", func() bool { h := Hash(key); return string(h[:]) == string(rec.Hash) }()},
		{"record does not hold the key", !strings.Contains(string(rec.Hash), key)},
		{"project, client, contact", rec.Project == "proj-a" && rec.Client == "client-a" && rec.Contact == "contact@example.gc.ca"},
		{"created at now, in UTC", rec.CreatedAt.Equal(now) && rec.CreatedAt.Location() == time.UTC},
		{"expires as given", rec.ExpiresAt != nil && rec.ExpiresAt.Equal(expires)},
		{"not used, not revoked", rec.LastUsedAt == nil && rec.RevokedAt == nil},
		{"checksum valid for its secret", ChecksumValid(testSecret, key)},
		{"checksum invalid for another secret", !ChecksumValid(otherSecret, key)},
		{"PrefixOf", PrefixOf(key) == rec.Prefix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("key %q, record %+v", key, rec)
			}
		})
	}
}

func TestNewKeyNoExpiry(t *testing.T) {
	_, rec := NewKey(testSecret, "p", "c", "x@example.gc.ca", nil, time.Now())
	if rec.ExpiresAt != nil {
		t.Errorf("ExpiresAt = %v, want nil", rec.ExpiresAt)
	}
}

func TestNewKeyDistinct(t *testing.T) {
	const n = 1000
	keys := make(map[string]bool, n)
	prefixes := make(map[string]bool, n)
	hashes := make(map[string]bool, n)
	for range n {
		key, rec := NewKey(testSecret, "p", "c", "x@example.gc.ca", nil, time.Now())
		if keys[key] {
			t.Fatalf("key %s minted twice", key)
		}
		if prefixes[rec.Prefix] {
			t.Fatalf("prefix %s minted twice", rec.Prefix) // 40 random bits: about 5e-7 odds
		}
		if hashes[string(rec.Hash)] {
			t.Fatalf("hash of %s seen twice", key)
		}
		if !WellFormed(key) || !ChecksumValid(testSecret, key) {
			t.Fatalf("minted key %s is not valid", key)
		}
		keys[key], prefixes[rec.Prefix], hashes[string(rec.Hash)] = true, true, true
	}
}

func TestWellFormed(t *testing.T) {
	key := mint(t)
	body := key[3:]
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"minted", key, true},
		{"all a", "dh_" + strings.Repeat("a", 60), true},
		{"all digits 2-7", "dh_" + strings.Repeat("234567", 10), true},
		{"empty", "", false},
		{"tag only", "dh_", false},
		{"one short", key[:62], false},
		{"one long", key + "a", false},
		{"trailing newline", key[:62] + "\n", false},
		{"trailing space", key + " ", false},
		{"leading space", " " + key[:62], false},
		{"upper-case tag", "DH_" + body, false},
		{"other tag", "dk_" + body, false},
		{"dash for underscore", "dh-" + body, false},
		{"no tag, right length", "aaa" + body, false},
		{"upper-case body", "dh_" + strings.ToUpper(body), false},
		{"one upper-case character", replaceAt(key, 30, "A"), false},
		{"zero", replaceAt(key, 10, "0"), false},
		{"one", replaceAt(key, 20, "1"), false},
		{"eight", replaceAt(key, 40, "8"), false},
		{"nine", replaceAt(key, 62, "9"), false},
		{"padding", replaceAt(key, 62, "="), false},
		{"underscore in body", replaceAt(key, 5, "_"), false},
		{"non-ASCII, same byte length", key[:30] + "é" + key[32:], false}, // é is two bytes
		{"non-ASCII, same rune count", key[:30] + "é" + key[31:], false},
		{"NUL", replaceAt(key, 50, "\x00"), false},
		{"high byte", replaceAt(key, 50, "\xff"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WellFormed(tt.s); got != tt.want {
				t.Errorf("WellFormed(%q) = %v, want %v", tt.s, got, tt.want)
			}
			if got, want := PrefixOf(tt.s), ""; !tt.want && got != want {
				t.Errorf("PrefixOf(%q) = %q, want %q", tt.s, got, want)
			}
		})
	}
}

// Every single-character change to a key, anywhere after its tag, breaks its checksum.
func TestChecksumOneCharacterChanged(t *testing.T) {
	key := mint(t)
	if !ChecksumValid(testSecret, key) {
		t.Fatal("fresh key fails its checksum")
	}
	for i := len(keyTag); i < len(key); i++ {
		changed := replaceAt(key, i, otherKeyChar(key[i]))
		if !WellFormed(changed) {
			t.Fatalf("position %d: %q is not well formed", i, changed)
		}
		if ChecksumValid(testSecret, changed) {
			t.Errorf("position %d: %q passes the checksum", i, changed)
		}
	}
	// Swapping two different adjacent characters breaks it too.
	for i := len(keyTag); i+1 < len(key); i++ {
		if key[i] == key[i+1] {
			continue
		}
		swapped := key[:i] + string(key[i+1]) + string(key[i]) + key[i+2:]
		if ChecksumValid(testSecret, swapped) {
			t.Errorf("swap at %d: %q passes the checksum", i, swapped)
		}
	}
}

func TestChecksumValid(t *testing.T) {
	key := mint(t)
	otherKey, _ := NewKey(otherSecret, "p", "c", "x@example.gc.ca", nil, time.Now())
	tests := []struct {
		name   string
		secret []byte
		key    string
		want   bool
	}{
		{"own secret", testSecret, key, true},
		{"other secret", otherSecret, key, false},
		{"empty secret", nil, key, false},
		{"minted with the other secret", testSecret, otherKey, false},
		{"other key, its secret", otherSecret, otherKey, true},
		{"checksum of another key", testSecret, key[:55] + mint(t)[55:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ChecksumValid(tt.secret, tt.key); got != tt.want {
				t.Errorf("ChecksumValid = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrefixOf(t *testing.T) {
	key := mint(t)
	tests := []struct {
		name, s, want string
	}{
		{"minted", key, key[:11]},
		{"well formed but not minted", "dh_" + strings.Repeat("b", 60), "dh_bbbbbbbb"},
		{"empty", "", ""},
		{"prefix alone", key[:11], ""},
		{"too long", key + "a", ""},
		{"upper case", strings.ToUpper(key), ""},
		{"bearer form", "Bearer " + key, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PrefixOf(tt.s); got != tt.want {
				t.Errorf("PrefixOf(%q) = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}
