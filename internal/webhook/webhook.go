// Package webhook signs events as the Standard Webhooks specification says
// (https://www.standardwebhooks.com): secrets "whsec_" + base64 of random
// bytes, and a webhook-signature of "v1," + base64 of the HMAC-SHA256 of
// "id.timestamp.body" under each secret in force.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/secret"
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

// EndpointStore is what managing endpoints needs of the store (*store.DB is one).
type EndpointStore interface {
	SetWebhook(ctx context.Context, prefix, url, sealedSecret string) (created bool, err error)
	RotateWebhook(ctx context.Context, prefix, sealedSecret string, oldUntil time.Time) error
}

// Endpoints is the one way keys' endpoints are set and their secrets made,
// for the command line, the API and the admin page.
type Endpoints struct {
	Store EndpointStore
	Keys  *secret.Keyring // seals the signing secrets; nil refuses to make one
}

// Set points the key's endpoint at url. A new endpoint gets a signing secret,
// returned to be shown once; an existing one keeps its secret ("" is returned).
func (e Endpoints) Set(ctx context.Context, prefix, url string, now time.Time) (string, error) {
	if err := opendata.CheckWebhookURL(url); err != nil {
		return "", err
	}
	s, sealed, err := e.newSecret(prefix)
	if err != nil {
		return "", err
	}
	created, err := e.Store.SetWebhook(ctx, prefix, url, sealed)
	if err != nil || !created {
		return "", err
	}
	return s, nil
}

// Rotate gives the key's endpoint a new secret, returned to be shown once;
// the old one signs too, as a second signature, for opendata.WebhookOldSecretFor.
func (e Endpoints) Rotate(ctx context.Context, prefix string, now time.Time) (string, error) {
	s, sealed, err := e.newSecret(prefix)
	if err != nil {
		return "", err
	}
	if err := e.Store.RotateWebhook(ctx, prefix, sealed, now.Add(opendata.WebhookOldSecretFor)); err != nil {
		return "", err
	}
	return s, nil
}

func (e Endpoints) newSecret(prefix string) (plain, sealed string, err error) {
	if e.Keys == nil {
		return "", "", errors.New("no secret key is configured to seal webhook secrets (--secret-key-file)")
	}
	plain = NewSecret()
	sealed, err = e.Keys.Seal([]byte(plain), SecretAAD(prefix))
	return plain, sealed, err
}
