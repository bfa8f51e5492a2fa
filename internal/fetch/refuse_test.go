package fetch

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestCheckRefusesSpecialAddresses runs the default policy: nothing may be dialled at all.
func TestCheckRefusesSpecialAddresses(t *testing.T) {
	tests := []struct{ url, reason string }{
		{"http://127.0.0.1:8080/data.csv", "address 127.0.0.1 is a loopback address (127.0.0.0/8)"},
		{"http://[::1]/data.csv", "address ::1 is a loopback address (::1/128)"},
		{"http://10.0.0.1/data.csv", "address 10.0.0.1 is in a private network (10.0.0.0/8)"},
		{"http://192.168.1.1/data.csv", "in a private network (192.168.0.0/16)"},
		{"http://172.16.0.1/data.csv", "in a private network (172.16.0.0/12)"},
		{"http://169.254.169.254/latest/meta-data/", "is a cloud metadata endpoint (169.254.169.254/32)"},
		{"http://[fd00::1]/data.csv", "address fd00::1 is in a private network (fc00::/7)"},
		{"http://[::ffff:10.0.0.1]/", "in a private network (10.0.0.0/8, as IPv4-mapped 10.0.0.1)"},
		{"http://100.64.0.1/", "carrier-grade NAT"},
		{"http://0.0.0.0/", "the unspecified address"},
		{"http://loopback.example/data.csv", `address 127.0.0.1 of host "loopback.example" is a loopback address`},
		{"http://internal.example:8443/x", `address 10.0.0.1 of host "internal.example" is in a private network`},
		{"http://metadata.example/", `of host "metadata.example" is a cloud metadata endpoint`},
		{"http://mixed.example/", `address 10.0.0.1 of host "mixed.example" is in a private network`},
		{"ftp://files.example/data.csv", "only http and https are allowed"},
		{"file:///etc/passwd", "only http and https are allowed"},
		{"http://user:secret@files.example/data.csv", "must not carry a user name or password"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, rec := newTestClient(t, Config{})
			res := c.Check(context.Background(), tt.url)
			t.Logf("reason: %s", res.Reason)
			if res.State != Refused || res.Retryable || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("got %+v, want refused with reason ~ %q", res, tt.reason)
			}
			if strings.Contains(res.Reason, "secret") {
				t.Errorf("reason leaks the password: %q", res.Reason)
			}
			if got := rec.Addrs(); len(got) != 0 {
				t.Errorf("dialled %v for a refused address", got)
			}
		})
	}
}

// TestCheckRefusesRedirectTargets starts on an allowed loopback server and is redirected to a
// refused place: the refusal must come before any dial to it.
func TestCheckRefusesRedirectTargets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	defer srv.Close()
	tests := []struct{ to, reason, forbidden string }{
		{"http://[::1]:" + port(srv) + "/", "address ::1 is a loopback address", "[::1]"},
		{"http://internal.example/data.csv", `address 10.0.0.1 of host "internal.example" is in a private network`, "10.0.0.1"},
		{"http://169.254.169.254/latest/meta-data/", "cloud metadata endpoint", "169.254.169.254"},
		{"http://loopback2.example:" + port(srv) + "/", `address 127.0.0.2 of host "loopback2.example" is a loopback address`, "127.0.0.2"},
		{"gopher://files.example/", `redirected to "gopher://files.example/", which is refused`, "files.example"},
		{"http://user:pw@files.example/", "must not carry a user name or password", "files.example"},
	}
	allowOnly := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			c, rec := newTestClient(t, Config{Policy: allowOnly})
			res := c.Check(context.Background(), srv.URL+"/start?to="+url.QueryEscape(tt.to))
			t.Logf("reason: %s", res.Reason)
			if res.State != Refused || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("got %+v, want refused with reason ~ %q", res, tt.reason)
			}
			got := rec.Addrs()
			if len(got) != 1 || got[0] != srv.Listener.Addr().String() {
				t.Errorf("dialled %v, want only the first hop %s", got, srv.Listener.Addr())
			}
			for _, a := range got {
				if strings.Contains(a, tt.forbidden) {
					t.Errorf("dialled refused address %s", a)
				}
			}
		})
	}
}

// TestCheckDNSRebinding: the same name answers loopback (allowed here) and then a private
// address; the second connection must be refused because the check runs at dial time.
func TestCheckDNSRebinding(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer srv.Close()
	resolver := &fakeResolver{hosts: map[string][][]netip.Addr{
		"rebind.example": {addrs("127.0.0.1"), addrs("10.0.0.1")},
	}}
	c, rec := newTestClient(t, Config{
		Policy:   Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Resolver: resolver,
	})
	res := c.Check(context.Background(), "http://rebind.example:"+port(srv)+"/")
	if res.State != Refused || !strings.Contains(res.Reason, `address 10.0.0.1 of host "rebind.example"`) {
		t.Fatalf("got %+v, want refused for the rebound address", res)
	}
	if got := rec.Addrs(); len(got) != 1 || !strings.HasPrefix(got[0], "127.0.0.1:") {
		t.Errorf("dialled %v, want only 127.0.0.1", got)
	}
}

// TestCheckAllowOpensRange shows an operator's Allow reaching the dialler for a private
// address; the recording dialer does not connect, so the check fails to connect instead.
func TestCheckAllowOpensRange(t *testing.T) {
	c, rec := newTestClient(t, Config{Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}})
	res := c.Check(context.Background(), "http://internal.example/data.csv")
	if res.State != Failed || !res.Retryable || !strings.Contains(res.Reason, `could not connect to host "internal.example"`) {
		t.Fatalf("got %+v, want a connection failure", res)
	}
	if got := rec.Addrs(); len(got) != 1 || got[0] != "10.0.0.1:80" {
		t.Errorf("dialled %v, want [10.0.0.1:80] (recorded, not connected)", got)
	}
}

func TestCheckUnknownHost(t *testing.T) {
	c, rec := newTestClient(t, Config{})
	res := c.Check(context.Background(), "https://nowhere.example/data.csv")
	if res.State != Failed || res.Retryable || !strings.Contains(res.Reason, `"nowhere.example" does not exist`) {
		t.Fatalf("got %+v, want failed, not retryable", res)
	}
	if got := rec.Addrs(); len(got) != 0 {
		t.Errorf("dialled %v", got)
	}
}

// port is the loopback test server's port, as text.
func port(srv *httptest.Server) string {
	return strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
}
