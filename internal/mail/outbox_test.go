package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

const testFrom = "DataHub <datahub@example.gc.ca>"

func newTestOutbox(t *testing.T) (*Outbox, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	o, err := NewOutbox(filepath.Join(t.TempDir(), "outbox"), testFrom, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return o, &logs
}

func outboxFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

var emlName = regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{32}\.eml$`)

func TestOutboxWritesAParsableMessage(t *testing.T) {
	o, logs := newTestOutbox(t)
	d := sample()
	m := SignInLink(d)
	if err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	names := outboxFiles(t, o.Dir())
	if len(names) != 1 || !emlName.MatchString(names[0]) {
		t.Fatalf("outbox holds %q, want one time-id.eml", names)
	}
	path := filepath.Join(o.Dir(), names[0])
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes; RFC 5322 allows 998", i+1, len(line))
		}
	}
	p := parseEML(t, raw)
	if p.Subject != m.Subject || !strings.Contains(p.Subject, "Votre lien de connexion") {
		t.Errorf("subject %q, want %q", p.Subject, m.Subject)
	}
	if len(p.To) != 1 || p.To[0].Name != "Céline Tremblay" || p.To[0].Address != "celine@example.gc.ca" {
		t.Errorf("to %v", p.To)
	}
	if from, err := p.Header.AddressList("From"); err != nil || from[0].Address != "datahub@example.gc.ca" {
		t.Errorf("from %v (%v)", from, err)
	}
	if rt, err := p.Header.AddressList("Reply-To"); err != nil || rt[0].Address != d.ReplyTo {
		t.Errorf("reply-to %v (%v)", rt, err)
	}
	id := p.Header.Get("Message-Id")
	if !regexp.MustCompile(`^<[0-9a-f]{32}@example\.gc\.ca>$`).MatchString(id) {
		t.Errorf("message-id %q", id)
	}
	if !strings.Contains(names[0], strings.Trim(strings.Split(id, "@")[0], "<")) {
		t.Errorf("file %s not named by message-id %s", names[0], id)
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("date: %v", err)
	}
	if p.Header.Get("Mime-Version") != "1.0" {
		t.Errorf("MIME-Version %q", p.Header.Get("Mime-Version"))
	}
	if !strings.Contains(p.Text, d.SignInURL) || !strings.Contains(p.HTML, d.SignInURL) {
		t.Errorf("the link is missing from a part")
	}
	if !strings.Contains(p.Text, "Si vous n'avez pas demandé à vous connecter") {
		t.Errorf("French accents did not survive:\n%s", p.Text)
	}

	log := logs.String()
	if strings.Count(log, "\n") != 1 || !strings.Contains(log, path) || !strings.Contains(log, "celine@example.gc.ca") ||
		!strings.Contains(log, "Your DataHub sign-in link") {
		t.Errorf("want one line with to, subject and path, got:\n%s", log)
	}
	if strings.Contains(log, "tok3n") || strings.Contains(log, "signin") {
		t.Errorf("the sign-in link leaked into the log:\n%s", log)
	}
}

func TestOutboxConcurrentSendsGetUniqueFiles(t *testing.T) {
	o, _ := newTestOutbox(t)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := sample()
			d.TitleEN = fmt.Sprintf("Dataset %d", i)
			errs <- o.Send(context.Background(), Approved(d))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	names := outboxFiles(t, o.Dir())
	if len(names) != n {
		t.Fatalf("%d files for %d sends: %q", len(names), n, names)
	}
	for _, name := range names {
		if !emlName.MatchString(name) {
			t.Errorf("unexpected file %q (a temp file left behind?)", name)
		}
	}
}

func TestOutboxNamesSortBySendOrder(t *testing.T) {
	o, _ := newTestOutbox(t)
	for _, id := range []string{"ccc@x", "bbb@x", "aaa@x"} {
		m := Published(sample())
		m.ID = id
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	names := outboxFiles(t, o.Dir())
	slices.Sort(names)
	var order []string
	for _, n := range names {
		order = append(order, strings.TrimSuffix(n[strings.IndexByte(n, '-')+1:], ".eml"))
	}
	if !slices.Equal(order, []string{"ccc", "bbb", "aaa"}) {
		t.Errorf("sorted names give %q, want send order", order)
	}
}

func TestOutboxRefusesAndLeavesNothing(t *testing.T) {
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	good := Approved(sample())
	noTo, badTo, noSubject, noBody := good, good, good, good
	noTo.To = nil
	badTo.To = []string{"not an address"}
	noSubject.Subject = " "
	noBody.Text, noBody.HTML = "", ""
	for _, tc := range []struct {
		name string
		ctx  context.Context
		m    Message
		want string
	}{
		{"canceled", canceled, good, "context canceled"},
		{"no recipient", ctx, noTo, "no recipient"},
		{"bad recipient", ctx, badTo, "message to"},
		{"no subject", ctx, noSubject, "empty subject"},
		{"no body", ctx, noBody, "empty body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, _ := newTestOutbox(t)
			err := o.Send(tc.ctx, tc.m)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "outbox send: ") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.name == "canceled" && !errors.Is(err, context.Canceled) {
				t.Errorf("err %v does not wrap context.Canceled", err)
			}
			if names, err := os.ReadDir(o.Dir()); err == nil && len(names) > 0 {
				t.Errorf("files left behind: %v", names)
			}
		})
	}
}

func TestNewOutboxChecksFrom(t *testing.T) {
	for _, from := range []string{"", "not an address", "DataHub <>"} {
		if _, err := NewOutbox(t.TempDir(), from, nil); err == nil {
			t.Errorf("NewOutbox(from %q) accepted", from)
		}
	}
	if _, err := NewOutbox("", testFrom, nil); err == nil {
		t.Error("NewOutbox accepted an empty directory")
	}
}

func TestNewChoosesTheMailer(t *testing.T) {
	m, err := New(Config{From: testFrom, OutboxDir: t.TempDir()})
	if _, ok := m.(*Outbox); err != nil || !ok {
		t.Errorf("no SMTP URL: got %T, %v; want *Outbox", m, err)
	}
	m, err = New(Config{SMTPURL: "smtp://relay.example.gc.ca", From: testFrom})
	if _, ok := m.(*SMTP); err != nil || !ok {
		t.Errorf("SMTP URL: got %T, %v; want *SMTP", m, err)
	}
	if _, err := New(Config{SMTPURL: "http://relay.example.gc.ca", From: testFrom}); err == nil {
		t.Error("a bad SMTP URL was accepted")
	}
}
