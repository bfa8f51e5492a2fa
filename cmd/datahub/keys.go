package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"keys: expected create, list or revoke"}
	}
	switch args[0] {
	case "create":
		return keysCreate(ctx, args[1:], stdout)
	case "list":
		return keysList(ctx, args[1:], stdout)
	case "revoke":
		return keysRevoke(ctx, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("keys: unknown command %q (expected create, list or revoke)", args[0])}
}

func keysCreate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	sf := storeFlags(fs)
	project := fs.String("project", "", "project acronym the key may submit for (e.g. CFS)")
	client := fs.String("client", "", "name of the client system")
	contact := fs.String("contact", "", "email of the client's technical contact")
	expires := fs.String("expires", "", "lifetime: a Go duration or Nd days (1s, 12h, 90d), or never; empty is --key-max-lifetime")
	maxLife := opendata.DefaultKeyMaxLifetime
	fs.Var(lifetimeFlag{&maxLife}, "key-max-lifetime", "longest lifetime --expires may give, other than never")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch {
	case !opendata.ValidProject(*project):
		return usageError{"keys create: --project must be a short acronym of letters, digits, - or _ (e.g. CFS)"}
	case strings.TrimSpace(*client) == "" || len(*client) > 200:
		return usageError{"keys create: --client must name the client system (1 to 200 characters)"}
	}
	if !opendata.OneAddress(*contact) {
		return usageError{"keys create: --contact must be one email address"}
	}
	expiresAt, err := opendata.KeyExpiry(*expires, maxLife, time.Now())
	if err != nil {
		return usageError{"keys create: --expires: " + opendata.ErrorMessage(err)}
	}
	db, err := openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	key, rec, err := auth.IssueKey(ctx, db, opendata.KeyRequest{Project: *project, Client: *client,
		Contact: *contact, ExpiresAt: expiresAt}, time.Now())
	if err != nil {
		return err
	}
	exp := "never"
	if expiresAt != nil {
		exp = expiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "Created API key %s for project %s (%s), expires: %s.\n", rec.Prefix, rec.Project, rec.Client, exp)
	fmt.Fprintln(stdout, "It is shown only this once; store it in a secret store now:")
	fmt.Fprintln(stdout, key)
	return nil
}

func keysList(ctx context.Context, args []string, stdout io.Writer) error {
	db, err := openForCommand(ctx, "keys list", args, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := db.Keys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tPROJECT\tCLIENT\tCONTACT\tCREATED\tEXPIRES\tLAST USED\tSTATUS")
	now := time.Now()
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Prefix, k.Project, k.Client, k.Contact,
			stamp(&k.CreatedAt, "-"), stamp(k.ExpiresAt, "never"), stamp(k.LastUsedAt, "never"), k.Status(now))
	}
	return tw.Flush()
}

func stamp(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func keysRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keys revoke", flag.ContinueOnError)
	sf := storeFlags(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"keys revoke: give one key or key prefix"}
	}
	prefix, err := keyPrefixArg("keys revoke", fs.Arg(0))
	if err != nil {
		return err
	}
	db, err := openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RevokeKey(ctx, prefix); err != nil {
		if opendata.ErrorCode(err) == opendata.ENOTFOUND {
			return fmt.Errorf("no API key with prefix %s", prefix)
		}
		return err
	}
	fmt.Fprintf(stdout, "Revoked API key %s; it is refused from now on.\n", prefix)
	return nil
}
