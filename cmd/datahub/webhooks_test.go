package main

import (
	"encoding/base64"
	"strings"
	"testing"
)

// lastLine is the last line a command printed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// wantSecret fails unless s is whsec_ and the base64 of 32 bytes.
func wantSecret(t *testing.T, s string) {
	t.Helper()
	b64, ok := strings.CutPrefix(s, "whsec_")
	if b, err := base64.StdEncoding.DecodeString(b64); !ok || err != nil || len(b) != 32 {
		t.Fatalf("secret %q is not whsec_ and the base64 of 32 bytes", s)
	}
}

func TestWebhooksCommands(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) result {
		t.Helper()
		return datahub(t, nil, append(args, "--data", data)...)
	}
	key := createKey(t, data, "CFS")
	prefix := key[:11]

	r := run("webhooks", "set", "--url", "https://example.gc.ca/hooks", key)
	if r.code != 0 {
		t.Fatalf("set: %d %q %q", r.code, r.stdout, r.stderr)
	}
	first := lastLine(r.stdout)
	wantSecret(t, first)
	if !strings.Contains(r.stdout, prefix) || !strings.Contains(r.stdout, "only this once") {
		t.Errorf("set says %q", r.stdout)
	}
	// Set again (by prefix, the flag after it): the URL changes, the secret stays and is not shown.
	r = run("webhooks", "set", prefix, "--url", "https://example.gc.ca/hooks/v2")
	if r.code != 0 || strings.Contains(r.stdout, "whsec_") || !strings.Contains(r.stdout, "keeps its signing secret") {
		t.Fatalf("set again: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run("webhooks", "rotate", prefix)
	if r.code != 0 || !strings.Contains(r.stdout, "old one also signs until") {
		t.Fatalf("rotate: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if second := lastLine(r.stdout); second == first {
		t.Fatal("rotate printed the same secret")
	} else {
		wantSecret(t, second)
	}
	r = run("webhooks", "list")
	if r.code != 0 || !strings.Contains(r.stdout, prefix) || !strings.Contains(r.stdout, "https://example.gc.ca/hooks/v2") ||
		!strings.Contains(r.stdout, "CFS") || !strings.Contains(r.stdout, "active") {
		t.Fatalf("list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run("webhooks", "remove", key); r.code != 0 || !strings.Contains(r.stdout, "Removed") {
		t.Fatalf("remove: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run("webhooks", "list"); r.code != 0 || strings.Contains(r.stdout, prefix) {
		t.Fatalf("list after remove: %d %q", r.code, r.stdout)
	}
	// A missing endpoint or key is an error (exit 1) in one line.
	for _, args := range [][]string{
		{"webhooks", "remove", prefix},
		{"webhooks", "rotate", prefix},
		{"webhooks", "set", "--url", "https://example.gc.ca/hooks", "dh_zzzzzzzz"},
	} {
		if r := run(args...); r.code != 1 || !strings.Contains(r.stderr, "no API key") {
			t.Errorf("%v: exit %d, stderr %q; want 1", args, r.code, r.stderr)
		}
	}
	// Mistakes in the command line are usage errors (exit 2) in one line.
	for _, bad := range [][]string{
		{"webhooks"},
		{"webhooks", "frobnicate"},
		{"webhooks", "set", prefix},
		{"webhooks", "set", "--url", "ftp://example.gc.ca/x", prefix},
		{"webhooks", "set", "--url", "https://user:pw@example.gc.ca/x", prefix},
		{"webhooks", "set", "--url", "https://example.gc.ca/x", "not-a-key"},
		{"webhooks", "rotate"},
		{"webhooks", "remove", prefix, prefix},
		{"webhooks", "list", "extra"},
	} {
		if r := run(bad...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", bad, r.code, r.stderr)
		}
	}
}
