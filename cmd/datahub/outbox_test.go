package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/mail"
)

func TestOutboxPrintsTheNewestMessages(t *testing.T) {
	data := t.TempDir()
	if r := datahub(t, nil, "outbox", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "no messages") {
		t.Fatalf("empty outbox: %d %q %q", r.code, r.stdout, r.stderr)
	}
	o, err := mail.NewOutbox(filepath.Join(data, "outbox"), "DataHub <datahub@example.gc.ca>", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"ann@example.gc.ca", "bob@example.gc.ca", "ann@example.gc.ca"} {
		link := "https://datahub.example/signin/verify?token=for-" + strings.Split(to, "@")[0]
		if err := o.Send(context.Background(), mail.SignInLink(mail.Data{To: []string{to}, SignInURL: link})); err != nil {
			t.Fatal(err)
		}
	}
	r := datahub(t, nil, "outbox", "--data", data, "--to", "BOB@example.gc.ca")
	if r.code != 0 || !strings.Contains(r.stdout, "token=for-bob") || strings.Contains(r.stdout, "for-ann") {
		t.Fatalf("--to: %d %q", r.code, r.stdout)
	}
	r = datahub(t, nil, "outbox", "--data", data, "--last", "0")
	if r.code != 0 || strings.Count(r.stdout, "Subject: ") != 3 {
		t.Fatalf("--last 0: %d %q", r.code, r.stdout)
	}
	if r := datahub(t, nil, "outbox", "--data", data, "--last", "-1"); r.code != 2 {
		t.Fatalf("--last -1: exit %d", r.code)
	}
}
