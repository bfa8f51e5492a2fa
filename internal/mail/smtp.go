package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode is how the SMTP connection is protected.
type TLSMode int

// The TLS modes of --smtp-url.
const (
	TLSStartTLS TLSMode = iota // smtp://: plain connect, then STARTTLS, required (the default)
	TLSImplicit                // smtps://: TLS from the first byte
	TLSNone                    // smtp://…?tls=none: no TLS at all, only for a local relay
)

func (m TLSMode) String() string {
	switch m {
	case TLSStartTLS:
		return "starttls"
	case TLSImplicit:
		return "implicit"
	case TLSNone:
		return "none"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// DefaultSMTPTimeout bounds the dial and each SMTP command when the URL sets no timeout.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig is how to reach the mail server, parsed from --smtp-url.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      TLSMode
	Username string // empty: no SMTP AUTH
	Password string
	Timeout  time.Duration // dial and each command; 0 means DefaultSMTPTimeout
	// TLSConfig overrides the TLS settings, e.g. to trust a private CA; nil uses the system roots.
	TLSConfig *tls.Config
}

// String shows the configuration without the password, for logs.
func (c SMTPConfig) String() string {
	scheme := "smtp"
	if c.TLS == TLSImplicit {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: hostPort(c.Host, c.Port)}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String() + " (tls=" + c.TLS.String() + ")"
}

// ParseSMTPURL reads --smtp-url: smtp://[user:pass@]host[:port] requires STARTTLS (default port 587);
// smtps://host[:port] uses implicit TLS (465); smtp://host[:port]?tls=none is a plain local relay (25).
// The query may also set timeout=30s. Errors never echo the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	if strings.TrimSpace(raw) == "" {
		return c, errors.New("smtp url: empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return c, fmt.Errorf("smtp url: %w", err)
	}
	switch u.Scheme {
	case "smtp":
		c.TLS = TLSStartTLS
	case "smtps":
		c.TLS = TLSImplicit
	default:
		return c, fmt.Errorf("smtp url: scheme %q: use smtp:// (STARTTLS) or smtps:// (implicit TLS)", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return c, errors.New("smtp url: missing host, e.g. smtp://mail.example.gc.ca:587")
	}
	c.Host = u.Hostname()
	if u.Path != "" && u.Path != "/" {
		return c, fmt.Errorf("smtp url: unexpected path %q", u.Path)
	}
	if err := c.readQuery(u.RawQuery); err != nil {
		return c, err
	}
	if c.Port, err = parsePort(u.Port(), c.TLS); err != nil {
		return c, err
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" || c.Password == "" {
			return c, errors.New("smtp url: credentials need both a user and a password (user:pass@host)")
		}
		if c.TLS == TLSNone {
			return c, errors.New("smtp url: credentials with tls=none would cross the network in clear: use STARTTLS or smtps://")
		}
	}
	return c, nil
}

func (c *SMTPConfig) readQuery(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return fmt.Errorf("smtp url: query: %w", err)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return fmt.Errorf("smtp url: %s given %d times", key, len(vals))
		}
		v := vals[0]
		switch key {
		case "tls":
			if err := c.setTLS(v); err != nil {
				return err
			}
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("smtp url: timeout %q: want a positive duration such as 30s", v)
			}
			c.Timeout = d
		default:
			return fmt.Errorf("smtp url: unknown parameter %q (known: tls, timeout)", key)
		}
	}
	return nil
}

func (c *SMTPConfig) setTLS(v string) error {
	var mode TLSMode
	switch v {
	case "starttls":
		mode = TLSStartTLS
	case "implicit":
		mode = TLSImplicit
	case "none":
		mode = TLSNone
	default:
		return fmt.Errorf("smtp url: tls=%q: want starttls, implicit or none", v)
	}
	if c.TLS == TLSImplicit && mode != TLSImplicit {
		return fmt.Errorf("smtp url: smtps:// always uses implicit TLS, not tls=%s", v)
	}
	c.TLS = mode
	return nil
}

func parsePort(s string, mode TLSMode) (int, error) {
	if s == "" {
		switch mode {
		case TLSImplicit:
			return 465, nil
		case TLSNone:
			return 25, nil
		}
		return 587, nil
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("smtp url: port %q: want 1 to 65535", s)
	}
	return p, nil
}

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// SMTP sends each message over a new connection to the configured server.
type SMTP struct {
	cfg  SMTPConfig
	from *netmail.Address
	log  *slog.Logger
}

// NewSMTP checks the configuration and the From address; it does not connect.
func NewSMTP(cfg SMTPConfig, from string, log *slog.Logger) (*SMTP, error) {
	if cfg.Host == "" || cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("new smtp: bad server address %q", hostPort(cfg.Host, cfg.Port))
	}
	if cfg.Username != "" && cfg.TLS == TLSNone {
		return nil, errors.New("new smtp: credentials need TLS")
	}
	addr, err := parseFrom(from)
	if err != nil {
		return nil, fmt.Errorf("new smtp: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	return &SMTP{cfg: cfg, from: addr, log: orDefault(log)}, nil
}

// Send dials, authenticates when credentials are set, and delivers m. The timeout (or ctx's deadline, if
// sooner) bounds the dial and each SMTP command.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	m, err := m.complete(s.from, time.Now())
	if err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	msg, err := m.build(s.from)
	if err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	timeout := s.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return fmt.Errorf("smtp send: %w", context.DeadlineExceeded)
	}
	client, err := gomail.NewClient(s.cfg.Host, s.options(timeout)...)
	if err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send to %s: %w", hostPort(s.cfg.Host, s.cfg.Port), err)
	}
	s.log.InfoContext(ctx, "mail sent",
		slog.String("to", strings.Join(m.To, ", ")), slog.String("subject", m.Subject),
		slog.String("message_id", m.ID))
	return nil
}

func (s *SMTP) options(timeout time.Duration) []gomail.Option {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		tc = s.cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = s.cfg.Host
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(tc)}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		// Auto-discovery picks the strongest mechanism the server offers, and never PLAIN/LOGIN unencrypted.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}
