package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Resolver looks up a host's addresses; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a connection to a literal "ip:port" address.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// guardedDialer resolves the host itself and dials only the addresses the policy allows, so the
// address checked is the address connected to: DNS rebinding and redirects cannot get around it.
type guardedDialer struct {
	policy   Policy
	resolver Resolver
	dial     DialFunc
	timeout  time.Duration
}

// dialError is a failure to connect to an allowed address (not a refusal).
type dialError struct {
	host string
	err  error
}

func (e *dialError) Error() string { return fmt.Sprintf("connect to %q: %v", e.host, e.err) }
func (e *dialError) Unwrap() error { return e.err }

func (d *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("dial: bad port %q: %w", portStr, err)
	}
	ips, err := d.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var refusal, lastErr error
	for _, ip := range ips {
		if !networkFits(network, ip) {
			continue
		}
		if err := d.policy.Check(ip); err != nil {
			var refused *RefusedError
			if errors.As(err, &refused) && refusal == nil {
				refused.Host = host
				refusal = refused
			}
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, d.timeout)
		conn, err := d.dial(dctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		cancel()
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, &dialError{host: host, err: lastErr}
	}
	if refusal != nil {
		return nil, refusal
	}
	return nil, &dialError{host: host, err: errors.New("no usable address")}
}

func (d *guardedDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ips, err := d.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %q: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %q: %w", host, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true})
	}
	for i := range ips {
		ips[i] = ips[i].Unmap() // some resolvers hand IPv4 answers back in IPv6-mapped form
	}
	return ips, nil
}

func networkFits(network string, ip netip.Addr) bool {
	switch network {
	case "tcp4":
		return ip.Unmap().Is4()
	case "tcp6":
		return ip.Is6() && !ip.Is4In6()
	}
	return true
}

// defaultDial is a net.Dialer whose Control re-checks the socket address just before connect,
// a second guard should anything upstream ever pass it a host name.
func defaultDial(p Policy, timeout time.Duration) DialFunc {
	d := &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("control: %w", err)
			}
			return p.Check(ap.Addr())
		},
	}
	return d.DialContext
}
