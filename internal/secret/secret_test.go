package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func mustKey(t *testing.T, id string, fill byte) Key {
	t.Helper()
	k, err := NewKey(id, bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t *testing.T, current Key, older ...Key) *Keyring {
	t.Helper()
	r, err := NewKeyring(current, older...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpenRoundTrip(t *testing.T) {
	r := mustRing(t, mustKey(t, "k1", 1))
	for _, plain := range [][]byte{
		[]byte("ckan-api-token-0123456789"),
		{},
		{0, 1, 2, 255, ':', '\n'},
		bytes.Repeat([]byte("x"), 10000),
	} {
		aad := []byte("ckan-target:CFS:api_token")
		sealed, err := r.Seal(plain, aad)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "v1:k1:") || strings.ContainsAny(sealed, " \n") {
			t.Errorf("sealed text %q, want v1:k1:<base64url>", sealed)
		}
		if len(plain) > 4 && strings.Contains(sealed, string(plain[:5])) {
			t.Errorf("sealed text shows the plaintext: %q", sealed)
		}
		got, err := r.Open(sealed, aad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, %v; want %q", got, err, plain)
		}
		again, _ := r.Seal(plain, aad)
		if again == sealed {
			t.Error("two seals of the same secret are equal: the nonce is not fresh")
		}
	}
}

// TestOpenRefuses covers every way a sealed secret must fail to open; no error may show the
// secret, the key or the sealed data.
func TestOpenRefuses(t *testing.T) {
	const token = "tok-SUPER-SECRET-registry-token"
	k1, k2 := mustKey(t, "k1", 1), mustKey(t, "k2", 2)
	r := mustRing(t, k1, k2)
	aad := []byte("ckan-target:CFS:api_token")
	sealed, err := r.Seal([]byte(token), aad)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(sealed, "v1:k1:")
	data, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		d := bytes.Clone(data)
		d[i] ^= 1
		return "v1:k1:" + base64.RawURLEncoding.EncodeToString(d)
	}
	sameIDOtherKey := mustRing(t, mustKey(t, "k1", 9))
	tests := []struct {
		name   string
		ring   *Keyring
		sealed string
		aad    string
		want   error
		naming string // the key id the error must name, if any
	}{
		{"wrong aad: copied to another row", r, sealed, "ckan-target:NRCAN:api_token", ErrAuth, `"k1"`},
		{"no aad", r, sealed, "", ErrAuth, `"k1"`},
		{"wrong key under the same id", sameIDOtherKey, sealed, string(aad), ErrAuth, `"k1"`},
		{"relabelled to another held key", r, "v1:k2:" + body, string(aad), ErrAuth, `"k2"`},
		{"nonce altered", r, flip(0), string(aad), ErrAuth, `"k1"`},
		{"ciphertext altered", r, flip(14), string(aad), ErrAuth, `"k1"`},
		{"tag altered", r, flip(len(data) - 1), string(aad), ErrAuth, `"k1"`},
		{"truncated", r, sealed[:len(sealed)-4], string(aad), ErrAuth, `"k1"`},
		{"too short", r, "v1:k1:AAAA", string(aad), ErrMalformed, `"k1"`},
		{"not base64", r, "v1:k1:" + body + "!", string(aad), ErrMalformed, `"k1"`},
		{"unknown key id", r, "v1:k3:" + body, string(aad), ErrUnknownKey, `"k3"`},
		{"other version", r, "v2:k1:" + body, string(aad), ErrMalformed, ""},
		{"no key id", r, "v1:" + body, string(aad), ErrMalformed, ""},
		{"plain text", r, token, string(aad), ErrMalformed, ""},
		{"empty", r, "", string(aad), ErrMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.Open(tt.sealed, []byte(tt.aad))
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("Open = %q, %v; want %v", got, err, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.naming) {
				t.Errorf("error %q does not name key %s", msg, tt.naming)
			}
			for _, leak := range []string{token, "SUPER", body[:10], base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeySize))} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q shows %q", msg, leak)
				}
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old, fresh := mustKey(t, "2025a", 1), mustKey(t, "2026a", 2)
	before := mustRing(t, old)
	aad := []byte("webhook:key-7:signing_secret")
	sealedOld, err := before.Seal([]byte("whsec_old"), aad)
	if err != nil {
		t.Fatal(err)
	}
	after := mustRing(t, fresh, old)
	if after.CurrentID() != "2026a" {
		t.Errorf("current id %q, want 2026a", after.CurrentID())
	}
	if got, err := after.Open(sealedOld, aad); err != nil || string(got) != "whsec_old" {
		t.Errorf("the old key no longer opens its secret: %q, %v", got, err)
	}
	sealedNew, err := after.Seal([]byte("whsec_new"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealedNew, "v1:2026a:") {
		t.Errorf("sealed %q, want it under the new key 2026a", sealedNew)
	}
	if _, err := before.Open(sealedNew, aad); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"2026a"`) {
		t.Errorf("a keyring without the new key: %v, want unknown key 2026a", err)
	}
}

func TestNewKeyAndKeyring(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, KeySize)
	for _, tt := range []struct {
		id  string
		raw []byte
		ok  bool
	}{
		{"k1", raw, true},
		{"2026-01_main.a", raw, true},
		{strings.Repeat("a", 64), raw, true},
		{strings.Repeat("a", 65), raw, false},
		{"", raw, false},
		{"k:1", raw, false},
		{"k 1", raw, false},
		{"clé", raw, false},
		{"k1", raw[:16], false},
		{"k1", append(raw, 0), false},
	} {
		_, err := NewKey(tt.id, tt.raw)
		if (err == nil) != tt.ok {
			t.Errorf("NewKey(%q, %d bytes) error %v, want ok %v", tt.id, len(tt.raw), err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), string(tt.raw)) {
			t.Errorf("error shows the key: %v", err)
		}
	}
	if _, err := NewKeyring(mustKey(t, "k1", 1), mustKey(t, "k1", 2)); err == nil {
		t.Error("two keys with one id accepted")
	}
	if _, err := NewKeyring(Key{}); err == nil {
		t.Error("a zero Key accepted")
	}
	a, _ := GenerateKey()
	b, _ := GenerateKey()
	if a.ID() == b.ID() || a.raw == b.raw || !validID(a.ID()) {
		t.Errorf("generated keys %s and %s are not distinct, valid keys", a, b)
	}
}

// TestPrintingHidesKeys: a key or keyring logged by mistake shows only its id.
func TestPrintingHidesKeys(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, KeySize)
	k, err := NewKey("k1", raw)
	if err != nil {
		t.Fatal(err)
	}
	r := mustRing(t, k)
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		for _, v := range []any{k, r, &k, []Key{k}} {
			out := fmt.Sprintf(format, v)
			if strings.Contains(out, hex.EncodeToString(raw[:4])) || strings.Contains(out, string(raw[:4])) ||
				strings.Contains(out, base64.StdEncoding.EncodeToString(raw)[:8]) || strings.Contains(out, "171 171") {
				t.Errorf("Sprintf(%q, %T) shows key bytes: %s", format, v, out)
			}
		}
	}
}
