package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opendata-datahub/datahub/client"
	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// submitConfig is the command line of `datahub submit`.
type submitConfig struct {
	server, key, format, out, lang string
	concurrency, retries           int
	dryRun                         bool
	file                           string
}

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := submitFlags(args, stdout)
	if err != nil {
		return err
	}
	lang := i18n.Negotiate(cfg.lang) // "en" or "fr", as --lang takes them
	rows, err := readRows(cfg.file, cfg.format)
	if err != nil {
		return err
	}
	c := client.New(cfg.server, cfg.key, client.WithLanguage(string(lang)), client.WithRetries(cfg.retries),
		client.WithUserAgent("datahub-submit"), client.WithHTTPClient(&http.Client{Timeout: 2 * time.Minute}))
	// One read first: a wrong address or a refused key stops the run before any row.
	if _, err := c.Choices(ctx); err != nil {
		return fmt.Errorf("submit: %s: %w", cfg.server, err)
	}

	// Read even in a dry run: it refuses to overwrite a file that is not a result file.
	earlier, err := readResults(cfg.out)
	if err != nil {
		return err
	}
	if cfg.dryRun {
		earlier = nil
	}
	s := &submitter{c: c, lang: lang, dry: cfg.dryRun}
	if cfg.dryRun {
		if s.rules, err = localRules(); err != nil {
			return err
		}
	}
	todo, carried := resume(rows, earlier)
	t := newTally()
	t.skipped = len(rows) - len(todo)
	results, err := createResults(cfg.out, carried)
	if err != nil {
		return err
	}
	rec := &recorder{results: results, tally: t, progress: newProgress(stderr, lang, len(todo))}
	werr := s.run(ctx, todo, cfg.concurrency, rec)
	rec.progress.finish(t.errors)
	if err := results.close(); werr == nil {
		werr = err
	}

	pending := len(todo) - int(s.sent.Load())
	t.writeSummary(stdout, lang, len(rows), filepath.Base(cfg.file), cfg.dryRun, pending)
	if s.local.Load() {
		fmt.Fprintln(stdout, say(lang, "local"))
	}
	fmt.Fprintln(stdout, say(lang, "results", cfg.out))
	switch {
	case werr != nil && ctx.Err() != nil && pending > 0:
		return errors.New(say(lang, "interrupted", pending))
	case werr != nil && ctx.Err() == nil:
		return werr
	case t.errors > 0 && cfg.dryRun:
		return errors.New(say(lang, "rows.invalid", t.errors, len(rows)))
	case t.errors > 0:
		return errors.New(say(lang, "rows.failed", t.errors, len(rows)))
	}
	return nil
}

// resume splits the rows into those to send and the records of an earlier
// run to keep: a row whose file_id that run submitted (or found) is done.
func resume(rows []inputRow, earlier map[string]outcome) (todo []inputRow, carried []outcome) {
	for _, r := range rows {
		if prev, ok := earlier[r.fileID]; ok && r.fileID != "" && done(prev.status) {
			prev.row = r.n
			carried = append(carried, prev)
			delete(earlier, r.fileID)
			continue
		}
		todo = append(todo, r)
	}
	for _, prev := range earlier {
		if done(prev.status) {
			carried = append(carried, prev) // a row no longer in the file: its record is kept
		}
	}
	return todo, carried
}

func submitFlags(args []string, stdout io.Writer) (submitConfig, error) {
	var cfg submitConfig
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	fs.StringVar(&cfg.server, "server", "", "base URL of the DataHub server, e.g. https://datahub.example.gc.ca")
	fs.StringVar(&cfg.key, "key", "", "API key (better in DATAHUB_KEY, out of the shell's history)")
	fs.StringVar(&cfg.format, "format", "", "csv, json or jsonl; by default the file's extension")
	fs.StringVar(&cfg.out, "out", "", "result CSV; a re-run with the same file skips the rows it records as submitted (default FILE.results.csv, FILE.dry-run.csv with --dry-run)")
	fs.StringVar(&cfg.lang, "lang", "en", "language of messages and of the summary: en or fr")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "rows sent at once (1 to 64)")
	fs.IntVar(&cfg.retries, "retries", 6, "times a row is sent again after a rate limit, a server error or a network failure")
	fs.BoolVar(&cfg.dryRun, "dry-run", false, "validate every row and report, submitting nothing")
	if err := parseFlags(fs, args, stdout); err != nil {
		return cfg, err
	}
	// Flags may also follow the file: datahub submit rows.csv --dry-run.
	var files []string
	for fs.NArg() > 0 {
		files = append(files, fs.Arg(0))
		if err := parseFlags(fs, fs.Args()[1:], stdout); err != nil {
			return cfg, err
		}
	}
	if len(files) != 1 {
		return cfg, usageError{"submit: give one file: datahub submit --server URL --key KEY FILE.csv|FILE.json|FILE.jsonl"}
	}
	cfg.file = files[0]
	var err error
	if cfg.format, err = inputFormat(cfg.file, cfg.format); err != nil {
		return cfg, err
	}
	u, err := url.Parse(cfg.server)
	switch {
	case cfg.server == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return cfg, usageError{"submit: --server must be the server's http(s) URL"}
	case strings.TrimSpace(cfg.key) == "":
		return cfg, usageError{"submit: --key (or DATAHUB_KEY) must be an API key"}
	case cfg.concurrency < 1 || cfg.concurrency > 64:
		return cfg, usageError{"submit: --concurrency must be between 1 and 64"}
	case cfg.retries < 0:
		return cfg, usageError{"submit: --retries must be 0 or more"}
	case cfg.lang != "en" && cfg.lang != "fr":
		return cfg, usageError{"submit: --lang must be en or fr"}
	}
	if cfg.out == "" {
		suffix := ".results.csv"
		if cfg.dryRun {
			suffix = ".dry-run.csv"
		}
		cfg.out = strings.TrimSuffix(cfg.file, filepath.Ext(cfg.file)) + suffix
	}
	return cfg, nil
}

// submitter sends rows, or validates them in a dry run.
type submitter struct {
	c     *client.Client
	lang  i18n.Lang
	dry   bool
	rules opendata.Rules // for validation here
	local atomic.Bool    // the server has no validation route: validate here
	sent  atomic.Int64
}

// run hands the rows to workers until all are done or ctx ends.
func (s *submitter) run(ctx context.Context, rows []inputRow, workers int, rec *recorder) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan inputRow)
	var wg sync.WaitGroup
	for range min(workers, max(len(rows), 1)) {
		wg.Go(func() {
			for r := range next {
				o, ok := s.process(ctx, r)
				if !ok {
					continue // interrupted: the row is left for the next run
				}
				s.sent.Add(1)
				if err := rec.record(o); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, r := range rows {
		select {
		case next <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// process sends or validates one row; false when ctx ended first.
func (s *submitter) process(ctx context.Context, r inputRow) (outcome, bool) {
	o := outcome{row: r.n, fileID: r.fileID}
	if r.bad != "" {
		o.status = statusInvalid
		o.errors = []client.FieldError{{Code: "unreadable", Message: r.bad}}
		return o, true
	}
	var err error
	switch {
	case !s.dry:
		var key string
		if key, err = client.IdempotencyKey(r.fields); err == nil {
			var res *client.SubmitResult
			if res, err = s.c.Submit(ctx, r.fields, key); err == nil {
				o.status, o.datahubID, o.flowURL = statusSubmitted, res.DatahubID, res.FlowURL
			}
		}
	case !s.local.Load():
		if err = s.c.Validate(ctx, r.fields); errors.Is(err, client.ErrNoValidate) {
			s.local.Store(true)
			err = s.validateHere(ctx, r)
		}
	default:
		err = s.validateHere(ctx, r)
	}
	if ctx.Err() != nil {
		return o, false
	}
	s.judge(&o, err)
	return o, true
}

// judge sets the row's status from the server's answer.
func (s *submitter) judge(o *outcome, err error) {
	p, isProblem := client.AsProblem(err)
	switch {
	case err == nil && o.status == "":
		o.status = statusValid
	case err == nil:
	case isProblem && p.Duplicate():
		// Counted as done: a re-run, or a run after a lost answer, must not fail on it.
		o.status, o.datahubID, o.flowURL = statusExists, p.ExistingID, p.FlowURL
		for _, e := range p.Errors {
			if e.Code != client.CodeDuplicate {
				o.errors = append(o.errors, e)
			}
		}
	case isProblem && p.Status == http.StatusBadRequest && len(p.Errors) > 0:
		o.status, o.errors = statusInvalid, p.Errors
	case isProblem:
		code := p.Code
		if code == "" {
			code = fmt.Sprintf("http_%d", p.Status)
		}
		o.status = statusFailed
		o.errors = []client.FieldError{{Code: code, Message: p.Error()}}
	default:
		o.status = statusFailed
		o.errors = []client.FieldError{{Code: "network", Message: err.Error()}}
	}
}
