package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// DefaultBody is the submission the load test posts; file_id is replaced per row set.
const DefaultBody = `{"file_url":"http://127.0.0.1:9/data.csv","file_id":"UNIQUE","file_name":"data.csv","email_contact":"a@b.gc.ca","collection":"primary","title_translated_en":"Forest inventory","title_translated_fr":"Inventaire forestier","notes_translated_en":"Annual inventory of forest plots.","notes_translated_fr":"Inventaire annuel des placettes forestières.","keywords_en":"forests, trees","keywords_fr":"forêts, arbres","subject":"nature_and_environment","frequency":"P1Y","date_published":"2024-03-15","jurisdiction":"federal"}`

const project, keyPrefix = "CFS", "dh_bench000" // a prefix of the real length (auth.PrefixLen)

// options are the flags that change the rows or the transaction.
type options struct {
	rows        string // seven, five or two
	randomIDs   bool   // -ids v4
	savepoints  bool   // diagnosis only (SQLite)
	extraPragma string // diagnosis only (SQLite)
}

func (o options) fileChecks() bool { return o.rows != "two" }
func (o options) notices() bool    { return o.rows == "seven" }

// rowSet is what one submission writes; the workers make it, as the service's handlers do.
type rowSet struct {
	id, fileID, email string
	fields            []byte
	at                time.Time
	queued            time.Time
	done              chan error
}

// maker builds row sets from the validated body: the per-submission work the
// service also does before it queues a write (an id, the fields as JSON).
type maker struct {
	fields    opendata.Fields
	tag       string
	randomIDs bool
}

func newMaker(bodyFile, tag string, randomIDs bool) (*maker, error) {
	body := []byte(DefaultBody)
	if bodyFile != "" {
		b, err := os.ReadFile(bodyFile)
		if err != nil {
			return nil, err
		}
		body = b
	}
	fields, err := validFields(body)
	if err != nil {
		return nil, err
	}
	return &maker{fields: fields, tag: tag, randomIDs: randomIDs}, nil
}

func (m *maker) make(worker, n int) *rowSet {
	f := m.fields
	f.FileID = m.tag + "-" + strconv.Itoa(worker) + "-" + strconv.Itoa(n)
	js, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	id := uuid.Must(uuid.NewV7()).String()
	if m.randomIDs {
		id = uuid.NewString()
	}
	return &rowSet{id: id, fileID: f.FileID, email: f.EmailContact, fields: js, at: time.Now()}
}

// validFields decodes and validates body as the service does, so the stored JSON is the same.
func validFields(body []byte) (opendata.Fields, error) {
	vocab, err := opendata.LoadVocabulary()
	if err != nil {
		return opendata.Fields{}, err
	}
	raw, errs := opendata.DecodeJSON(body)
	if len(errs) > 0 {
		return opendata.Fields{}, fmt.Errorf("body: %v", errs)
	}
	f, errs := opendata.Rules{Vocabulary: vocab}.Validate(raw)
	if len(errs) > 0 {
		return opendata.Fields{}, fmt.Errorf("body: %v", errs)
	}
	return f, nil
}

// ceiling is the service's database as the service opens it (store.Open: its
// pragmas on SQLite, its pool on PostgreSQL), with the statements of the
// submit path prepared and River's inserter: everything of the submit path
// but the store's group commit, the HTTP and the validation.
type ceiling struct {
	st                     *store.DB
	db                     *sql.DB // the store's write pool
	queue                  *jobs.Queue
	sub, tr, check, subJob *sql.Stmt
	opts                   options
}

// openCeiling makes the service's schema and River's, as `datahub migrate`
// does, and prepares the store's statements.
func openCeiling(ctx context.Context, cfg store.Config, opts options) (*ceiling, error) {
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c := &ceiling{st: st, db: st.SQL(), opts: opts}
	if err := c.setUp(ctx); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *ceiling) setUp(ctx context.Context) error {
	if err := c.st.Migrate(ctx); err != nil {
		return err
	}
	if err := jobs.Migrate(ctx, c.st); err != nil {
		return err
	}
	q, err := jobs.NewInserter(c.st, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	c.queue = q
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&c.sub, store.InsertSubmissionSQL}, {&c.tr, store.InsertTransitionSQL},
		{&c.check, store.InsertFileCheckSQL}, {&c.subJob, store.InsertSubmissionJobSQL},
	} {
		if *p.s, err = c.db.PrepareContext(ctx, p.q); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	return nil
}

func (c *ceiling) close() error {
	for _, s := range []*sql.Stmt{c.sub, c.tr, c.check, c.subJob} {
		if s != nil {
			s.Close()
		}
	}
	return c.st.Close()
}

// commit writes a batch of row sets in one durable transaction and says how
// long BEGIN and the inserts, then the COMMIT, took.
func (c *ceiling) commit(ctx context.Context, batch []*rowSet) (ins, com time.Duration, _ error) {
	t0 := time.Now()
	tx, err := c.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE on SQLite, as the store's writer
	if err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	if err := c.write(ctx, tx, batch); err != nil {
		_ = tx.Rollback()
		return 0, 0, fmt.Errorf("insert: %w", err)
	}
	t1 := time.Now()
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return t1.Sub(t0), time.Since(t1), nil
}

// write writes what the service's CreateSubmission writes for each row set,
// with the store's statements and River's insert: each submission and its
// first transition, then the batch's jobs in one River insert (jobs.Queue,
// as the store's group commit does: the batch's "received" emails share one
// job), then each job's link and each pending file check with its job. The
// service inserts the file check with job_id 0 and sets it once River has
// answered; the ceiling writes the final row at once.
func (c *ceiling) write(ctx context.Context, tx *sql.Tx, batch []*rowSet) error {
	state := string(opendata.StateInPreparation)
	sub, tr := tx.StmtContext(ctx, c.sub), tx.StmtContext(ctx, c.tr)
	var queued []store.Job
	var of []*rowSet // the row set of each queued job
	for _, r := range batch {
		if c.opts.savepoints {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				return err
			}
		}
		at := r.at.UnixMicro()
		res, err := sub.ExecContext(ctx, r.id, project, r.fileID, keyPrefix, state, r.email, r.fields, at)
		if err != nil {
			return fmt.Errorf("submissions: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("file_id %s already stored", r.fileID)
		}
		if _, err := tr.ExecContext(ctx, r.id, "", state, opendata.APIActor(keyPrefix), "", at); err != nil {
			return fmt.Errorf("transitions: %w", err)
		}
		if c.opts.savepoints {
			if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
				return err
			}
		}
		if c.opts.fileChecks() {
			queued, of = append(queued, store.Job{SubmissionID: r.id, Effect: opendata.Effect{Kind: opendata.EffectCheckFile}}), append(of, r)
		}
		if c.opts.notices() {
			queued, of = append(queued, store.Job{SubmissionID: r.id,
				Effect: opendata.Effect{Kind: opendata.EffectNotify, Notice: opendata.NoticeReceived}}), append(of, r)
		}
	}
	if len(queued) == 0 {
		return nil
	}
	ids, err := c.queue.Enqueue(ctx, tx, queued)
	if err != nil {
		return err
	}
	check, subJob := tx.StmtContext(ctx, c.check), tx.StmtContext(ctx, c.subJob)
	for i, j := range queued {
		at := of[i].at.UnixMicro()
		if j.Effect.Kind == opendata.EffectCheckFile {
			if _, err := check.ExecContext(ctx, j.SubmissionID, string(opendata.CheckPending), at, ids[i]); err != nil {
				return fmt.Errorf("file_checks: %w", err)
			}
		}
		if _, err := subJob.ExecContext(ctx, j.SubmissionID, ids[i], string(j.Effect.Kind), at); err != nil {
			return fmt.Errorf("submission_jobs: %w", err)
		}
	}
	return nil
}

// countSets counts this run's submissions that have every row of their set.
func (c *ceiling) countSets(ctx context.Context, tag string) (int64, error) {
	q := `SELECT count(*) FROM submissions s WHERE s.file_id LIKE $1 || '-%'
		AND EXISTS (SELECT 1 FROM transitions t WHERE t.submission_id = s.id)`
	if c.opts.fileChecks() {
		q += `
		AND EXISTS (SELECT 1 FROM file_checks c JOIN submission_jobs j ON j.submission_id = c.submission_id AND j.job_id = c.job_id
			JOIN river_job r ON r.id = c.job_id WHERE c.submission_id = s.id AND c.state = 'pending' AND j.kind = 'file_check' AND r.kind = 'file_check')`
	}
	if c.opts.notices() {
		q += `
		AND EXISTS (SELECT 1 FROM submission_jobs j JOIN river_job r ON r.id = j.job_id
			WHERE j.submission_id = s.id AND j.kind = 'notify' AND r.kind = 'notify')`
	}
	var n int64
	if err := c.db.QueryRowContext(ctx, q, tag).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return n, nil
}

// readBack reads the run's submissions back: every committed one must be whole.
func (c *ceiling) readBack(ctx context.Context, res *Result, tag string) error {
	n, err := c.countSets(ctx, tag)
	if err != nil {
		return err
	}
	res.SetsInTables = n
	if n != res.Sets {
		return fmt.Errorf("%d submissions committed but %d in the tables with all their rows", res.Sets, n)
	}
	return nil
}
