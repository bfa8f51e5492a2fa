package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// FileCheckArgs asks for a check of a submission's file_url (SPEC §4).
type FileCheckArgs struct {
	SubmissionID string `json:"submission_id"`
}

// Kind names the job kind.
func (FileCheckArgs) Kind() string { return string(opendata.EffectCheckFile) }

// FileCheckAttempts is how many times a check is tried when the failure may be
// transient (5xx, timeouts, resets): about a minute in all with the default delays.
const FileCheckAttempts = 4

// InsertOpts gives file checks their own retry budget.
func (FileCheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: FileCheckAttempts}
}

// defaultRetryDelay is the wait after a failed attempt: 5 s, 15 s, then 40 s.
func defaultRetryDelay(attempt int) time.Duration {
	switch attempt {
	case 1:
		return 5 * time.Second
	case 2:
		return 15 * time.Second
	}
	return 40 * time.Second
}

// fileCheckWorker downloads the file once through the SSRF-safe fetcher and
// records the result on the submission's file check.
type fileCheckWorker struct {
	river.WorkerDefaults[FileCheckArgs]
	db         *store.DB
	fetch      *fetch.Client
	timeout    time.Duration
	retryDelay func(attempt int) time.Duration
	projects   *projectSlots
	busyDelay  time.Duration // the wait of a check whose project has no slot free
}

func newFileCheckWorker(db *store.DB, cfg Config) *fileCheckWorker {
	w := &fileCheckWorker{db: db, fetch: cfg.Fetch, timeout: jobTimeout(cfg), retryDelay: cfg.RetryDelay,
		projects: &projectSlots{limit: cfg.ChecksPerProject, running: map[string]int{}}, busyDelay: cfg.ProjectBusyDelay}
	if w.retryDelay == nil {
		w.retryDelay = defaultRetryDelay
	}
	return w
}

// Timeout outlasts the fetcher's own total limit, so the fetcher reports a
// timeout as a result rather than River cutting the check off.
func (w *fileCheckWorker) Timeout(*river.Job[FileCheckArgs]) time.Duration { return w.timeout }

// NextRetry spaces the attempts at 5 s, 15 s and 40 s by default.
func (w *fileCheckWorker) NextRetry(job *river.Job[FileCheckArgs]) time.Time {
	return time.Now().Add(w.retryDelay(job.Attempt))
}

// Work checks the file. Passed, refused and non-retryable failures are final;
// a transient failure with attempts left is recorded on the still pending
// check and returned as an error, so that River tries again.
func (w *fileCheckWorker) Work(ctx context.Context, job *river.Job[FileCheckArgs]) error {
	sub, err := w.db.Submission(ctx, job.Args.SubmissionID)
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if !w.projects.take(sub.Project) {
		return river.JobSnooze(w.busyDelay) // not an attempt: it runs once one of the project's checks ends
	}
	defer w.projects.give(sub.Project)
	res := w.fetch.Check(ctx, sub.Fields.FileURL)
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err() // shutting down: River runs the job again without counting this attempt
	}
	final := !res.Retryable || job.Attempt >= job.MaxAttempts
	c := checkFromResult(job, res, final)
	// Save even if the job's time ran out: the result is worth more than the deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	saved, err := w.db.SaveFileCheck(sctx, c, opendata.FileCheckedEffects(sub, c)...)
	switch {
	case err != nil:
		return err
	case final || !saved: // !saved: a newer request replaced this job
		return nil
	}
	return fmt.Errorf("attempt %d of %d: %s", job.Attempt, job.MaxAttempts, res.Reason)
}

func checkFromResult(job *river.Job[FileCheckArgs], res fetch.Result, final bool) *opendata.FileCheck {
	c := &opendata.FileCheck{
		SubmissionID: job.Args.SubmissionID, JobID: job.ID, State: opendata.CheckPending, Attempts: job.Attempt,
		HTTPStatus: res.HTTPStatus, Size: res.Size, ContentType: res.ContentType, SHA256: res.SHA256,
		Format: res.Format, Reason: res.Reason, ReasonCode: res.ReasonCode, ReasonArgs: res.ReasonArgs,
	}
	if !final {
		return c
	}
	c.State, c.CheckedAt = opendata.CheckState(res.State), &res.CheckedAt
	if res.State == fetch.Failed && res.Retryable {
		c.Reason = fmt.Sprintf("%s (after %d attempts)", res.Reason, job.Attempt)
		c.ReasonArgs = maps.Clone(res.ReasonArgs) // the pages say the attempts in their language too
		if c.ReasonArgs == nil {
			c.ReasonArgs = map[string]string{}
		}
		c.ReasonArgs["attempts"] = strconv.Itoa(job.Attempt)
	}
	return c
}

// projectSlots counts the file checks each project has running here.
type projectSlots struct {
	mu      sync.Mutex
	limit   int
	running map[string]int
}

// take claims a slot of project, unless it has limit running.
func (p *projectSlots) take(project string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[project] >= p.limit {
		return false
	}
	p.running[project]++
	return true
}

func (p *projectSlots) give(project string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[project]--; p.running[project] <= 0 {
		delete(p.running, project)
	}
}
