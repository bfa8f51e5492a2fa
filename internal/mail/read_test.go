package mail

import (
	"context"
	"strings"
	"testing"
)

func TestReadOutboxDecodesWhatWasSent(t *testing.T) {
	dir := t.TempDir()
	o, err := NewOutbox(dir, "DataHub <datahub@example.gc.ca>", nil)
	if err != nil {
		t.Fatal(err)
	}
	long := "https://datahub.example.gc.ca/signin/verify?token=" + strings.Repeat("Ab-_", 11)
	for _, to := range []string{"alice@example.gc.ca", "bob@example.gc.ca"} {
		if err := o.Send(context.Background(), SignInLink(Data{To: []string{to}, SignInURL: long})); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := ReadOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].To[0] != "alice@example.gc.ca" || msgs[1].To[0] != "bob@example.gc.ca" {
		t.Fatalf("messages %+v", msgs)
	}
	m := msgs[1]
	if !strings.Contains(m.Text, long) {
		t.Fatalf("the decoded text must hold the whole link %s:\n%s", long, m.Text)
	}
	if !strings.Contains(m.HTML, long) || !strings.Contains(m.Subject, "/") || strings.Contains(m.Subject, "=?") || m.Date.IsZero() {
		t.Fatalf("subject %q date %v", m.Subject, m.Date)
	}
}
