package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/mail"
)

// runOutbox prints the email the service wrote to DATA/outbox (when no
// --smtp-url is set), newest last, with the text decoded: on a laptop this is
// where sign-in links and workflow notices arrive.
func runOutbox(args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	data := fs.String("data", "./data", "data directory")
	to := fs.String("to", "", "only messages to this address")
	last := fs.Int("last", 1, "how many of the newest messages to print; 0 prints all")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *last < 0 {
		return usageError{"outbox: --last must be 0 or more"}
	}
	msgs, err := mail.ReadOutbox(filepath.Join(*data, "outbox"))
	if err != nil {
		return err
	}
	var picked []mail.Stored
	for _, m := range msgs {
		if *to == "" || containsFold(m.To, *to) {
			picked = append(picked, m)
		}
	}
	if *last > 0 && len(picked) > *last {
		picked = picked[len(picked)-*last:]
	}
	if len(picked) == 0 {
		fmt.Fprintln(stdout, "no messages")
		return nil
	}
	for i, m := range picked {
		if i > 0 {
			fmt.Fprintln(stdout, strings.Repeat("-", 72))
		}
		fmt.Fprintf(stdout, "Date: %s\nTo: %s\nSubject: %s\nFile: %s\n\n%s\n", m.Date.UTC().Format(time.RFC3339),
			strings.Join(m.To, ", "), m.Subject, m.Path, strings.TrimSpace(m.Text))
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}
