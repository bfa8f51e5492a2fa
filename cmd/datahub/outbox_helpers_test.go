package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// email is one message of the outbox (DATA/outbox/*.eml), decoded.
type email struct {
	file    string
	to      []string // bare addresses
	subject string
	text    string // the text/plain part
	html    string // the text/html part
}

// readOutbox returns the messages in DATA/outbox in the order they were written.
func readOutbox(t *testing.T, data string) []email {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(data, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []email
	for _, f := range files {
		m, err := readEmail(f)
		if err != nil {
			t.Fatalf("outbox %s: %v", filepath.Base(f), err)
		}
		out = append(out, m)
	}
	// The names start with the time of writing, to the nanosecond.
	slices.SortFunc(out, func(a, b email) int { return strings.Compare(a.file, b.file) })
	return out
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

// readEmail decodes an RFC 5322 message: a multipart/alternative of text and
// HTML, or a single part, each quoted-printable, base64 or plain.
func readEmail(file string) (email, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return email{}, err
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return email{}, fmt.Errorf("parse: %w", err)
	}
	m := email{file: filepath.Base(file)}
	to, err := msg.Header.AddressList("To")
	if err != nil {
		return m, fmt.Errorf("To: %w", err)
	}
	for _, a := range to {
		m.to = append(m.to, strings.ToLower(a.Address))
	}
	if m.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("Subject: %w", err)
	}
	err = m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

// readPart keeps the text and HTML bodies of a part, descending into multiparts.
func (m *email) readPart(contentType, encoding string, body io.Reader) error {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", contentType, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: the decoding below is done here, for every encoding alike.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", media, err)
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s (%s): %w", media, encoding, err)
	}
	switch media {
	case "text/plain":
		m.text = string(text)
	case "text/html":
		m.html = string(text)
	}
	return nil
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
			if slices.Contains(m.to, addr) && !since[m.file] && match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, m := range msgs {
				seen = append(seen, fmt.Sprintf("%s to %v: %q", m.file, m.to, m.subject))
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
		return strings.Contains(m.text, "/signin/verify?token=")
	}, "sign-in")
	link := signInLinkPattern.FindString(m.text)
	if link == "" {
		t.Fatalf("%s: no sign-in link in the text:\n%s", m.file, m.text)
	}
	if !strings.HasPrefix(link, publicURL+"/signin/verify?token=") {
		t.Fatalf("%s: the sign-in link %s is not on the public URL %s", m.file, link, publicURL)
	}
	if m.html != "" && !strings.Contains(m.html, link) {
		t.Fatalf("%s: the HTML part lacks the link of the text part, %s", m.file, link)
	}
	return link
}
