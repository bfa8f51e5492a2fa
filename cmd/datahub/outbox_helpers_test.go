package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/mail"
)

// email is one message of the outbox (DATA/outbox/*.eml), decoded.
type email = mail.Stored

// readOutbox returns the messages in DATA/outbox in the order they were written.
func readOutbox(t *testing.T, data string) []email {
	t.Helper()
	msgs, err := mail.ReadOutbox(filepath.Join(data, "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// outboxMark is the set of messages in the outbox at one moment, so that a
// test can wait for the ones an action sends after it. (File times are too
// coarse for that: the kernel stamps them from a clock that ticks every few ms.)
type outboxMark map[string]bool

// markOutbox notes the messages now in the outbox.
func markOutbox(t *testing.T, data string) outboxMark {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(data, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	mark := outboxMark{}
	for _, f := range files {
		mark[filepath.Base(f)] = true
	}
	return mark
}

// waitEmail waits for the newest message to addr, not in since, that match
// accepts, and returns it; what names it in the failure. Mail goes out from a
// job, a moment after the request that caused it.
func waitEmail(t *testing.T, data, addr string, since outboxMark, match func(email) bool, what string) email {
	t.Helper()
	addr = strings.ToLower(addr)
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs := readOutbox(t, data)
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if slices.Contains(m.To, addr) && !since[filepath.Base(m.Path)] && match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, m := range msgs {
				seen = append(seen, fmt.Sprintf("%s to %v: %q", filepath.Base(m.Path), m.To, m.Subject))
			}
			t.Fatalf("no new %s message to %s; the outbox holds:\n%s", what, addr, strings.Join(seen, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var signInLinkPattern = regexp.MustCompile(`https?://[^\s<>"']+/signin/verify\?token=[A-Za-z0-9._~%-]+`)

// signInLink waits for a sign-in message to addr, not in since, and returns
// its link, which must start with publicURL and appear in both parts.
func signInLink(t *testing.T, data, addr string, since outboxMark, publicURL string) string {
	t.Helper()
	m := waitEmail(t, data, addr, since, func(m email) bool {
		return strings.Contains(m.Text, "/signin/verify?token=")
	}, "sign-in")
	link := signInLinkPattern.FindString(m.Text)
	if link == "" {
		t.Fatalf("%s: no sign-in link in the text:\n%s", m.Path, m.Text)
	}
	if !strings.HasPrefix(link, publicURL+"/signin/verify?token=") {
		t.Fatalf("%s: the sign-in link %s is not on the public URL %s", m.Path, link, publicURL)
	}
	if m.HTML != "" && !strings.Contains(m.HTML, link) {
		t.Fatalf("%s: the HTML part lacks the link of the text part, %s", m.Path, link)
	}
	return link
}
