// Package loopback keeps the bench programs on this machine.
package loopback

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// DatabaseURL refuses a PostgreSQL URL that would reach beyond this machine:
// every host (fallbacks included) must be a Unix socket directory or a
// loopback IP literal, so that no name is looked up and no packet leaves.
func DatabaseURL(dbURL string) error {
	cfg, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("database URL: %w", err)
	}
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		if strings.HasPrefix(h, "/") {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil && a.IsLoopback() {
			continue
		}
		return fmt.Errorf("database host %q: use a Unix socket directory (host=/var/run/postgresql), 127.0.0.1 or ::1; the benchmarks reach nothing else", h)
	}
	return nil
}
