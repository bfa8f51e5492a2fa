package fetch

import (
	"fmt"
	"net/netip"
	"strings"
)

// Policy decides which IP addresses the fetcher may connect to. The zero value refuses every
// special-purpose range (loopback, private, link-local, CGNAT, metadata, ...) and allows the rest.
type Policy struct {
	// Allow opens ranges an operator trusts (--fetch-allow-cidr). Cloud metadata endpoints stay
	// refused even inside an allowed range: no dataset lives there and they hand out credentials.
	// So do metadata and loopback addresses carried inside an IPv6 one (NAT64, 6to4, mapped).
	Allow []netip.Prefix
	// AllowPrivate opens loopback and private ranges (RFC 1918, RFC 4193). For tests only.
	AllowPrivate bool
}

// RefusedError says why an address may not be fetched. It is returned by Policy.Check and,
// with Host set, by the client when a host resolves to a refused address.
type RefusedError struct {
	Host  string       // the host name that resolved to Addr; empty when unknown
	Addr  netip.Addr   // the refused address
	Range netip.Prefix // the special-purpose range Addr falls in
	Why   string       // what the range is, e.g. "in a private network"
	Via   string       // how an IPv6 address embeds the IPv4 one that was refused, if it does
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "address %s", e.Addr)
	if e.Host != "" && e.Host != e.Addr.String() {
		fmt.Fprintf(&b, " of host %q", e.Host)
	}
	fmt.Fprintf(&b, " is %s", e.Why)
	if e.Range.IsValid() {
		fmt.Fprintf(&b, " (%s", e.Range)
		if e.Via != "" {
			fmt.Fprintf(&b, ", as %s", e.Via)
		}
		b.WriteString(")")
	}
	return b.String()
}

// rangeRule is one special-purpose range. private marks the ranges AllowPrivate opens.
type rangeRule struct {
	prefix  netip.Prefix
	why     string
	private bool
}

// metadataRanges are cloud instance metadata endpoints; they are refused whatever the policy.
// 168.63.129.16 is Azure's platform endpoint, reachable from every Azure VM although it is public.
func metadataRanges() []rangeRule {
	const why = "a cloud metadata endpoint"
	return []rangeRule{
		{netip.MustParsePrefix("169.254.169.254/32"), why, false},
		{netip.MustParsePrefix("169.254.170.2/32"), why, false},
		{netip.MustParsePrefix("100.100.100.200/32"), why, false},
		{netip.MustParsePrefix("168.63.129.16/32"), why, false},
		{netip.MustParsePrefix("fd00:ec2::254/128"), why, false},
	}
}

// refusedRanges lists the IANA special-purpose ranges that no public file lives in, most
// specific first. A function rather than a package variable keeps the table immutable.
func refusedRanges() []rangeRule {
	r := func(p, why string, private bool) rangeRule {
		return rangeRule{netip.MustParsePrefix(p), why, private}
	}
	return []rangeRule{
		r("255.255.255.255/32", "the broadcast address", false),
		r("0.0.0.0/32", "the unspecified address", false),
		r("0.0.0.0/8", `in the "this network" range`, false),
		r("10.0.0.0/8", "in a private network", true),
		r("100.64.0.0/10", "in the carrier-grade NAT range", false),
		r("127.0.0.0/8", "a loopback address", true),
		r("169.254.0.0/16", "a link-local address", false),
		r("172.16.0.0/12", "in a private network", true),
		r("192.0.0.0/24", "in the IETF protocol assignments range", false),
		r("192.0.2.0/24", "in a documentation range", false),
		r("192.88.99.0/24", "in the deprecated 6to4 relay range", false),
		r("192.168.0.0/16", "in a private network", true),
		r("198.18.0.0/15", "in the benchmarking range", false),
		r("198.51.100.0/24", "in a documentation range", false),
		r("203.0.113.0/24", "in a documentation range", false),
		r("224.0.0.0/4", "a multicast address", false),
		r("240.0.0.0/4", "in the reserved range", false),
		r("::/128", "the unspecified address", false),
		r("::1/128", "a loopback address", true),
		r("::/96", "a deprecated IPv4-compatible address", false),
		r("64:ff9b:1::/48", "in the local-use NAT64 range", false),
		r("100::/64", "in the discard-only range", false),
		r("2001:db8::/32", "in a documentation range", false),
		r("2001::/23", "in the IETF protocol assignments range", false),
		r("3fff::/20", "in a documentation range", false),
		r("5f00::/16", "in the SRv6 segment identifier range", false),
		r("fc00::/7", "in a private network", true),
		r("fe80::/10", "a link-local address", false),
		r("fec0::/10", "a deprecated site-local address", false),
		r("ff00::/8", "a multicast address", false),
	}
}

// alwaysRefused are refused inside an IPv6 form that embeds them whatever the policy: a NAT64
// gateway, a 6to4 relay or the dual-stack socket itself would carry the connection there.
func alwaysRefused() []rangeRule {
	return append(metadataRanges(), rangeRule{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address", true})
}

// Check returns nil if the policy allows connecting to ip, or a *RefusedError naming why not.
// Cloud metadata endpoints are refused whatever the policy, and so are metadata and loopback
// addresses embedded in an IPv6 one (IPv4-mapped, NAT64, 6to4, SIIT, IPv4-compatible).
func (p Policy) Check(ip netip.Addr) error {
	ip = ip.WithZone("")
	if !ip.IsValid() {
		return &RefusedError{Addr: ip, Why: "not a valid IP address"}
	}
	if rule, ok := match(metadataRanges(), ip); ok {
		return &RefusedError{Addr: ip, Range: rule.prefix, Why: rule.why}
	}
	embedded := embeddedIPv4(ip)
	for _, e := range embedded {
		if rule, ok := match(alwaysRefused(), e.v4); ok {
			return &RefusedError{Addr: ip, Range: rule.prefix, Why: rule.why, Via: e.via + " " + e.v4.String()}
		}
	}
	if p.allows(ip) {
		return nil
	}
	// An IPv6 address that reaches exactly one IPv4 host is judged by that host.
	for _, e := range embedded {
		if !e.exact {
			continue
		}
		if err := p.Check(e.v4); err != nil {
			refused := err.(*RefusedError)
			return &RefusedError{Addr: ip, Range: refused.Range, Why: refused.Why, Via: e.via + " " + e.v4.String()}
		}
		return nil
	}
	if rule, ok := match(refusedRanges(), ip); ok && !(rule.private && p.AllowPrivate) {
		return &RefusedError{Addr: ip, Range: rule.prefix, Why: rule.why}
	}
	return nil
}

func (p Policy) allows(ip netip.Addr) bool {
	for _, pre := range p.Allow {
		if pre.Contains(ip) {
			return true
		}
	}
	return false
}

// match returns the first rule whose range holds ip.
func match(rules []rangeRule, ip netip.Addr) (rangeRule, bool) {
	for _, rule := range rules {
		if rule.prefix.Contains(ip) {
			return rule, true
		}
	}
	return rangeRule{}, false
}

// embedding is an IPv4 address carried inside an IPv6 one. exact marks the forms that reach
// that IPv4 host and nothing else, so the IPv6 address is judged as the IPv4 one.
type embedding struct {
	v4    netip.Addr
	via   string
	exact bool
}

// embeddedIPv4 returns the IPv4 addresses an IPv6 address may carry. The local-use NAT64 range
// (RFC 8215) may hold it at any RFC 6052 position, so every position is returned.
func embeddedIPv4(ip netip.Addr) []embedding {
	if !ip.Is6() {
		return nil
	}
	b := ip.As16()
	low := netip.AddrFrom4([4]byte(b[12:16]))
	switch {
	case ip.Is4In6():
		return []embedding{{ip.Unmap(), "IPv4-mapped", true}}
	case netip.MustParsePrefix("::ffff:0:0:0/96").Contains(ip):
		return []embedding{{low, "SIIT of", true}}
	case netip.MustParsePrefix("64:ff9b::/96").Contains(ip):
		return []embedding{{low, "NAT64 of", true}}
	case netip.MustParsePrefix("2002::/16").Contains(ip):
		return []embedding{{netip.AddrFrom4([4]byte(b[2:6])), "6to4 of", true}}
	case netip.MustParsePrefix("::/96").Contains(ip):
		return []embedding{{low, "IPv4-compatible", false}}
	case netip.MustParsePrefix("64:ff9b:1::/48").Contains(ip):
		var out []embedding
		for _, bits := range []int{48, 56, 64, 96} {
			out = append(out, embedding{rfc6052(b, bits), "local-use NAT64 of", false})
		}
		return out
	}
	return nil
}

// rfc6052 extracts the IPv4 address behind a NAT64 prefix of the given length; bits 64-71
// (the "u" octet) never carry address bits.
func rfc6052(b [16]byte, prefixBits int) netip.Addr {
	var v4 [4]byte
	i := prefixBits / 8
	for n := range v4 {
		if i == 8 {
			i++
		}
		v4[n] = b[i]
		i++
	}
	return netip.AddrFrom4(v4)
}

// ParseCIDRs parses operator-supplied ranges. Each value may hold several comma-separated
// ranges; a bare address means that single address. Empty items are ignored.
func ParseCIDRs(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, value := range list {
		for _, item := range strings.Split(value, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			pre, err := parseCIDR(item)
			if err != nil {
				return nil, fmt.Errorf("parse cidr %q: %w", item, err)
			}
			out = append(out, pre)
		}
	}
	return out, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if addr.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("zoned address not allowed")
		}
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	pre, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return pre.Masked(), nil
}
