package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// received is one message the test server accepted.
type received struct {
	From string
	To   []string
	User string // the authenticated user, if any
	TLS  bool   // the session ran over TLS (implicit, or after STARTTLS)
	Data []byte
}

// testServer is an SMTP server on 127.0.0.1 that keeps what it receives.
type testServer struct {
	Addr   string
	Port   int
	Client *tls.Config // trusts the server's self-signed certificate

	mu   sync.Mutex
	msgs []received
}

type serverOpts struct {
	tls      bool   // offer STARTTLS (or serve implicit TLS)
	implicit bool   // TLS from the first byte
	user     string // require AUTH PLAIN with user/pass
	pass     string
}

func startSMTPServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	ts := &testServer{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		// go-smtp starts a new session after STARTTLS, so this sees the upgraded connection.
		_, isTLS := c.TLSConnectionState()
		return &session{srv: ts, opts: o, tls: isTLS}, nil
	})
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls {
		serverTLS, clientTLS := selfSigned(t)
		s.TLSConfig, ts.Client = serverTLS, clientTLS
		if o.implicit {
			l = tls.NewListener(l, serverTLS)
		}
	}
	ts.Addr = l.Addr().String()
	ts.Port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return ts
}

func (ts *testServer) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

type session struct {
	srv  *testServer
	opts serverOpts
	tls  bool
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.opts.user || pass != s.opts.pass {
			return smtp.ErrAuthFailed
		}
		s.cur.User = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.opts.user != "" && s.cur.User == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data, s.cur.TLS = b, s.tls
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{User: s.cur.User} }
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a client config that trusts only it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "datahub test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool}
}

func TestSMTPDelivers(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  serverOpts
		url  string // %d is the server's port
	}{
		{"starttls with auth", serverOpts{tls: true, user: "svc@example.gc.ca", pass: "p@ss"},
			"smtp://svc%%40example.gc.ca:p%%40ss@127.0.0.1:%d"},
		{"implicit tls", serverOpts{tls: true, implicit: true}, "smtps://127.0.0.1:%d"},
		{"implicit tls with auth", serverOpts{tls: true, implicit: true, user: "u", pass: "pw"}, "smtps://u:pw@127.0.0.1:%d"},
		{"plain local relay", serverOpts{}, "smtp://127.0.0.1:%d?tls=none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTPServer(t, tc.srv)
			cfg, err := ParseSMTPURL(fmt.Sprintf(tc.url, srv.Port))
			if err != nil {
				t.Fatal(err)
			}
			cfg.TLSConfig = srv.Client
			s, err := NewSMTP(cfg, testFrom, quiet())
			if err != nil {
				t.Fatal(err)
			}
			d := sample()
			d.To = append(d.To, "approver@example.gc.ca")
			m := ChangesRequested(d)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := s.Send(ctx, m); err != nil {
				t.Fatal(err)
			}

			got := srv.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			r := got[0]
			if r.From != "datahub@example.gc.ca" {
				t.Errorf("MAIL FROM %q", r.From)
			}
			if strings.Join(r.To, ",") != "celine@example.gc.ca,approver@example.gc.ca" {
				t.Errorf("RCPT TO %q", r.To)
			}
			if r.User != tc.srv.user {
				t.Errorf("authenticated as %q, want %q", r.User, tc.srv.user)
			}
			if r.TLS != tc.srv.tls {
				t.Errorf("message over TLS: %v, want %v", r.TLS, tc.srv.tls)
			}
			p := parseEML(t, r.Data)
			if p.Subject != m.Subject {
				t.Errorf("subject %q, want %q", p.Subject, m.Subject)
			}
			if len(p.To) != 2 || p.To[0].Name != "Céline Tremblay" {
				t.Errorf("To header %v", p.To)
			}
			if !strings.Contains(p.Text, "Une personne approbatrice a demandé des modifications") ||
				!strings.Contains(p.Text, d.FlowURL) || !strings.Contains(p.HTML, "&lt;script&gt;") {
				t.Errorf("body did not decode as sent:\n%s", p.Text)
			}
		})
	}
}

func TestSMTPRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  serverOpts
		url  string
		want string
	}{
		// STARTTLS is required by default: a server that does not offer it gets nothing.
		{"no starttls offered", serverOpts{}, "smtp://127.0.0.1:%d", "STARTTLS"},
		{"wrong password", serverOpts{tls: true, user: "u", pass: "right"}, "smtp://u:wrong@127.0.0.1:%d", "AUTH"},
		{"untrusted certificate", serverOpts{tls: true}, "smtp://127.0.0.1:%d", "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTPServer(t, tc.srv)
			cfg, err := ParseSMTPURL(fmt.Sprintf(tc.url, srv.Port))
			if err != nil {
				t.Fatal(err)
			}
			if tc.name != "untrusted certificate" {
				cfg.TLSConfig = srv.Client
			}
			s, err := NewSMTP(cfg, testFrom, quiet())
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), Approved(sample()))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "smtp send") {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "wrong") {
				t.Errorf("error %q shows the password", err)
			}
			if n := len(srv.messages()); n != 0 {
				t.Errorf("server received %d messages", n)
			}
		})
	}
}

func TestSMTPTimesOut(t *testing.T) {
	// A server that accepts the connection and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		<-done
		c.Close()
	}()
	cfg := SMTPConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: TLSNone, Timeout: 5 * time.Second}
	s, err := NewSMTP(cfg, testFrom, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, Approved(sample()))
	if err == nil {
		t.Fatal("send to a silent server succeeded")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("send took %v; the context deadline should bound it", took)
	}

	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := s.Send(canceled, Approved(sample())); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v", err)
	}
}
