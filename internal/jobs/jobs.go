// Package jobs runs DataHub's background work on River, a durable queue kept
// in the store's own database (SQLite or PostgreSQL), so a job is enqueued in
// the same transaction as the change that causes it and any replica can run it.
//
// The domain decides what a change causes (opendata.Effect); the store
// enqueues those effects in the change's transaction through the store.Jobs
// interface, which *Queue implements; workers report back through the store.
//
// Adding a job kind (webhooks, say) takes:
//  1. the effect in opendata's effects table (opendata/effects.go);
//  2. an args type with Kind() and, for its own retries, InsertOpts(), and a
//     row in jobArgs below turning the effect into those args;
//  3. a worker for it, in its own file like filecheck.go, and one
//     river.AddWorker line in register, below.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/store"
)

// Config sets up a Queue that runs jobs. Zero fields take the defaults noted.
type Config struct {
	Fetch        *fetch.Client // checks file URLs; required
	Mailer       mail.Mailer   // sends the workflow's notices; required
	PublicURL    string        // the service's public base URL, for the links in notices
	FetchTimeout time.Duration // the fetcher's total time limit (default 15m); a job may run a minute longer
	Workers      int           // jobs run at once by this replica (default 4), and as many webhook deliveries besides
	// ChecksPerProject bounds the file checks of one project this replica runs
	// at once, so that one client's slow files cannot hold every worker
	// (default half of Workers, at least 1). A check over the bound waits
	// ProjectBusyDelay (default 5s) and tries again, its attempts untouched.
	ChecksPerProject int
	ProjectBusyDelay time.Duration
	// RescueAfter is how long a job may run before it is taken to be lost with
	// its replica and retried by another; it must exceed the job time limit. Default 20m.
	RescueAfter  time.Duration
	PollInterval time.Duration                   // how often to look for jobs nobody announced; default 1s
	RetryDelay   func(attempt int) time.Duration // wait after a failed attempt of a file check; default 5s, 15s, 40s
	Logger       *slog.Logger
	Test         bool // skips River's start-up jitter; for tests only

	Registry     publish.Registry                // reaches the publishing targets' registries
	PublishDelay func(attempt int) time.Duration // wait after a failed publishing attempt; default 10s, 1m, 5m, 30m, 2h
	Metrics      prometheus.Registerer           // where publishing's metrics go; nil keeps them unregistered
	Webhooks     *http.Client                    // delivers webhooks through the address policy; no redirects
	WebhookDelay func(attempt int) time.Duration // wait after a failed delivery; default 5s, 30s, 2m, 10m, 30m, 2h, 6h
	Now          func() time.Time                // the clock of the workflow's steps; default time.Now
}

// Queue enqueues jobs and, when made by New and started, runs them.
type Queue struct {
	client  *river.Client[*sql.Tx]
	reader  *river.Client[*sql.Tx] // reads job rows (readDriver)
	working bool
	started bool
}

// register adds every job kind's worker. This is the one place a kind is registered.
func register(w *river.Workers, db *store.DB, cfg Config) {
	river.AddWorker(w, newFileCheckWorker(db, cfg))
	river.AddWorker(w, newNotifyWorker(db, cfg))
	m := newPublishMetrics(cfg.Metrics)
	rw := registryWork{db: db, registry: cfg.Registry, delay: cfg.PublishDelay, metrics: m, now: cfg.Now, log: cfg.Logger}
	river.AddWorker(w, &publishWorker{registryWork: rw})
	river.AddWorker(w, &unpublishWorker{registryWork: rw})
	river.AddWorker(w, &webhookWorker{db: db, keys: cfg.Registry.Keys, client: cfg.Webhooks, mailer: cfg.Mailer,
		delay: cfg.WebhookDelay, now: cfg.Now})
}

// New returns a queue that runs jobs on cfg.Workers workers once started.
func New(db *store.DB, cfg Config) (*Queue, error) {
	if cfg.Fetch == nil {
		return nil, errors.New("jobs: no fetch client")
	}
	if cfg.Mailer == nil {
		return nil, errors.New("jobs: no mailer")
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 15 * time.Minute
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.ChecksPerProject <= 0 {
		cfg.ChecksPerProject = max(1, cfg.Workers/2)
	}
	if cfg.ProjectBusyDelay <= 0 {
		cfg.ProjectBusyDelay = 5 * time.Second
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = 20 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PublishDelay == nil {
		cfg.PublishDelay = defaultPublishDelay
	}
	if cfg.WebhookDelay == nil {
		cfg.WebhookDelay = defaultWebhookDelay
	}
	if cfg.Webhooks == nil {
		cfg.Webhooks = NewWebhookClient(fetch.Policy{}, fetch.HTTPOptions{}) // public addresses only
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RescueAfter <= jobTimeout(cfg) {
		return nil, fmt.Errorf("jobs: the rescue delay %s must exceed the job time limit %s", cfg.RescueAfter, jobTimeout(cfg))
	}
	workers := river.NewWorkers()
	register(workers, db, cfg)
	client, err := river.NewClient(driver(db), &river.Config{
		Logger:  cfg.Logger,
		Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers},
			WebhookQueue: {MaxWorkers: cfg.Workers}},
		JobTimeout:           jobTimeout(cfg),
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		TestOnly:             cfg.Test,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	reader, err := newReader(db, cfg.Logger)
	if err != nil {
		return nil, err
	}
	return &Queue{client: client, reader: reader, working: true}, nil
}

// NewInserter returns a queue that only enqueues and reads jobs: for the
// command line, and for replicas that run none (--job-workers 0).
func NewInserter(db *store.DB, logger *slog.Logger) (*Queue, error) {
	if logger == nil {
		logger = slog.Default()
	}
	client, err := river.NewClient(driver(db), &river.Config{Logger: logger, SkipUnknownJobCheck: true})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	reader, err := newReader(db, logger)
	if err != nil {
		return nil, err
	}
	return &Queue{client: client, reader: reader}, nil
}

// newReader returns the client that reads job rows, never started.
func newReader(db *store.DB, logger *slog.Logger) (*river.Client[*sql.Tx], error) {
	reader, err := river.NewClient(readDriver(db), &river.Config{Logger: logger, SkipUnknownJobCheck: true})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return reader, nil
}

// SaveMargin is the time a job keeps beyond the fetcher's limit to save its
// result (the worker allows 30 s for that).
const SaveMargin = 35 * time.Second

// jobTimeout lets a file check use all of the fetcher's time and then save its result.
func jobTimeout(cfg Config) time.Duration { return cfg.FetchTimeout + SaveMargin }

// Start starts running jobs; it does nothing on an insert-only queue.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	q.started = true
	return nil
}

// Stop lets running jobs finish until ctx ends, then cancels them: River runs
// a cancelled job again later without counting the interrupted attempt.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.started {
		return nil
	}
	q.started = false
	err := q.client.Stop(ctx)
	if ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(hard)
	}
	if err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// jobArgs is the table of effects (opendata.Effect) to the job args that
// carry them out; a kind of effect missing here cannot be enqueued.
var jobArgs = map[opendata.EffectKind]func(store.Job) river.JobArgs{
	opendata.EffectCheckFile: func(j store.Job) river.JobArgs { return FileCheckArgs{SubmissionID: j.SubmissionID} },
	opendata.EffectNotify: func(j store.Job) river.JobArgs {
		return NotifyArgs{SubmissionID: j.SubmissionID, Event: j.Effect.Notice, Reason: j.Effect.Reason}
	},
	opendata.EffectPublish:   func(j store.Job) river.JobArgs { return PublishArgs{SubmissionID: j.SubmissionID} },
	opendata.EffectUnpublish: func(j store.Job) river.JobArgs { return UnpublishArgs{SubmissionID: j.SubmissionID} },
	opendata.EffectEvent:     func(j store.Job) river.JobArgs { return WebhookArgs{Events: []int64{j.Event}, Endpoint: j.Endpoint} },
}

// merger is job args that can take the same work for another submission, so
// that a group commit of many submissions adds one job, not one each.
type merger interface {
	river.JobArgs
	mergeKey() string         // args with the same key can be merged
	merge(j store.Job) merger // the args that also do j
}

// Enqueue inserts the jobs for these effects in tx with one River insert for
// a whole transaction or group commit (store.Jobs), and returns each job's id.
func (q *Queue) Enqueue(ctx context.Context, tx *sql.Tx, jobs []store.Job) ([]int64, error) {
	params := make([]river.InsertManyParams, 0, len(jobs))
	at := make([]int, len(jobs)) // the param of each job
	merged := map[string]int{}
	for i, j := range jobs {
		mk, ok := jobArgs[j.Effect.Kind]
		if !ok {
			return nil, fmt.Errorf("enqueue: no job for effect %q", j.Effect.Kind)
		}
		args := mk(j)
		if m, ok := args.(merger); ok {
			key := args.Kind() + "\x00" + m.mergeKey()
			if p, ok := merged[key]; ok {
				params[p].Args = params[p].Args.(merger).merge(j)
				at[i] = p
				continue
			}
			merged[key] = len(params)
		}
		at[i] = len(params)
		params = append(params, river.InsertManyParams{Args: args})
	}
	res, err := q.client.InsertManyTx(ctx, tx, params)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	ids := make([]int64, len(jobs))
	for i := range jobs {
		ids[i] = res[at[i]].Job.ID
	}
	return ids, nil
}
