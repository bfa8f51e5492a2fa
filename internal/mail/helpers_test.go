package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
)

// sample has every field set, with markup in the user text so escaping shows.
func sample() Data {
	return Data{
		To:         []string{"Céline Tremblay <celine@example.gc.ca>"},
		ReplyTo:    "opendata@example.gc.ca",
		TitleEN:    `Forest <script>alert("en")</script> inventory`,
		TitleFR:    `Inventaire forestier <script>alert("fr")</script> été`,
		FlowURL:    "https://datahub.example.gc.ca/flow/0b6e3c1a",
		SignInURL:  "https://datahub.example.gc.ca/signin/tok3n",
		ValidFor:   15 * time.Minute,
		QueueURL:   "https://datahub.example.gc.ca/queue",
		DatasetURL: "https://registry.example.gc.ca/dataset/0b6e3c1a",
		Reason:     "Fix the <b>title</b>.\nAdd French keywords.",
		Detail:     "ckan package_create: 409 <conflict>",
	}
}

// parsed is an .eml read back the way a mail client would.
type parsed struct {
	Header  netmail.Header
	Subject string
	To      []*netmail.Address
	Text    string
	HTML    string
}

func parseEML(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	var p parsed
	p.Header = msg.Header
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	if p.To, err = msg.Header.AddressList("To"); err != nil {
		t.Fatalf("to: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body := decodePart(t, part)
		ct, cp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part %s charset %q, want UTF-8", ct, cp["charset"])
		}
		switch ct {
		case "text/plain":
			p.Text = body
		case "text/html":
			p.HTML = body
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	if p.Text == "" || p.HTML == "" {
		t.Fatalf("want both parts; text %d bytes, html %d bytes", len(p.Text), len(p.HTML))
	}
	return p
}

func decodePart(t *testing.T, part *multipart.Part) string {
	t.Helper()
	var r io.Reader = part
	switch enc := strings.ToLower(part.Header.Get("Content-Transfer-Encoding")); enc {
	case "quoted-printable":
		r = quotedprintable.NewReader(part)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected transfer encoding %q", enc)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read part: %v", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}
