package mail

import (
	"bytes"
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
	To      []string // addresses only
	Subject string
	Date    time.Time
	Text    string // the plain-text body, decoded
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
			s.To = append(s.To, a.Address)
		}
	}
	s.Date, _ = msg.Header.Date()
	s.Text, err = plainText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return s, err
}

// plainText finds the text/plain part of a body, in a multipart one or not, and decodes it.
func plainText(contentType, encoding string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return "", nil
			} else if err != nil {
				return "", err
			}
			text, err := plainText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if err != nil || text != "" {
				return text, err
			}
		}
	}
	if mt != "text/plain" {
		return "", nil
	}
	if strings.EqualFold(encoding, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}
