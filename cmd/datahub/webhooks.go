package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/webhook"
)

// runWebhooks manages the API keys' webhook endpoints (SPEC §2.4), as a key
// may manage its own through the API.
func runWebhooks(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"webhooks: expected set, list, remove or rotate"}
	}
	switch args[0] {
	case "set":
		return webhooksSet(ctx, args[1:], stdout)
	case "list":
		return webhooksList(ctx, args[1:], stdout)
	case "remove":
		return webhooksRemove(ctx, args[1:], stdout)
	case "rotate":
		return webhooksRotate(ctx, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("webhooks: unknown command %q (expected set, list, remove or rotate)", args[0])}
}

// keyPrefixArg reads a key or a key prefix from the command line and returns the prefix.
func keyPrefixArg(name, arg string) (string, error) {
	if p := auth.PrefixOf(arg); p != "" {
		return p, nil
	}
	if len(arg) != auth.PrefixLen || !strings.HasPrefix(arg, "dh_") {
		return "", usageError{fmt.Sprintf("%s: %q is neither a key nor a key prefix (dh_ and 8 characters)", name, arg)}
	}
	return arg, nil
}

// webhookCommand is a parsed webhooks command that names one key.
type webhookCommand struct {
	store    *storeConfig
	registry *registryConfig
	prefix   string
}

// parseWebhookCommand parses flags (before or after the key) and the one key or prefix.
func parseWebhookCommand(name string, args []string, stdout io.Writer, more func(fs *flag.FlagSet)) (*webhookCommand, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c := &webhookCommand{store: storeFlags(fs), registry: registryFlags(fs)}
	if more != nil {
		more(fs)
	}
	var positional []string
	for {
		if err := parseFlags(fs, args, stdout); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return nil, usageError{name + ": give one key or key prefix"}
	}
	var err error
	c.prefix, err = keyPrefixArg(name, positional[0])
	return c, err
}

// endpoints opens the store and the secret key that seals signing secrets.
func (c *webhookCommand) endpoints(ctx context.Context) (*store.DB, webhook.Endpoints, error) {
	db, err := openStore(ctx, c.store)
	if err != nil {
		return nil, webhook.Endpoints{}, err
	}
	registry, err := c.registry.registry(ctx, c.store, db, slog.New(slog.DiscardHandler))
	if err != nil {
		db.Close()
		return nil, webhook.Endpoints{}, err
	}
	return db, webhook.Endpoints{Store: db, Keys: registry.Keys}, nil
}

func webhooksSet(ctx context.Context, args []string, stdout io.Writer) error {
	var url *string
	c, err := parseWebhookCommand("webhooks set", args, stdout, func(fs *flag.FlagSet) {
		url = fs.String("url", "", "where the key's project's events are POSTed: an absolute http(s) URL")
	})
	if err != nil {
		return err
	}
	if err := opendata.CheckWebhookURL(*url); err != nil {
		return usageError{"webhooks set: --url: " + err.(*opendata.Error).Message}
	}
	db, endpoints, err := c.endpoints(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, err := endpoints.Set(ctx, c.prefix, *url, time.Now())
	if err != nil {
		return noKey(c.prefix, err)
	}
	fmt.Fprintf(stdout, "The webhook of key %s posts every event of its project to %s.\n", c.prefix, *url)
	if secret == "" {
		fmt.Fprintln(stdout, "It keeps its signing secret; datahub webhooks rotate gives it a new one.")
		return nil
	}
	fmt.Fprintln(stdout, "Its signing secret is shown only this once; give it to the receiver now:")
	fmt.Fprintln(stdout, secret)
	return nil
}

func webhooksRotate(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseWebhookCommand("webhooks rotate", args, stdout, nil)
	if err != nil {
		return err
	}
	db, endpoints, err := c.endpoints(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	secret, err := endpoints.Rotate(ctx, c.prefix, now)
	if err != nil {
		return noKey(c.prefix, err)
	}
	until := now.Add(opendata.WebhookOldSecretFor).UTC().Format("2006-01-02 15:04Z")
	fmt.Fprintf(stdout, "The webhook of key %s has a new signing secret; the old one also signs until %s.\n", c.prefix, until)
	fmt.Fprintln(stdout, "The new secret is shown only this once; give it to the receiver now:")
	fmt.Fprintln(stdout, secret)
	return nil
}

func webhooksRemove(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseWebhookCommand("webhooks remove", args, stdout, nil)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, c.store)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RemoveWebhook(ctx, c.prefix); err != nil {
		return noKey(c.prefix, err)
	}
	fmt.Fprintf(stdout, "Removed the webhook of key %s; its events stay in the feed.\n", c.prefix)
	return nil
}

// noKey says plainly that a key, or its endpoint, does not exist.
func noKey(prefix string, err error) error {
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return fmt.Errorf("no API key %s, or it has no webhook", prefix)
	}
	return err
}

func webhooksList(ctx context.Context, args []string, stdout io.Writer) error {
	db, err := openForCommand(ctx, "webhooks list", args, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	hooks, err := db.Webhooks(ctx)
	if err != nil {
		return err
	}
	keys, err := db.Keys(ctx)
	if err != nil {
		return err
	}
	project := map[string]string{}
	for _, k := range keys {
		project[k.Prefix] = k.Project
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tPROJECT\tURL\tSTATUS\tFAILING SINCE\tOLD SECRET UNTIL\tUPDATED")
	for _, w := range hooks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", w.KeyPrefix, project[w.KeyPrefix], w.URL, w.Status(),
			stamp(w.FailingSince, "-"), stamp(w.OldSecretUntil, "-"), stamp(&w.UpdatedAt, "-"))
	}
	return tw.Flush()
}
