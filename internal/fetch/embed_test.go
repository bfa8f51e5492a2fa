package fetch

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestPolicyCheckEmbeddedIPv4 covers IPv6 forms that carry an IPv4 address: metadata and
// loopback inside them stay refused whatever range an operator opens.
func TestPolicyCheckEmbeddedIPv4(t *testing.T) {
	allow := func(cidrs ...string) Policy {
		var p Policy
		for _, c := range cidrs {
			p.Allow = append(p.Allow, netip.MustParsePrefix(c))
		}
		return p
	}
	var (
		strict  = Policy{}
		private = Policy{AllowPrivate: true}
		nat64   = allow("64:ff9b::/96")
		local64 = allow("64:ff9b:1::/48")
		sixto4  = allow("2002::/16")
		siit    = allow("::ffff:0:0:0/96")
		compat  = allow("::/96")
		allV6   = allow("::/0")
		linkV4  = allow("169.254.0.0/16", "127.0.0.0/8", "168.63.0.0/16", "100.100.0.0/16")
	)
	tests := []struct {
		name   string
		policy Policy
		addr   string
		why    string // "" means allowed
	}{
		// The review's case: DNS64 synthesises 64:ff9b::169.254.169.254 for a metadata name.
		{"nat64 metadata, range allowed", nat64, "64:ff9b::a9fe:a9fe", "a cloud metadata endpoint (169.254.169.254/32, as NAT64 of 169.254.169.254)"},
		{"nat64 azure, range allowed", nat64, "64:ff9b::a83f:8110", "a cloud metadata endpoint (168.63.129.16/32, as NAT64 of 168.63.129.16)"},
		{"nat64 loopback, range allowed", nat64, "64:ff9b::7f00:1", "a loopback address (127.0.0.0/8, as NAT64 of 127.0.0.1)"},
		{"nat64 private, range allowed", nat64, "64:ff9b::a00:1", ""},
		{"nat64 public, range allowed", nat64, "64:ff9b::808:808", ""},
		{"nat64 metadata, everything allowed", allV6, "64:ff9b::a9fe:a9fe", "cloud metadata endpoint"},
		{"nat64 metadata, v4 allowed", linkV4, "64:ff9b::a9fe:a9fe", "cloud metadata endpoint"},
		{"nat64 loopback, v4 allowed", linkV4, "64:ff9b::7f00:1", "a loopback address"},
		{"nat64 link-local, v4 allowed", linkV4, "64:ff9b::a9fe:101", ""},

		{"local nat64 /96, range allowed", local64, "64:ff9b:1::a9fe:a9fe", "a cloud metadata endpoint (169.254.169.254/32, as local-use NAT64 of 169.254.169.254)"},
		{"local nat64 /64, range allowed", local64, "64:ff9b:1:0:a9:fea9:fe00:0", "cloud metadata endpoint"},
		{"local nat64 /56, range allowed", local64, "64:ff9b:1:a9:fe:a9fe::", "cloud metadata endpoint"},
		{"local nat64 /48, range allowed", local64, "64:ff9b:1:a9fe:a9:fe00::", "cloud metadata endpoint"},
		{"local nat64 loopback, range allowed", local64, "64:ff9b:1::7f00:1", "a loopback address"},
		{"local nat64 public, range allowed", local64, "64:ff9b:1::808:808", ""},
		{"local nat64 public, strict", strict, "64:ff9b:1::808:808", "local-use NAT64 range"},

		{"6to4 metadata, range allowed", sixto4, "2002:a9fe:a9fe::1", "a cloud metadata endpoint (169.254.169.254/32, as 6to4 of 169.254.169.254)"},
		{"6to4 alibaba, range allowed", sixto4, "2002:6464:64c8::", "cloud metadata endpoint (100.100.100.200/32"},
		{"6to4 loopback, range allowed", sixto4, "2002:7f00:1::", "a loopback address"},
		{"6to4 public, range allowed", sixto4, "2002:808:808::", ""},
		{"6to4 metadata, strict", strict, "2002:a9fe:a9fe::", "cloud metadata endpoint"},

		{"mapped metadata, v4 range allowed", linkV4, "::ffff:169.254.169.254", "a cloud metadata endpoint (169.254.169.254/32, as IPv4-mapped 169.254.169.254)"},
		{"mapped task metadata, v4 range allowed", linkV4, "::ffff:169.254.170.2", "cloud metadata endpoint"},
		{"mapped loopback, v4 range allowed", linkV4, "::ffff:127.0.0.1", "a loopback address"},
		{"mapped link-local, v4 range allowed", linkV4, "::ffff:169.254.1.1", ""},
		{"mapped metadata, everything allowed", allV6, "::ffff:169.254.169.254", "cloud metadata endpoint"},
		{"mapped loopback, private allowed", private, "::ffff:127.0.0.1", "a loopback address"},

		{"siit metadata, strict", strict, "::ffff:0:a9fe:a9fe", "a cloud metadata endpoint (169.254.169.254/32, as SIIT of 169.254.169.254)"},
		{"siit private, strict", strict, "::ffff:0:a00:1", "in a private network (10.0.0.0/8, as SIIT of 10.0.0.1)"},
		{"siit metadata, range allowed", siit, "::ffff:0:a9fe:a9fe", "cloud metadata endpoint"},
		{"siit loopback, range allowed", siit, "::ffff:0:7f00:1", "a loopback address"},
		{"siit public, strict", strict, "::ffff:0:808:808", ""},

		{"compatible metadata, range allowed", compat, "::a9fe:a9fe", "cloud metadata endpoint"},
		{"compatible loopback, range allowed", compat, "::7f00:1", "a loopback address"},
		{"compatible public, strict", strict, "::808:808", "deprecated IPv4-compatible"},

		// Plain addresses keep their meaning.
		{"loopback v4, allowed", linkV4, "127.0.0.1", ""},
		{"loopback v6, private", private, "::1", ""},
		{"metadata v4, allowed range", linkV4, "169.254.169.254", "cloud metadata endpoint"},
		{"metadata v6, everything allowed", allV6, "fd00:ec2::254", "cloud metadata endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(netip.MustParseAddr(tt.addr))
			switch {
			case tt.why == "" && err != nil:
				t.Errorf("Check(%s) = %v, want allowed", tt.addr, err)
			case tt.why != "" && (err == nil || !strings.Contains(err.Error(), tt.why)):
				t.Errorf("Check(%s) = %v, want refusal ~ %q", tt.addr, err, tt.why)
			}
		})
	}
}

// TestCheckNAT64MetadataNotDialled: on an IPv6-only network whose operator opened the NAT64
// range, a name that DNS64 maps to the metadata endpoint is refused before any dial.
func TestCheckNAT64MetadataNotDialled(t *testing.T) {
	resolver := &fakeResolver{hosts: map[string][][]netip.Addr{
		"metadata64.example": {addrs("64:ff9b::a9fe:a9fe")},
		"files64.example":    {addrs("64:ff9b::a00:1")},
	}}
	tests := []struct {
		name, url, reason string
		policy            Policy
		dialled           []string
	}{
		{"literal nat64", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "cloud metadata endpoint",
			Policy{Allow: []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96")}}, nil},
		{"dns64 name", "http://metadata64.example/latest/meta-data/", `of host "metadata64.example" is a cloud metadata endpoint`,
			Policy{Allow: []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96")}}, nil},
		{"literal 6to4", "http://[2002:a9fe:a9fe::]/", "cloud metadata endpoint",
			Policy{Allow: []netip.Prefix{netip.MustParsePrefix("2002::/16")}}, nil},
		{"literal mapped", "http://[::ffff:169.254.169.254]/", "cloud metadata endpoint",
			Policy{Allow: []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16")}}, nil},
		{"literal siit", "http://[::ffff:0:a9fe:a9fe]/", "cloud metadata endpoint", Policy{}, nil},
		{"literal local nat64", "http://[64:ff9b:1::a9fe:a9fe]/", "cloud metadata endpoint",
			Policy{Allow: []netip.Prefix{netip.MustParsePrefix("64:ff9b:1::/48")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newTestClient(t, Config{Policy: tt.policy, Resolver: resolver})
			res := c.Check(context.Background(), tt.url)
			t.Logf("reason: %s", res.Reason)
			if res.State != Refused || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("got %+v, want refused with reason ~ %q", res, tt.reason)
			}
			if got := rec.Addrs(); len(got) != 0 {
				t.Errorf("dialled %v for a metadata address", got)
			}
		})
	}
	// The allowance itself still works for what it was opened for: the dial is attempted
	// (recorded, not connected, as the address is not loopback).
	c, rec := newTestClient(t, Config{Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96")}}, Resolver: resolver})
	res := c.Check(context.Background(), "http://files64.example/data.csv")
	if res.State != Failed || !strings.Contains(res.Reason, "could not connect") {
		t.Fatalf("got %+v, want a connection failure", res)
	}
	if got := rec.Addrs(); len(got) != 1 || got[0] != "[64:ff9b::a00:1]:80" {
		t.Errorf("dialled %v, want [[64:ff9b::a00:1]:80]", got)
	}
}
