package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opendata-datahub/datahub/internal/jobs"
)

func runJobs(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return usageError{"jobs: expected list"}
	}
	fs := flag.NewFlagSet("jobs list", flag.ContinueOnError)
	sf := storeFlags(fs)
	states := fs.String("state", strings.Join(jobs.OpenStates(), ","),
		"comma-separated job states to show, of: "+strings.Join(jobs.States(), ", "))
	limit := fs.Int("limit", 100, "most jobs to show, newest first")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	want := splitList(*states)
	for _, s := range want {
		if !slices.Contains(jobs.States(), s) {
			return usageError{fmt.Sprintf("jobs list: --state %q: expected some of %s", s, strings.Join(jobs.States(), ", "))}
		}
	}
	if *limit < 1 {
		return usageError{"jobs list: --limit must be at least 1"}
	}
	db, err := openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	q, err := jobs.NewInserter(db, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	list, err := q.List(ctx, want, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATE\tATTEMPT\tSUBMISSION\tSCHEDULED\tLAST ERROR")
	for _, j := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts,
			orDash(j.SubmissionID), j.ScheduledAt.Format(time.RFC3339), orDash(oneLine(j.LastError)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(list) == *limit {
		fmt.Fprintf(stdout, "(the newest %d shown; raise --limit for more)\n", *limit)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps an error on its row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
