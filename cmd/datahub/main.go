// Command datahub runs the DataHub Open Data Publishing service and manages it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	_ "time/tzdata" // America/Toronto must resolve on machines without zoneinfo
)

const usage = `datahub — publish datasets to the Open Government registry

Usage:
  datahub serve [flags]                       start the service
  datahub migrate [--data DIR]                apply database migrations
  datahub keys create --project P --client NAME --contact EMAIL [--expires 90d|never]
  datahub keys list                           list API keys (never the keys themselves)
  datahub keys revoke KEY-OR-PREFIX           revoke a key at once
  datahub webhooks set --url URL KEY-OR-PREFIX  POST every event of the key's project there; prints the
                                              signing secret (whsec_...) as the last line, once
  datahub webhooks rotate KEY-OR-PREFIX       a new signing secret (last line); the old one signs too for 24 h
  datahub webhooks remove KEY-OR-PREFIX       stop posting the key's events
  datahub webhooks list                       every key's endpoint and its health
  datahub users grant admin|approver EMAIL [--project P]   give a role in the web UI
  datahub users revoke admin|approver EMAIL [--project P]  take it away
  datahub users list                          list who holds which role
  datahub targets set --project P|'*' --registry-url URL --organization ORG [--token-file FILE|-]
                                              where a project's datasets are published
  datahub targets list|check --project P|delete --project P   list, try or remove publishing targets
  datahub outbox [--to EMAIL] [--last N]      print the email written to DATA/outbox (no --smtp-url)
  datahub jobs list [--state S,...]           background jobs queued, running, retrying or failed
  datahub vocabulary show [--json]            print the choice lists
  datahub submit --server URL --key KEY [--dry-run] FILE.csv|FILE.json|FILE.jsonl
                                              submit many datasets, resumably; writes a result CSV

Every flag can also be set with DATAHUB_<FLAG>, e.g. DATAHUB_PUBLIC_URL.
Run "datahub COMMAND -h" for a command's flags.
`

// usageError is a mistake in the command line: exit status 2, no stack trace.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "datahub: %s\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "datahub: %s\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, stdout, stderr)
	case "webhooks":
		return runWebhooks(ctx, rest, stdout)
	case "users":
		return runUsers(ctx, args[1:], stdout, stderr)
	case "targets":
		return runTargets(ctx, args[1:], os.Stdin, stdout)
	case "outbox":
		return runOutbox(args[1:], stdout, stderr)
	case "jobs":
		return runJobs(ctx, rest, stdout, stderr)
	case "vocabulary":
		return runVocabulary(rest, stdout, stderr)
	case "submit":
		return runSubmit(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q (try: serve, migrate, keys, webhooks, users, targets, outbox, jobs, vocabulary, submit)", cmd)}
}

// parseFlags parses args, then fills every flag not given on the command line
// from its DATAHUB_* environment variable.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, "Usage of datahub %s:\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return usageError{err.Error()}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(f.Name)
		if v, ok := os.LookupEnv(name); ok && !given[f.Name] && err == nil {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = usageError{fmt.Sprintf("invalid value %q for %s: %v", v, name, setErr)}
			}
		}
	})
	return err
}

// EnvName is the environment variable that sets a flag: public-url -> DATAHUB_PUBLIC_URL.
func EnvName(flagName string) string {
	return "DATAHUB_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}
