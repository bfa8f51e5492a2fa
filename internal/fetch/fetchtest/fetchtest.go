// Package fetchtest gives tests a dialer that records every address it is
// asked for and connects only to loopback, so no test can send a packet
// anywhere else, and refusals can be checked by what was (not) dialled.
package fetchtest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
)

// Dialer is a fetch DialContext for tests.
type Dialer struct {
	mu     sync.Mutex
	dialed []string
}

// Dial records addr and connects to it only if it is a loopback address.
func (d *Dialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, addr)
	d.mu.Unlock()
	if ap, err := netip.ParseAddrPort(addr); err != nil || !ap.Addr().Unmap().IsLoopback() {
		return nil, fmt.Errorf("test dialer: not dialling non-loopback %s", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// Addrs returns every address asked for so far, in order.
func (d *Dialer) Addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.dialed)
}
