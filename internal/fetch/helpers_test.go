package fetch

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/fetch/fetchtest"
)

// fakeResolver answers from a table and never asks real DNS. A host with several answers
// gives the next one on each lookup, to play DNS rebinding.
type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string][][]netip.Addr
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	answers := f.hosts[host]
	if len(answers) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if len(answers) > 1 {
		f.hosts[host] = answers[1:]
	}
	return answers[0], nil
}

func addrs(list ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range list {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// testResolver maps the names the tests use; everything else does not exist.
func testResolver() *fakeResolver {
	return &fakeResolver{hosts: map[string][][]netip.Addr{
		"loopback.example":  {addrs("127.0.0.1")},
		"loopback2.example": {addrs("127.0.0.2")},
		"internal.example":  {addrs("10.0.0.1")},
		"metadata.example":  {addrs("169.254.169.254")},
		"mixed.example":     {addrs("10.0.0.1", "192.168.1.1")},
	}}
}

// newTestClient returns a client whose every lookup and dial goes through the fakes.
func newTestClient(t *testing.T, cfg Config) (*Client, *fetchtest.Dialer) {
	t.Helper()
	rec := &fetchtest.Dialer{}
	if cfg.Resolver == nil {
		cfg.Resolver = testResolver()
	}
	cfg.DialContext = rec.Dial
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 2 * time.Second
	}
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = 5 * time.Second
	}
	if cfg.TotalTimeout == 0 {
		cfg.TotalTimeout = 20 * time.Second
	}
	return New(cfg), rec
}

// zipBody builds a small zip archive with the named entries in order.
func zipBody(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "<x>%s</x>", name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
