package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// Jobs is the job queue as the store sees it: it enqueues background work
// inside a store transaction, so that a job exists if and only if the change
// that causes it commits, and reads jobs' states back. internal/jobs
// implements it; the store does not know the queue.
type Jobs interface {
	// Enqueue inserts these jobs inside tx, in one go (one call per group
	// commit), and returns their ids in the same order.
	Enqueue(ctx context.Context, tx *sql.Tx, jobs []Job) (jobIDs []int64, err error)
	// Statuses returns the jobs with these ids that the queue still keeps, newest first.
	Statuses(ctx context.Context, ids []int64) ([]JobStatus, error)
}

// Job is one effect of a change (opendata.Effect) for one submission,
// enqueued with the change. The queue decides how effects become jobs.
type Job struct {
	SubmissionID string
	Effect       opendata.Effect
	Event        int64  // EffectEvent: the event's place in the feed
	Endpoint     string // EffectEvent: the key prefix whose webhook receives it
}

// JobStatus is a job as the status API and `datahub jobs list` show it.
type JobStatus struct {
	ID           int64
	Kind         string
	State        string // the queue's: available, scheduled, pending, running, retryable, completed, cancelled, discarded
	Attempt      int
	MaxAttempts  int
	LastError    string // of the latest failed attempt
	ScheduledAt  time.Time
	SubmissionID string // for the kinds that concern a submission; a job about several names the first and how many more
}

// Live says whether the job may still run: it has neither finished nor been given up.
func (s JobStatus) Live() bool {
	return !slices.Contains([]string{"completed", "cancelled", "discarded"}, s.State)
}

// ErrNoQueue is the error of a write that causes background work on a store
// that has no job queue: the work would be lost, so nothing is written.
var ErrNoQueue = errors.New("store: no job queue (SetJobs was not called)")

// SetJobs sets the queue that writes enqueue their effects on. Call it once,
// before the store is used; until then a write that has effects fails with ErrNoQueue.
func (db *DB) SetJobs(j Jobs) { db.jobs = j }

// JobStatuses returns the jobs with these ids that the queue still keeps, newest first.
func (db *DB) JobStatuses(ctx context.Context, ids []int64) ([]JobStatus, error) {
	if db.jobs == nil {
		return nil, ErrNoQueue
	}
	if len(ids) == 0 {
		return []JobStatus{}, nil
	}
	return db.jobs.Statuses(ctx, ids)
}

// effectRow is what the store keeps beside the job of one kind of effect: a
// row written with the change (before, which also says whether a job is
// needed at all) and, once the job's id is known, a statement run per job
// (after) and the row that links the job to what it is for, inserted with the
// batch's others (link; by default a submission_jobs row).
type effectRow struct {
	before func(tx *Tx, j *Job) (enqueue bool, err error)
	after  func(tx *Tx, j Job, jobID int64) error
	link   *rowInsert
}

// effectRows lists the kinds of effect that keep rows of their own.
var effectRows = map[opendata.EffectKind]effectRow{
	opendata.EffectCheckFile: {before: pendFileCheck, after: linkFileCheck},
	opendata.EffectEvent:     {before: writeEvent, link: &deliveryRows},
}

// queueEffects asks for the effects' jobs, inserted before COMMIT with the
// transaction's other jobs (enqueueEffects).
func queueEffects(tx *Tx, submissionID string, effects []opendata.Effect) error {
	if len(effects) == 0 {
		return nil
	}
	if tx.db.jobs == nil {
		return ErrNoQueue
	}
	for _, e := range effects {
		if e.Kind == opendata.EffectNotify && !slices.Contains(opendata.Notices, e.Notice) {
			return fmt.Errorf("queue effects: unknown notice %q", e.Notice)
		}
		j := Job{SubmissionID: submissionID, Effect: e}
		if row := effectRows[e.Kind]; row.before != nil {
			enqueue, err := row.before(tx, &j)
			if err != nil {
				return err
			} else if !enqueue {
				continue // its row says no job is needed (an event with no webhook)
			}
		}
		tx.jobs = append(tx.jobs, j)
	}
	return nil
}

// enqueueEffects inserts the jobs that the transaction's writes asked for, in
// one call for the whole group commit, and links each to its submission (a
// webhook delivery to its event, which names the submission).
// Writers call it after the last write and before COMMIT.
func (t *Tx) enqueueEffects() error {
	if len(t.jobs) == 0 {
		return nil
	}
	ids, err := t.db.jobs.Enqueue(t.ctx, t.tx, t.jobs)
	if err != nil {
		return fmt.Errorf("enqueue jobs: %w", err)
	}
	if len(ids) != len(t.jobs) {
		return fmt.Errorf("enqueue jobs: %d ids for %d jobs", len(ids), len(t.jobs))
	}
	now := micros(t.db.now())
	links := map[*rowInsert][]any{}
	for i, j := range t.jobs {
		row := effectRows[j.Effect.Kind]
		if row.after != nil {
			if err := row.after(t, j, ids[i]); err != nil {
				return err
			}
		}
		link := row.link
		if link == nil {
			link = &submissionJobRows
		}
		links[link] = append(links[link], link.values(j, ids[i], now)...)
	}
	for r, args := range links {
		if err := r.insert(t, args); err != nil {
			return err
		}
	}
	t.jobs = t.jobs[:0]
	return nil
}

// submissionJobRows links each job to its submission (InsertSubmissionJobSQL, for many).
var submissionJobRows = rowInsert{
	into: `submission_jobs (submission_id, job_id, kind, created_at)`, columns: 4,
	values: func(j Job, jobID, now int64) []any {
		return []any{j.SubmissionID, jobID, string(j.Effect.Kind), now}
	},
}

// rowInsert is an insert of many rows at once, of the jobs of one group
// commit: one statement per chunk instead of one per row.
type rowInsert struct {
	into    string // table (columns)
	columns int
	values  func(j Job, jobID, now int64) []any // a row's values, in the columns' order

	once  sync.Once
	texts map[int]string // statement of each size in insertChunks
}

// insertChunks are the sizes of the statements rowInsert runs: few shapes, so
// that each is prepared once per connection and then reused.
var insertChunks = []int{64, 16, 4, 1}

// insert inserts the rows whose values args holds one after the other.
func (r *rowInsert) insert(tx *Tx, args []any) error {
	r.once.Do(func() {
		r.texts = map[int]string{}
		for _, size := range insertChunks {
			r.texts[size] = r.statement(size)
		}
	})
	rows := len(args) / r.columns
	for _, size := range insertChunks {
		for ; rows >= size; rows -= size {
			n := size * r.columns
			if _, err := tx.Exec(r.texts[size], args[:n]...); err != nil {
				return fmt.Errorf("insert into %s: %w", r.into, err)
			}
			args = args[n:]
		}
	}
	return nil
}

// statement is the INSERT of size rows.
func (r *rowInsert) statement(size int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + r.into + " VALUES ")
	for i := range size {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range r.columns {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", i*r.columns+c+1)
		}
		b.WriteByte(')')
	}
	return b.String()
}
