package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/fetch/fetchtest"
)

// newTestHTTPClient returns a NewHTTPClient whose lookups and dials go through the fakes.
func newTestHTTPClient(p Policy, opts HTTPOptions) (*http.Client, *fetchtest.Dialer) {
	rec := &fetchtest.Dialer{}
	opts.DialContext = rec.Dial
	if opts.Resolver == nil {
		opts.Resolver = testResolver()
	}
	if opts.Timeout == 0 {
		opts.Timeout = 20 * time.Second
	}
	return NewHTTPClient(p, opts), rec
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(req)
}

func TestHTTPClientRefuses(t *testing.T) {
	loopback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the refused server was reached: %s", r.URL)
	}))
	defer loopback.Close()
	nat64 := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96")}}
	tests := []struct {
		name   string
		policy Policy
		url    string
		reason string
	}{
		{"loopback server without allowance", Policy{}, loopback.URL + "/", "a loopback address"},
		{"private", Policy{}, "http://10.0.0.1/api/3/action/package_show", "in a private network"},
		{"private name", Policy{}, "https://internal.example/hook", `of host "internal.example" is in a private network`},
		{"metadata", Policy{AllowPrivate: true}, "http://169.254.169.254/latest/meta-data/", "cloud metadata endpoint"},
		{"metadata name", Policy{AllowPrivate: true}, "http://metadata.example/", "cloud metadata endpoint"},
		{"nat64 metadata", nat64, "http://[64:ff9b::a9fe:a9fe]/", "cloud metadata endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newTestHTTPClient(tt.policy, HTTPOptions{})
			resp, err := get(t, c, tt.url)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got %s, want a refusal", resp.Status)
			}
			var refused *RefusedError
			if !errors.As(err, &refused) || !strings.Contains(refused.Error(), tt.reason) {
				t.Fatalf("got %v, want *RefusedError ~ %q", err, tt.reason)
			}
			if got := rec.Addrs(); len(got) != 0 {
				t.Errorf("dialled %v for a refused address", got)
			}
		})
	}
}

func TestHTTPClientRefusesTargets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the server was reached: %s", r.URL)
	}))
	defer srv.Close()
	c, rec := newTestHTTPClient(Policy{AllowPrivate: true}, HTTPOptions{})
	for _, url := range []string{
		strings.Replace(srv.URL, "http://", "http://registry:hunter2@", 1) + "/",
		"ftp://files.example/",
	} {
		resp, err := get(t, c, url)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: got %s, want refused", url, resp.Status)
		}
		var target *targetError
		if !errors.As(err, &target) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: got %v, want a refused target without the password", url, err)
		}
	}
	if got := rec.Addrs(); len(got) != 0 {
		t.Errorf("dialled %v", got)
	}
}

func TestHTTPClientAllowedLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"success": true}`))
	}))
	defer srv.Close()
	c, rec := newTestHTTPClient(Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, HTTPOptions{})
	for range 2 {
		resp, err := get(t, c, srv.URL+"/api/3/action/status_show")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != `{"success": true}` {
			t.Fatalf("got %d %q %v", resp.StatusCode, body, err)
		}
	}
	if got := rec.Addrs(); len(got) != 1 || got[0] != srv.Listener.Addr().String() {
		t.Errorf("dialled %v, want one kept-alive connection to %s", got, srv.Listener.Addr())
	}
}

func TestHTTPClientFollowsNoRedirect(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { followed.Add(1) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, rec := newTestHTTPClient(Policy{AllowPrivate: true}, HTTPOptions{})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/hook", strings.NewReader(`{"type":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "/elsewhere" {
		t.Errorf("got %s location %q, want the 307 itself", resp.Status, resp.Header.Get("Location"))
	}
	if followed.Load() != 0 {
		t.Error("the redirect was followed")
	}
	if got := rec.Addrs(); len(got) != 1 {
		t.Errorf("dialled %v, want one connection", got)
	}
}

func TestHTTPClientResponseLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 1000+len(r.URL.Path)-len("/")))
	}))
	defer srv.Close()
	c, _ := newTestHTTPClient(Policy{AllowPrivate: true}, HTTPOptions{MaxResponseBytes: 1000})
	tests := []struct {
		path    string
		tooMany bool
	}{{"/", false}, {"/x", true}, {"/xxxxxxxxxx", true}}
	for _, tt := range tests {
		resp, err := get(t, c, srv.URL+tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		var tooLarge *TooLargeError
		if got := errors.As(err, &tooLarge); got != tt.tooMany {
			t.Errorf("%s: read %d bytes, error %v; want too large %v", tt.path, len(body), err, tt.tooMany)
		}
		if len(body) > 1000 {
			t.Errorf("%s: read %d bytes past the limit", tt.path, len(body))
		}
	}
}

// TestNoCompression: neither client asks for gzip nor unpacks it, so the file check hashes
// the bytes as published and no caller unpacks a bomb by surprise.
func TestNoCompression(t *testing.T) {
	var packed bytes.Buffer
	zw := gzip.NewWriter(&packed)
	zw.Write([]byte("a,b\n1,2\n"))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ae := r.Header.Get("Accept-Encoding"); strings.Contains(ae, "gzip") {
			t.Errorf("request asked for %q", ae)
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(packed.Bytes())
	}))
	defer srv.Close()

	c, _ := newTestHTTPClient(Policy{AllowPrivate: true}, HTTPOptions{})
	resp, err := get(t, c, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Uncompressed || !bytes.Equal(body, packed.Bytes()) {
		t.Errorf("body unpacked by the client (%q)", body)
	}

	fc, _ := newTestClient(t, Config{Policy: Policy{AllowPrivate: true}})
	res := fc.Check(context.Background(), srv.URL+"/data.csv.gz")
	sum := sha256.Sum256(packed.Bytes())
	if res.State != Passed || res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(packed.Len()) {
		t.Errorf("got %+v, want the digest of the gzip bytes %x", res, sum)
	}
}

// TestNoProxy: a proxy from the environment would connect on the client's behalf, past the
// dial-time check, so neither transport may have one.
func TestNoProxy(t *testing.T) {
	c := NewHTTPClient(Policy{}, HTTPOptions{})
	if tr := c.Transport.(*limitedTransport).base; tr.Proxy != nil || tr.DisableCompression != true {
		t.Errorf("NewHTTPClient transport: proxy set %v, compression disabled %v", tr.Proxy != nil, tr.DisableCompression)
	}
	if c.Jar != nil {
		t.Error("NewHTTPClient keeps cookies")
	}
	fc := New(Config{})
	if tr := fc.http.Transport.(*http.Transport); tr.Proxy != nil || !tr.DisableKeepAlives {
		t.Errorf("file check transport: proxy set %v, keep-alives disabled %v", tr.Proxy != nil, tr.DisableKeepAlives)
	}
}

// TestDefaultDialRechecks: the real dialer checks the socket address again just before
// connect, so an address that reached it unchecked is still refused. Loopback only.
func TestDefaultDialRechecks(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	tests := []struct {
		policy Policy
		addr   string
		ok     bool
	}{
		{Policy{}, addr, false},
		{Policy{AllowPrivate: true}, addr, true},
		{Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, addr, true},
		{Policy{}, "[::ffff:127.0.0.1]:" + port(srv), false},
	}
	for _, tt := range tests {
		conn, err := defaultDial(tt.policy, 2*time.Second)(context.Background(), "tcp", tt.addr)
		if conn != nil {
			conn.Close()
		}
		var refused *RefusedError
		if tt.ok && err != nil || !tt.ok && !errors.As(err, &refused) {
			t.Errorf("%+v dial %s: %v, want ok %v", tt.policy, tt.addr, err, tt.ok)
		}
	}
}
