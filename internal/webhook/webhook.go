// Package webhook signs events as the Standard Webhooks specification says
// (https://www.standardwebhooks.com): secrets "whsec_" + base64 of random
// bytes, and a webhook-signature of "v1," + base64 of the HMAC-SHA256 of
// "id.timestamp.body" under each secret in force.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

const secretPrefix = "whsec_"

// NewSecret returns a new signing secret: whsec_ and base64 of 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ErrSecret is the error of a secret that is not whsec_ and base64.
var ErrSecret = errors.New("webhook: a signing secret is whsec_ followed by base64")

func key(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, secretPrefix)
	k, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(k) == 0 {
		return nil, ErrSecret
	}
	return k, nil
}

// Signature returns the webhook-signature header of a message: one
// "v1,<base64>" per secret, separated by spaces (the current secret first,
// then one being rotated out).
func Signature(id string, ts time.Time, body []byte, secrets ...string) (string, error) {
	signed := id + "." + strconv.FormatInt(ts.Unix(), 10) + "."
	var parts []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		k, err := key(s)
		if err != nil {
			return "", err
		}
		m := hmac.New(sha256.New, k)
		m.Write([]byte(signed))
		m.Write(body)
		parts = append(parts, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	if len(parts) == 0 {
		return "", ErrSecret
	}
	return strings.Join(parts, " "), nil
}

// SecretAAD binds a sealed signing secret to its key's endpoint.
func SecretAAD(keyPrefix string) []byte { return []byte("webhook:" + keyPrefix + ":secret") }
