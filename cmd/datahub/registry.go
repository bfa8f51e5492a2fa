package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
)

// registryConfig says how the service reaches the registries and the file
// URLs: the address policy, and the key that seals registry tokens.
type registryConfig struct {
	keyFile      string
	fetchAllow   []netip.Prefix
	allowPrivate bool
}

// registryFlags adds the flags of outside calls: file checks and registries.
func registryFlags(fs *flag.FlagSet) *registryConfig {
	c := &registryConfig{}
	fs.StringVar(&c.keyFile, "secret-key-file", "", "key file that seals registry tokens at rest; SQLite default DATA/secret.key (created once), required with PostgreSQL")
	fs.Func("fetch-allow-cidr", "a network file checks and registry calls may reach although it is private, as CIDR or address (repeatable, comma-separated)", func(v string) error {
		p, err := fetch.ParseCIDRs([]string{v})
		c.fetchAllow = append(c.fetchAllow, p...)
		return err
	})
	fs.BoolVar(&c.allowPrivate, "allow-private-fetch", false, "let file checks and registry calls reach loopback and private networks: for tests only")
	return c
}

func (c *registryConfig) policy() fetch.Policy {
	return fetch.Policy{Allow: c.fetchAllow, AllowPrivate: c.allowPrivate}
}

// registry loads the secret key and checks that every stored token opens
// with it, so that a wrong or missing key is said at start, not at the first publication.
func (c *registryConfig) registry(ctx context.Context, sc *storeConfig, db *store.DB, logger *slog.Logger) (publish.Registry, error) {
	r := publish.Registry{HTTP: fetch.NewHTTPClient(c.policy(), fetch.HTTPOptions{})}
	var err error
	switch {
	case c.keyFile != "":
		r.Keys, err = secret.LoadKeyFile(c.keyFile)
	case db.Dialect() == "sqlite":
		var created bool
		path := filepath.Join(sc.data, secret.DefaultKeyFile)
		if r.Keys, created, err = secret.LoadOrCreate(path); created && logger != nil {
			logger.Warn("created the secret key that seals registry tokens; back it up with the database", "path", path)
		}
	}
	if err != nil {
		return r, fmt.Errorf("secret key: %w", err)
	}
	targets, err := db.PublishingTargets(ctx)
	if err != nil {
		return r, err
	}
	for _, t := range targets {
		if !t.TokenSet {
			continue
		}
		_, sealed, err := db.TargetFor(ctx, t.Project)
		if err != nil {
			return r, err
		}
		if _, err := r.Client(&t, sealed); err != nil {
			if errors.Is(err, publish.ErrNoKey) {
				return r, fmt.Errorf("the registry token of target %s is stored sealed, but no --secret-key-file is given (on PostgreSQL every replica needs the same key file)", t.Project)
			}
			return r, err
		}
	}
	return r, nil
}

// readToken reads a registry token from a file, or from in for "-", trimmed
// of surrounding white space; it must be one line of printable characters.
func readToken(path string, in io.Reader) (string, error) {
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("read token: %w", err)
		}
		defer f.Close()
		in = f
	}
	b, err := io.ReadAll(io.LimitReader(in, publish.MaxToken+2)) // the token and a line break
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if err := publish.CheckToken(token); err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	return token, nil
}
