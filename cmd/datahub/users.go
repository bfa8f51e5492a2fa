package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// runUsers grants and revokes the roles of the web UI. Granting the first
// admin here is how a new installation starts; later, admins manage roles in
// the UI too.
func runUsers(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 0 {
		return usageError{"users: expected grant, revoke or list"}
	}
	switch args[0] {
	case "grant", "revoke":
		return usersChange(ctx, args[0], args[1:], stdout)
	case "list":
		return usersList(ctx, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("users: unknown command %q (expected grant, revoke or list)", args[0])}
}

func usersChange(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	name := "users " + verb
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	sf := storeFlags(fs)
	project := fs.String("project", "", "approver only: the project acronym (e.g. CFS); empty means every project")
	// Flags may follow the role and the address: datahub users grant approver a@b.ca --project CFS.
	var positional []string
	for {
		if err := parseFlags(fs, args, stdout); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 2 {
		return usageError{fmt.Sprintf("%s: expected a role (approver or admin) and an email address", name)}
	}
	role, email := opendata.Role(positional[0]), positional[1]
	if !role.Valid() {
		return usageError{fmt.Sprintf("%s: unknown role %q (expected approver or admin)", name, role)}
	}
	if !opendata.OneAddress(email) {
		return usageError{fmt.Sprintf("%s: %q is not one email address", name, email)}
	}
	if *project != "" && !opendata.ValidProject(*project) {
		return usageError{fmt.Sprintf("%s: --project must be a short acronym of letters, digits, - or _ (e.g. CFS)", name)}
	}
	if role == opendata.RoleAdmin && *project != "" {
		return usageError{fmt.Sprintf("%s: the admin role is for every project; drop --project", name)}
	}
	db, err := openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	scope := "every project"
	if *project != "" {
		scope = "project " + strings.ToUpper(*project)
	}
	if verb == "grant" {
		added, err := db.AddGrant(ctx, opendata.Grant{Email: email, Role: role, Project: *project, GrantedAt: time.Now(), GrantedBy: "cli"})
		if err != nil {
			return err
		}
		if !added {
			fmt.Fprintf(stdout, "%s is already %s for %s\n", opendata.NormEmail(email), role, scope)
			return nil
		}
		fmt.Fprintf(stdout, "granted %s for %s to %s\n", role, scope, opendata.NormEmail(email))
		return nil
	}
	removed, err := db.RemoveGrant(ctx, email, role, *project)
	if err != nil {
		return err
	}
	if !removed {
		return fmt.Errorf("users revoke: %s is not %s for %s", opendata.NormEmail(email), role, scope)
	}
	fmt.Fprintf(stdout, "revoked %s for %s from %s\n", role, scope, opendata.NormEmail(email))
	return nil
}

func usersList(ctx context.Context, args []string, stdout io.Writer) error {
	db, err := openForCommand(ctx, "users list", args, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	grants, err := db.Grants(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tROLE\tPROJECT\tGRANTED\tBY")
	for _, g := range grants {
		project := g.Project
		if project == "" {
			project = "(all)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.Email, g.Role, project, g.GrantedAt.Format(time.DateOnly), g.GrantedBy)
	}
	return tw.Flush()
}
