package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// runTargets manages the publishing targets: where each project's datasets
// go on the registry (SPEC §5), as the admin page does.
func runTargets(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"targets: expected set, list, check or delete"}
	}
	switch args[0] {
	case "set":
		return targetsSet(ctx, args[1:], stdin, stdout)
	case "list":
		return targetsList(ctx, args[1:], stdout)
	case "check":
		return targetsCheck(ctx, args[1:], stdout)
	case "delete":
		return targetsDelete(ctx, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("targets: unknown command %q (expected set, list, check or delete)", args[0])}
}

// targetFlags are the flags of the targets commands that name one target.
type targetFlags struct {
	store    *storeConfig
	registry *registryConfig
	project  *string
}

func newTargetFlags(name string) (*flag.FlagSet, *targetFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	f := &targetFlags{store: storeFlags(fs), registry: registryFlags(fs)}
	f.project = fs.String("project", "", "the project acronym, or * for the default target of projects without one")
	return fs, f
}

func targetsSet(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs, f := newTargetFlags("targets set")
	url := fs.String("registry-url", "", "the registry's base URL, e.g. https://registry.open.canada.ca")
	org := fs.String("organization", "", "the registry organization (owner_org) that owns the datasets, by name or id")
	tokenFile := fs.String("token-file", "", "file holding the registry API token; - reads standard input; empty keeps the current token")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	t := opendata.PublishingTarget{Project: *f.project, RegistryURL: *url, Organization: *org, UpdatedBy: "cli",
		UpdatedAt: time.Now()}
	t.Normalize()
	if errs := t.Validate(); len(errs) > 0 {
		return usageError{"targets set: " + opendata.FieldsError("publishing target", errs).(*opendata.Error).Message}
	}
	var token string
	if *tokenFile != "" {
		var err error
		if token, err = readToken(*tokenFile, stdin); err != nil {
			return err
		}
	}
	db, err := openStore(ctx, f.store)
	if err != nil {
		return err
	}
	defer db.Close()
	registry, err := f.registry.registry(ctx, f.store, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	var sealed *string
	if token != "" {
		s, err := registry.SealToken(t.Project, token)
		if err != nil {
			return err
		}
		sealed = &s
	}
	if err := db.SavePublishingTarget(ctx, t, sealed); err != nil {
		return err
	}
	tokenNote := "token kept as it was"
	if sealed != nil {
		tokenNote = "token stored encrypted"
	}
	fmt.Fprintf(stdout, "Saved target %s: %s, organization %s (%s).\n", t.Project, t.RegistryURL, t.Organization, tokenNote)
	return nil
}

func targetsList(ctx context.Context, args []string, stdout io.Writer) error {
	db, err := openForCommand(ctx, "targets list", args, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.PublishingTargets(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECT\tREGISTRY\tORGANIZATION\tTOKEN\tUPDATED\tBY")
	for _, t := range list {
		token := "not set"
		if t.TokenSet {
			token = "set"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Project, t.RegistryURL, t.Organization, token,
			t.UpdatedAt.Format(time.DateTime), t.UpdatedBy)
	}
	return tw.Flush()
}

// openForTarget parses a targets command that takes only the common flags and opens the store.
func openForTarget(ctx context.Context, name string, args []string, stdout io.Writer) (*targetFlags, *store.DB, error) {
	fs, f := newTargetFlags(name)
	if err := parseFlags(fs, args, stdout); err != nil {
		return nil, nil, err
	}
	if err := noArgs(fs); err != nil {
		return nil, nil, err
	}
	db, err := openStore(ctx, f.store)
	return f, db, err
}

func targetsCheck(ctx context.Context, args []string, stdout io.Writer) error {
	f, db, err := openForTarget(ctx, "targets check", args, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	t, sealed, err := db.SealedTarget(ctx, *f.project)
	if err != nil {
		return err
	}
	registry, err := f.registry.registry(ctx, f.store, db, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	line, err := registry.Check(ctx, t, sealed)
	if err != nil {
		return fmt.Errorf("target %s does not work: %w", t.Project, err)
	}
	fmt.Fprintln(stdout, line)
	return nil
}

func targetsDelete(ctx context.Context, args []string, stdout io.Writer) error {
	f, db, err := openForTarget(ctx, "targets delete", args, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.DeletePublishingTarget(ctx, *f.project); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Deleted target %s.\n", opendata.NormProject(*f.project))
	return nil
}
