package webhook_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opendata-datahub/datahub/internal/webhook"
)

// Signatures verify with the Standard Webhooks reference library, one per secret in force.
func TestSignatureVerifiesWithTheReferenceLibrary(t *testing.T) {
	current, old, other := webhook.NewSecret(), webhook.NewSecret(), webhook.NewSecret()
	for _, s := range []string{current, old} {
		b64, ok := strings.CutPrefix(s, "whsec_")
		if raw, err := base64.StdEncoding.DecodeString(b64); !ok || err != nil || len(raw) != 32 {
			t.Fatalf("secret %q", s)
		}
	}
	body := []byte(`{"id":"evt_0000000000000001","type":"submission.received"}`)
	at := time.Now()
	for _, tt := range []struct {
		name    string
		secrets []string
		valid   []string
		invalid []string
	}{
		{"one secret", []string{current}, []string{current}, []string{old, other}},
		{"during a rotation", []string{current, old}, []string{current, old}, []string{other}},
		{"an empty old secret is left out", []string{current, ""}, []string{current}, []string{old}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := webhook.Signature("evt_0000000000000001", at, body, tt.secrets...)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Fields(sig)); n != len(tt.valid) {
				t.Fatalf("%d signatures in %q, want %d", n, sig, len(tt.valid))
			}
			h := http.Header{}
			h.Set("webhook-id", "evt_0000000000000001")
			h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
			h.Set("webhook-signature", sig)
			for _, s := range tt.valid {
				wh, _ := standardwebhooks.NewWebhook(s)
				if err := wh.Verify(body, h); err != nil {
					t.Errorf("does not verify with a secret in force: %v", err)
				}
			}
			for _, s := range tt.invalid {
				wh, _ := standardwebhooks.NewWebhook(s)
				if wh.Verify(body, h) == nil {
					t.Error("verifies with a secret not in force")
				}
			}
			// Another body or id does not verify.
			wh, _ := standardwebhooks.NewWebhook(current)
			if wh.Verify([]byte(`{}`), h) == nil {
				t.Error("verifies another body")
			}
		})
	}
	for _, bad := range [][]string{nil, {""}, {"not-a-secret"}, {"whsec_!!"}} {
		if _, err := webhook.Signature("evt_1", at, body, bad...); err == nil {
			t.Errorf("secrets %q accepted", bad)
		}
	}
}
