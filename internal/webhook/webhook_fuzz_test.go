package webhook

import (
	"strings"
	"testing"
	"time"
)

// FuzzSignature: any id and body sign without error under a valid secret,
// the same input always gives the same signature, and a changed body changes it.
func FuzzSignature(f *testing.F) {
	f.Add("evt_000000000000002a", []byte(`{"id":"evt_000000000000002a"}`), int64(1700000000))
	f.Add("", []byte{}, int64(0))
	f.Add("msg_\x00\xff", []byte("\x00\x01"), int64(-1))
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	f.Fuzz(func(t *testing.T, id string, body []byte, unix int64) {
		ts := time.Unix(unix, 0)
		a, err := Signature(id, ts, body, secret)
		if err != nil || !strings.HasPrefix(a, "v1,") {
			t.Fatalf("signature %q, %v", a, err)
		}
		if b, _ := Signature(id, ts, body, secret); b != a {
			t.Fatal("the same message signed twice differs")
		}
		if c, _ := Signature(id, ts, append(body, 'x'), secret); c == a {
			t.Fatal("a changed body kept its signature")
		}
	})
}
