package mail

import (
	"strings"
	"testing"
	"time"
)

func TestParseSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    SMTPConfig
		wantErr string
	}{
		{raw: "smtp://user:pass@mail.example.gc.ca:587",
			want: SMTPConfig{Host: "mail.example.gc.ca", Port: 587, TLS: TLSStartTLS, Username: "user", Password: "pass"}},
		{raw: "smtp://mail.example.gc.ca", want: SMTPConfig{Host: "mail.example.gc.ca", Port: 587, TLS: TLSStartTLS}},
		{raw: "SMTP://mail.example.gc.ca/", want: SMTPConfig{Host: "mail.example.gc.ca", Port: 587, TLS: TLSStartTLS}},
		{raw: "smtp://mail.example.gc.ca?tls=starttls", want: SMTPConfig{Host: "mail.example.gc.ca", Port: 587, TLS: TLSStartTLS}},
		{raw: "smtps://mail.example.gc.ca", want: SMTPConfig{Host: "mail.example.gc.ca", Port: 465, TLS: TLSImplicit}},
		{raw: "smtps://u:p@mail.example.gc.ca:2465?tls=implicit",
			want: SMTPConfig{Host: "mail.example.gc.ca", Port: 2465, TLS: TLSImplicit, Username: "u", Password: "p"}},
		{raw: "smtp://relay:25?tls=none", want: SMTPConfig{Host: "relay", Port: 25, TLS: TLSNone}},
		{raw: "smtp://127.0.0.1?tls=none", want: SMTPConfig{Host: "127.0.0.1", Port: 25, TLS: TLSNone}},
		{raw: "smtp://[::1]:2525?tls=none&timeout=5s", want: SMTPConfig{Host: "::1", Port: 2525, TLS: TLSNone, Timeout: 5 * time.Second}},
		{raw: "smtp://relay:465?tls=implicit", want: SMTPConfig{Host: "relay", Port: 465, TLS: TLSImplicit}},
		// An email address as user name, a password with reserved characters, both percent-encoded or not.
		{raw: "smtp://svc@example.gc.ca:p%40ss%3Aw0rd@mail.example.gc.ca",
			want: SMTPConfig{Host: "mail.example.gc.ca", Port: 587, TLS: TLSStartTLS, Username: "svc@example.gc.ca", Password: "p@ss:w0rd"}},

		{raw: "", wantErr: "smtp url: empty"},
		{raw: "http://mail.example.gc.ca", wantErr: `scheme "http"`},
		{raw: "mail.example.gc.ca:587", wantErr: "scheme"},
		{raw: "smtp://", wantErr: "missing host"},
		{raw: "smtp://:587", wantErr: "missing host"},
		{raw: "smtp:mail.example.gc.ca", wantErr: "missing host"},
		{raw: "smtp://user:pass@", wantErr: "missing host"},
		{raw: "smtp://mail.example.gc.ca:0", wantErr: "port"},
		{raw: "smtp://mail.example.gc.ca:70000", wantErr: "port"},
		{raw: "smtp://mail.example.gc.ca:abc", wantErr: "invalid port"},
		{raw: "smtp://mail.example.gc.ca/inbox", wantErr: "unexpected path"},
		{raw: "smtp://mail.example.gc.ca?tls=yes", wantErr: "want starttls, implicit or none"},
		{raw: "smtp://mail.example.gc.ca?tls=", wantErr: "want starttls, implicit or none"},
		{raw: "smtp://mail.example.gc.ca?tls=none&tls=starttls", wantErr: "tls given 2 times"},
		{raw: "smtps://mail.example.gc.ca?tls=none", wantErr: "smtps:// always uses implicit TLS"},
		{raw: "smtps://mail.example.gc.ca?tls=starttls", wantErr: "smtps:// always uses implicit TLS"},
		{raw: "smtp://mail.example.gc.ca?tsl=none", wantErr: `unknown parameter "tsl"`},
		{raw: "smtp://mail.example.gc.ca?timeout=soon", wantErr: "timeout"},
		{raw: "smtp://mail.example.gc.ca?timeout=-1s", wantErr: "timeout"},
		{raw: "smtp://user:s3cret@relay:25?tls=none", wantErr: "credentials with tls=none"},
		{raw: "smtp://user@mail.example.gc.ca", wantErr: "both a user and a password"},
		{raw: "smtp://:s3cret@mail.example.gc.ca", wantErr: "both a user and a password"},
		{raw: "smtp://user:s3cret@mail.example.gc.ca:bad", wantErr: "invalid port"},
		{raw: "smtp://user:s3cret%zz@mail.example.gc.ca", wantErr: "smtp url"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := ParseSMTPURL(tc.raw)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got %+v, want error %q", got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "smtp url: ") {
					t.Errorf("error %q, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSMTPConfigStringHidesThePassword(t *testing.T) {
	c, err := ParseSMTPURL("smtp://user:s3cret@mail.example.gc.ca")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "smtp://user@mail.example.gc.ca:587 (tls=starttls)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	c, _ = ParseSMTPURL("smtps://[::1]")
	if got, want := c.String(), "smtps://[::1]:465 (tls=implicit)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestNewSMTPChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  SMTPConfig
		from string
	}{
		{"no host", SMTPConfig{Port: 25}, testFrom},
		{"no port", SMTPConfig{Host: "relay"}, testFrom},
		{"credentials in clear", SMTPConfig{Host: "relay", Port: 25, TLS: TLSNone, Username: "u", Password: "p"}, testFrom},
		{"bad from", SMTPConfig{Host: "relay", Port: 25}, "nobody"},
	} {
		if _, err := NewSMTP(tc.cfg, tc.from, nil); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
