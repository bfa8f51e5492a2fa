package fetch

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestPolicyCheck(t *testing.T) {
	var (
		strict  = Policy{}
		private = Policy{AllowPrivate: true}
		allow   = Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("169.254.0.0/16")}}
	)
	tests := []struct {
		policy Policy
		addr   string
		why    string // "" means allowed
	}{
		{strict, "8.8.8.8", ""},
		{strict, "2001:4860:4860::8888", ""},
		{strict, "127.0.0.1", "a loopback address (127.0.0.0/8)"},
		{strict, "127.8.9.10", "a loopback address"},
		{strict, "::1", "a loopback address (::1/128)"},
		{strict, "10.0.0.1", "in a private network (10.0.0.0/8)"},
		{strict, "172.31.255.255", "in a private network (172.16.0.0/12)"},
		{strict, "172.32.0.1", ""},
		{strict, "192.168.1.1", "in a private network (192.168.0.0/16)"},
		{strict, "fd00::1", "in a private network (fc00::/7)"},
		{strict, "169.254.1.1", "a link-local address (169.254.0.0/16)"},
		{strict, "fe80::1%eth0", "a link-local address (fe80::/10)"},
		{strict, "169.254.169.254", "a cloud metadata endpoint (169.254.169.254/32)"},
		{strict, "fd00:ec2::254", "a cloud metadata endpoint (fd00:ec2::254/128)"},
		{strict, "100.100.100.200", "a cloud metadata endpoint"},
		{strict, "100.64.0.1", "in the carrier-grade NAT range (100.64.0.0/10)"},
		{strict, "224.0.0.1", "a multicast address"},
		{strict, "ff02::1", "a multicast address (ff00::/8)"},
		{strict, "0.0.0.0", "the unspecified address"},
		{strict, "0.1.2.3", `"this network"`},
		{strict, "::", "the unspecified address"},
		{strict, "255.255.255.255", "the broadcast address"},
		{strict, "240.0.0.1", "in the reserved range"},
		{strict, "192.0.2.1", "documentation"},
		{strict, "198.51.100.7", "documentation"},
		{strict, "203.0.113.9", "documentation"},
		{strict, "2001:db8::1", "documentation"},
		{strict, "198.18.0.1", "benchmarking"},
		{strict, "::ffff:127.0.0.1", "a loopback address (127.0.0.0/8, as IPv4-mapped 127.0.0.1)"},
		{strict, "::ffff:10.0.0.1", "in a private network (10.0.0.0/8, as IPv4-mapped 10.0.0.1)"},
		{strict, "::ffff:169.254.169.254", "a cloud metadata endpoint"},
		{strict, "::ffff:8.8.8.8", ""},
		{strict, "64:ff9b::a00:1", "in a private network (10.0.0.0/8, as NAT64 of 10.0.0.1)"},
		{strict, "64:ff9b::808:808", ""},
		{strict, "2002:7f00:1::", "a loopback address (127.0.0.0/8, as 6to4 of 127.0.0.1)"},
		{strict, "2001::1", "IETF protocol assignments"},
		{strict, "::127.0.0.1", "a loopback address (127.0.0.0/8, as IPv4-compatible 127.0.0.1)"},
		{private, "127.0.0.1", ""},
		{private, "::1", ""},
		{private, "10.0.0.1", ""},
		{private, "fd00::1", ""},
		{private, "::ffff:192.168.0.1", ""},
		{private, "169.254.169.254", "a cloud metadata endpoint"},
		{private, "169.254.1.1", "a link-local address"},
		{private, "100.64.0.1", "carrier-grade NAT"},
		{allow, "10.1.2.3", ""},
		{allow, "::ffff:10.1.2.3", ""},
		{allow, "10.2.0.1", "in a private network"},
		{allow, "169.254.1.1", ""},
		{allow, "169.254.169.254", "a cloud metadata endpoint"},
	}
	for _, tt := range tests {
		err := tt.policy.Check(netip.MustParseAddr(tt.addr))
		switch {
		case tt.why == "" && err != nil:
			t.Errorf("%+v.Check(%s) = %v, want allowed", tt.policy, tt.addr, err)
		case tt.why != "" && (err == nil || !strings.Contains(err.Error(), tt.why)):
			t.Errorf("%+v.Check(%s) = %v, want refusal ~ %q", tt.policy, tt.addr, err, tt.why)
		}
		var refused *RefusedError
		if err != nil && !errors.As(err, &refused) {
			t.Errorf("Check(%s) returned %T, want *RefusedError", tt.addr, err)
		}
	}
}

func TestRefusedErrorNamesHost(t *testing.T) {
	err := &RefusedError{Host: "files.example", Addr: netip.MustParseAddr("10.0.0.1"),
		Range: netip.MustParsePrefix("10.0.0.0/8"), Why: "in a private network"}
	want := `address 10.0.0.1 of host "files.example" is in a private network (10.0.0.0/8)`
	if err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
}

func TestParseCIDRs(t *testing.T) {
	tests := []struct {
		in      []string
		want    []string
		wantErr bool
	}{
		{nil, nil, false},
		{[]string{"10.0.0.0/8"}, []string{"10.0.0.0/8"}, false},
		{[]string{"10.0.0.0/8, 192.168.5.0/24", "fd00::/8"}, []string{"10.0.0.0/8", "192.168.5.0/24", "fd00::/8"}, false},
		{[]string{" 10.1.2.3 ", "::1"}, []string{"10.1.2.3/32", "::1/128"}, false},
		{[]string{"10.1.2.3/8"}, []string{"10.0.0.0/8"}, false},
		{[]string{"", " , ,"}, nil, false},
		{[]string{"10.0.0.0/33"}, nil, true},
		{[]string{"files.example"}, nil, true},
		{[]string{"10.0.0.0/8,nope"}, nil, true},
		{[]string{"fe80::1%eth0"}, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseCIDRs(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseCIDRs(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		var gotStr []string
		for _, p := range got {
			gotStr = append(gotStr, p.String())
		}
		if !slices.Equal(gotStr, tt.want) {
			t.Errorf("ParseCIDRs(%q) = %v, want %v", tt.in, gotStr, tt.want)
		}
	}
	if _, err := ParseCIDRs([]string{"bad"}); err == nil || !strings.HasPrefix(err.Error(), `parse cidr "bad": `) {
		t.Errorf("error %v, want a parse cidr prefix", err)
	}
}
