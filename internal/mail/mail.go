// Package mail builds the bilingual workflow messages and delivers them over SMTP or, by default, into an
// outbox folder of .eml files so the whole flow runs on a laptop without a mail server.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one email, ready to send. Constructors such as SignInLink fill it; a Mailer sets ID and Date
// when they are empty.
type Message struct {
	To      []string  // recipients, each an address such as "name@example.gc.ca" or "Name <name@example.gc.ca>"
	ReplyTo string    // optional
	Lang    string    // the language that comes first, "en" or "fr" (Content-Language lists it first); "" is "en"
	Subject string    // "English subject / Sujet français", or French first when Lang is "fr"
	Text    string    // the plain-text body
	HTML    string    // the HTML body; sent as the multipart/alternative twin of Text
	ID      string    // the Message-ID without angle brackets; generated when empty
	Date    time.Time // generated (now) when zero
}

// Mailer delivers a message.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Config chooses and configures the Mailer; it comes from flags (--smtp-url) and the data directory.
type Config struct {
	SMTPURL   string       // empty writes messages to OutboxDir instead
	From      string       // the From address, e.g. "DataHub <datahub@example.gc.ca>"
	OutboxDir string       // usually DATA/outbox
	Logger    *slog.Logger // nil uses slog.Default()
}

// New returns the SMTP mailer when cfg.SMTPURL is set and the outbox otherwise.
func New(cfg Config) (Mailer, error) {
	if cfg.SMTPURL == "" {
		return NewOutbox(cfg.OutboxDir, cfg.From, cfg.Logger)
	}
	sc, err := ParseSMTPURL(cfg.SMTPURL)
	if err != nil {
		return nil, err
	}
	return NewSMTP(sc, cfg.From, cfg.Logger)
}

// parseFrom checks the From address once, when a Mailer is built, rather than on every send.
func parseFrom(from string) (*netmail.Address, error) {
	if strings.TrimSpace(from) == "" {
		return nil, errors.New("from address: empty")
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from address %q: %w", from, err)
	}
	return addr, nil
}

// complete validates m and fills its Message-ID and Date.
func (m Message) complete(from *netmail.Address, now time.Time) (Message, error) {
	if len(m.To) == 0 {
		return m, errors.New("message: no recipient")
	}
	if strings.TrimSpace(m.Subject) == "" {
		return m, errors.New("message: empty subject")
	}
	if m.Text == "" && m.HTML == "" {
		return m, errors.New("message: empty body")
	}
	m.ID = strings.Trim(strings.TrimSpace(m.ID), "<>")
	if m.ID == "" {
		id, err := newMessageID(from.Address)
		if err != nil {
			return m, err
		}
		m.ID = id
	}
	if m.Date.IsZero() {
		m.Date = now
	}
	return m, nil
}

// newMessageID makes a random Message-ID in the sender's domain, as RFC 5322 §3.6.4 suggests.
func newMessageID(fromAddr string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	domain := "datahub.invalid"
	if i := strings.LastIndexByte(fromAddr, '@'); i >= 0 && i < len(fromAddr)-1 {
		domain = fromAddr[i+1:]
	}
	return hex.EncodeToString(b[:]) + "@" + domain, nil
}

// build turns a completed message into a MIME message: UTF-8, quoted-printable, encoded headers, and
// multipart/alternative when both bodies are present.
func (m Message) build(from *netmail.Address) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("message to: %w", err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, fmt.Errorf("message reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID)
	msg.SetDateWithValue(m.Date)
	if m.Lang == "fr" {
		msg.SetGenHeader(gomail.HeaderContentLang, "fr, en")
	} else {
		msg.SetGenHeader(gomail.HeaderContentLang, "en, fr")
	}
	// RFC 3834: tells autoresponders (out-of-office) not to answer a notification.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

func orDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// LinkSender emails one-time sign-in links through a Mailer: what the pages need of mail.
type LinkSender struct{ Mailer Mailer }

// SendSignInLink sends link to to, saying how long it works, with lang ("en"
// or "fr": the language of the page that asked for it) first.
func (s LinkSender) SendSignInLink(ctx context.Context, to, link string, validFor time.Duration, lang string) error {
	return s.Mailer.Send(ctx, SignInLink(Data{To: []string{to}, SignInURL: link, ValidFor: validFor, Lang: lang}))
}
