package mail

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
	"slices"
	"strings"
	"time"
)

// Stored is a message read back from the outbox.
type Stored struct {
	Path    string
	To      []string // addresses only, lower-cased
	Subject string
	Date    time.Time
	Text    string // the plain-text body, decoded
	HTML    string // the HTML body, decoded; "" when there is none
}

// ReadOutbox returns the messages in an outbox folder, oldest first, so that
// people trying the service on a laptop (and tests) can read what was sent.
func ReadOutbox(dir string) ([]Stored, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files) // names start with the time, fixed width
	out := make([]Stored, 0, len(files))
	for _, f := range files {
		m, err := readStored(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func readStored(path string) (Stored, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Stored{}, err
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Stored{}, err
	}
	s := Stored{Path: path}
	dec := new(mime.WordDecoder)
	if s.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Stored{}, fmt.Errorf("subject: %w", err)
	}
	if to, err := msg.Header.AddressList("To"); err == nil {
		for _, a := range to {
			s.To = append(s.To, strings.ToLower(a.Address))
		}
	}
	s.Date, _ = msg.Header.Date()
	err = s.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return s, err
}

// readPart keeps the text and HTML bodies of a part, descending into
// multiparts, and decodes quoted-printable and base64.
func (s *Stored) readPart(contentType, encoding string, body io.Reader) error {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = "text/plain" // RFC 2045's default
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // raw: decoded below, for every encoding alike
			if err == io.EOF {
				return nil
			} else if err != nil {
				return fmt.Errorf("%s: %w", media, err)
			}
			if err := s.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
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
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s (%s): %w", media, encoding, err)
	}
	switch media {
	case "text/plain":
		s.Text = string(b)
	case "text/html":
		s.HTML = string(b)
	}
	return nil
}
