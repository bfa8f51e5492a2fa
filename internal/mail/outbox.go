package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/atomicfile"
)

// Outbox writes each message as an .eml file into a folder instead of sending it: the embedded default,
// so a laptop runs the whole workflow and a developer opens the sign-in link from the file.
type Outbox struct {
	dir  string
	from *netmail.Address
	log  *slog.Logger
}

// NewOutbox writes into dir (usually DATA/outbox, created on first send) with from as the sender.
func NewOutbox(dir, from string, log *slog.Logger) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("new outbox: empty directory")
	}
	addr, err := parseFrom(from)
	if err != nil {
		return nil, fmt.Errorf("new outbox: %w", err)
	}
	return &Outbox{dir: dir, from: addr, log: orDefault(log)}, nil
}

// Dir is the folder the messages land in.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m to a new file named by time and Message-ID, so names sort by arrival and never collide.
// The file appears whole or not at all (atomicfile). The body is never logged: it may hold a
// sign-in link.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("outbox send: %w", err)
	}
	now := time.Now()
	m, err := m.complete(o.from, now)
	if err != nil {
		return fmt.Errorf("outbox send: %w", err)
	}
	msg, err := m.build(o.from)
	if err != nil {
		return fmt.Errorf("outbox send: %w", err)
	}
	path := filepath.Join(o.dir, fileName(now, m.ID))
	if err := atomicfile.Write(path, msg); err != nil {
		return fmt.Errorf("outbox send: %w", err)
	}
	o.log.InfoContext(ctx, "mail written to outbox",
		slog.String("to", strings.Join(m.To, ", ")), slog.String("subject", m.Subject), slog.String("path", path))
	return nil
}

// fileName is the UTC time to the nanosecond (fixed width, so names sort) and the Message-ID's local part.
func fileName(t time.Time, id string) string {
	local, _, _ := strings.Cut(id, "@")
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, local)
	if len(safe) > 64 {
		safe = safe[:64]
	}
	return t.UTC().Format("20060102T150405.000000000Z") + "-" + safe + ".eml"
}
