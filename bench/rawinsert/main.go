// Command rawinsert measures the durable-insert ceiling of the submit path:
// the rows one accepted submission writes, inserted into the service's own
// schema with nothing else around them.
//
//	go run ./bench/rawinsert [-duration 10s] [-workers 32]                 # SQLite, group commit
//	go run ./bench/rawinsert -database-url 'postgres:///DB?host=/var/run/postgresql'   # PostgreSQL
//
// The rows are those of store.CreateSubmission (internal/store/submissions.go,
// filechecks.go, notices.go) with the service's own statements, and the id
// scheme of the service (UUIDv7 since 9b49a89):
//
//  1. the submissions row, its fields the same validated JSON (opendata.DecodeJSON
//     and Validate of the same body);
//  2. its first transitions row;
//  3. the pending file_checks row (the service's upsert);
//  4. the river_job row of its file_check job;
//  5. the river_job row of its notify job, the "received" email to the contact;
//  6. and 7. a submission_jobs row for each of the two jobs.
//
// The river_job rows carry the column values River's InsertManyTx writes for
// jobs.FileCheckArgs and jobs.NotifyArgs (kind, args JSON, queue, priority,
// max_attempts, state, created_at = scheduled_at, tags, metadata; on SQLite
// River's metadata carries a random "river:unique_nonce" per job, stored as
// JSONB like River does), as read back from rows a real run of the service
// wrote. They are written by one plain prepared INSERT per job, not through
// River. The service inserts the file check with job_id 0 and sets it once
// River has answered; the ceiling writes the final row at once.
//
// River also announces inserted jobs, at most once per queue per 100 ms
// (its FetchCooldown): a river_notification row on SQLite, a pg_notify on
// PostgreSQL, in the inserting transaction. The ceiling does the same, at the
// same rate.
//
// -rows five leaves out the notify job and its submission_jobs row: the
// ceiling as it was before the workflow's email, for comparison. -rows two
// writes only rows 1 and 2: the ceiling as it was before file checks existed.
//
// SQLite: the schema comes from the service's migrations and River's
// (store.Open, Migrate, jobs.Migrate); then the store is closed and the rows
// are written with plain database/sql on one connection opened with the
// service's pragmas (WAL, synchronous=FULL, foreign_keys=ON, busy_timeout).
// Workers queue row sets; one writer takes whatever is queued (up to the
// service's batch bound of 256), writes it in one BEGIN IMMEDIATE ... COMMIT
// with statements prepared once, and answers every worker after the commit
// (one fsync for the batch): the service's group commit without HTTP,
// validation or per-batch preparing. It refuses to run unless the database
// reports WAL and synchronous=2.
//
// PostgreSQL (-database-url, a database made for the purpose: it is migrated
// and filled): each worker has its own connection, prepares the statements
// once, and writes each row set in its own transaction; PostgreSQL groups
// concurrent commits itself. It refuses to run unless fsync and
// synchronous_commit are on, and unless the URL's host is a Unix socket
// directory, 127.0.0.1 or ::1 (no name is looked up).
//
// It reports the bytes this process handed to write(2) per row set
// (/proc/self/io), on SQLite the writer's time per commit, and on PostgreSQL
// the CPU that the server's processes used during the run.
//
// If CreateSubmission comes to write more rows per submission, add them here
// too, or the ceiling flatters the service.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	_ "modernc.org/sqlite"

	"github.com/opendata-datahub/datahub/bench/internal/loopback"
	"github.com/opendata-datahub/datahub/bench/internal/procstat"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// DefaultBody is the submission the load test posts; file_id is replaced per row set.
const DefaultBody = `{"file_url":"http://127.0.0.1:9/data.csv","file_id":"UNIQUE","file_name":"data.csv","email_contact":"a@b.gc.ca","collection":"primary","title_translated_en":"Forest inventory","title_translated_fr":"Inventaire forestier","notes_translated_en":"Annual inventory of forest plots.","notes_translated_fr":"Inventaire annuel des placettes forestières.","keywords_en":"forests, trees","keywords_fr":"forêts, arbres","subject":"nature_and_environment","frequency":"P1Y","date_published":"2024-03-15","jurisdiction":"federal"}`

// The service's statements (internal/store/submissions.go and filechecks.go), verbatim.
const (
	insertSubmission = `INSERT INTO submissions (id, project, file_id, key_prefix, state, email_contact, fields, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (project, file_id) DO NOTHING`
	insertTransition = `INSERT INTO transitions (submission_id, from_state, to_state, actor, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6)`
	insertSubmissionJob = `INSERT INTO submission_jobs (submission_id, job_id, kind, created_at) VALUES ($1, $2, $3, $4)`
	insertFileCheck     = `INSERT INTO file_checks (submission_id, state, requested_at, job_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (submission_id) DO UPDATE SET state = excluded.state, requested_at = excluded.requested_at,
			checked_at = NULL, attempts = 0, http_status = 0, size = 0, content_type = '', sha256 = '', format = '',
			reason = '', job_id = excluded.job_id`
)

// River's job row, as its drivers write it (riversqlite JobInsertFastMany
// stores args, metadata and tags as JSONB blobs and times as text; the
// PostgreSQL driver passes the same values as parameters).
const (
	insertJobSQLite = `INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags)
		VALUES (jsonb($1), $2, $3, $4, jsonb($5), $6, $7, $8, $9, jsonb($10))`
	insertJobPostgres = `INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
	// River's insert notification (riversqlite NotificationInsertMany; riverdatabasesql PGNotifyMany).
	insertNotificationSQLite = `INSERT INTO river_notification (payload, topic) VALUES ($1, $2)`
	notifyPostgres           = `SELECT pg_notify(concat(current_schema(), '.', $1::text), $2)`
)

// What River writes for a job inserted to run now, besides what its args'
// Kind and InsertOpts give (riverJob), and its insert notification.
const (
	jobState      = "available"
	notifyTopic   = "river_insert"
	notifyPayload = `{"queue": "default"}`
	notifyEvery   = 100 * time.Millisecond // River's FetchCooldownDefault: one insert notification per queue per interval
)

// maxBatch is the service's bound on one group commit (internal/store/commit.go).
const maxBatch = 256

// Flags that change the rows or the transaction.
var (
	twoRows     bool   // -rows two: submissions and transitions only (the ceiling before file checks)
	noNotice    bool   // -rows five: no notify job (the ceiling before the workflow's email)
	randomIDs   bool   // -ids v4
	savepoints  bool   // diagnosis only
	extraPragma string // diagnosis only
)

func newID() string {
	if randomIDs {
		return uuid.NewString()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// Result is what one run measured; -json prints it on one line.
type Result struct {
	Database     string  `json:"database"` // sqlite or postgres
	Rows         string  `json:"rows"`     // seven, five or two
	IDs          string  `json:"ids"`      // v7 or v4
	Sets         int64   `json:"sets"`     // row sets (submissions) committed
	Seconds      float64 `json:"seconds"`
	SetsPerSec   float64 `json:"sets_per_sec"`
	Commits      int64   `json:"commits"`
	MeanBatch    float64 `json:"mean_batch"` // row sets per commit (1 on PostgreSQL)
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	Settings     string  `json:"settings"` // the durability settings checked
	SetsInTables int64   `json:"sets_in_tables"`
	Notified     int64   `json:"notifications"`
	WriteKB      float64 `json:"write_kb_per_set"`     // bytes this process handed to write(2) per row set (/proc/self/io)
	WritesPerSet float64 `json:"syscw_per_set"`        // write system calls per row set
	InsertMs     float64 `json:"insert_ms_per_commit"` // SQLite: the writer's time in BEGIN and the inserts
	CommitMs     float64 `json:"commit_ms_per_commit"` // SQLite: the writer's time in COMMIT (the fsync, and any checkpoint)
	ServerCPU    float64 `json:"server_cores"`         // PostgreSQL: cores used by the server's processes during the run
}

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long to insert")
	workers := flag.Int("workers", 32, "concurrent workers (on PostgreSQL, connections)")
	dir := flag.String("dir", "", "SQLite: data directory (kept); default a new temporary directory, removed at the end")
	dbURL := flag.String("database-url", "", "PostgreSQL instead of SQLite: a database made for this (it is migrated and filled); host must be a socket directory, 127.0.0.1 or ::1")
	bodyFile := flag.String("body", "", "JSON submission body whose fields are stored (default: the load test's body)")
	tag := flag.String("tag", "r", "file_id prefix, so that runs on one database do not collide")
	asJSON := flag.Bool("json", false, "print the result as one JSON line")
	rows := flag.String("rows", "seven", "seven: every row a submission writes; five: all but the notify job and its link, the ceiling before the workflow's email; two: submissions and transitions only, the ceiling before file checks")
	ids := flag.String("ids", "v7", "submission ids: v7 (time-ordered, the service's since 9b49a89) or v4 (random, the service's before)")
	flag.BoolVar(&savepoints, "savepoints", false, "diagnosis only (SQLite): wrap each row set in SAVEPOINT/RELEASE, as the service's group commit did before 9a8025f")
	flag.StringVar(&extraPragma, "pragma", "", "diagnosis only (SQLite): one more pragma for the writer, e.g. temp_store(MEMORY)")
	flag.Parse()
	switch {
	case *rows != "seven" && *rows != "five" && *rows != "two":
		fail(errors.New("-rows: want seven, five or two"))
	case *ids != "v7" && *ids != "v4":
		fail(errors.New("-ids: want v7 or v4"))
	case *dbURL != "" && (savepoints || extraPragma != ""):
		fail(errors.New("-savepoints and -pragma are for SQLite"))
	}
	twoRows, noNotice, randomIDs = *rows == "two", *rows == "five", *ids == "v4"
	var res *Result
	var err error
	if *dbURL != "" {
		res, err = runPostgres(*dbURL, *bodyFile, *tag, *duration, *workers)
	} else {
		res, err = runSQLite(*dir, *bodyFile, *tag, *duration, *workers)
	}
	if err != nil {
		fail(err)
	}
	res.Rows, res.IDs = *rows, *ids
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
		return
	}
	fmt.Printf("%s, %s rows per submission, UUID%s ids: %d submissions in %.2fs = %.0f /s durable (%d commits, %.1f each); latency p50 %.2f ms, p99 %.2f ms\n",
		res.Database, res.Rows, res.IDs, res.Sets, res.Seconds, res.SetsPerSec, res.Commits, res.MeanBatch, res.P50ms, res.P99ms)
	if res.Database == "sqlite" {
		fmt.Printf("writer per commit: %.2f ms in BEGIN+inserts, %.2f ms in COMMIT; ", res.InsertMs, res.CommitMs)
	} else {
		fmt.Printf("PostgreSQL's processes used %.2f cores; ", res.ServerCPU)
	}
	fmt.Printf("this process wrote %.1f KiB per submission in %.1f write calls\n", res.WriteKB, res.WritesPerSet)
	fmt.Printf("%s; %d submissions with all their rows in the tables; %d insert notifications\n", res.Settings, res.SetsInTables, res.Notified)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rawinsert:", err)
	os.Exit(1)
}

// rowSet is what one submission writes; the workers make it, as the service's handlers do.
type rowSet struct {
	id, fileID, email string
	fields            []byte
	jobs              []jobRow // the file check's first
	at                time.Time
	queued            time.Time
	done              chan error
}

// jobRow is one river_job row, with the values River gives its args.
type jobRow struct {
	kind        string
	args        string // the args as River marshals them
	maxAttempts int
	priority    int
	queue       string
	nonce       string // River's unique-insert nonce (SQLite)
}

// jobArgs is what River reads from a job's args to insert it.
type jobArgs interface {
	Kind() string
	InsertOpts() river.InsertOpts
}

// riverJob is the row River inserts for args: their Kind and InsertOpts,
// River's defaults where those are unset, on SQLite a random nonce.
func riverJob(args jobArgs, nonce bool) jobRow {
	b, err := json.Marshal(args)
	if err != nil {
		panic(err)
	}
	opts := args.InsertOpts()
	j := jobRow{kind: args.Kind(), args: string(b), maxAttempts: cmp.Or(opts.MaxAttempts, river.MaxAttemptsDefault),
		priority: cmp.Or(opts.Priority, river.PriorityDefault), queue: cmp.Or(opts.Queue, river.QueueDefault)}
	if nonce {
		var n [8]byte
		_, _ = rand.Read(n[:])
		j.nonce = hex.EncodeToString(n[:])
	}
	return j
}

// maker builds row sets from the validated body: the per-submission work the
// service also does before it queues a write (an id, the fields as JSON, the
// job's args).
type maker struct {
	fields opendata.Fields
	tag    string
	nonce  bool
}

func (m *maker) make(worker, n int) *rowSet {
	f := m.fields
	f.FileID = m.tag + "-" + strconv.Itoa(worker) + "-" + strconv.Itoa(n)
	js, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	r := &rowSet{id: newID(), fileID: f.FileID, email: f.EmailContact, fields: js, at: time.Now()}
	if twoRows {
		return r
	}
	r.jobs = append(r.jobs, riverJob(jobs.FileCheckArgs{SubmissionID: r.id}, m.nonce))
	if !noNotice {
		r.jobs = append(r.jobs, riverJob(jobs.NotifyArgs{SubmissionID: r.id, Event: opendata.NoticeReceived}, m.nonce))
	}
	return r
}

func newMaker(bodyFile, tag string, nonce bool) (*maker, error) {
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
	return &maker{fields: fields, tag: tag, nonce: nonce}, nil
}

const project, keyPrefix = "CFS", "dh_bench000" // a prefix of the real length (auth.PrefixLen)

var (
	state = string(opendata.StateInPreparation)
	actor = opendata.APIActor(keyPrefix)
)

// migrate makes the service's schema and River's, as `datahub migrate` does.
func migrate(ctx context.Context, cfg store.Config) error {
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return err
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		st.Close()
		return err
	}
	return st.Close()
}

// ---- SQLite: one group-committing writer ----

// dsn is the service's SQLite DSN for its writer (internal/store/sqlite.go).
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	if extraPragma != "" {
		q.Add("_pragma", extraPragma)
	}
	return "file:" + path + "?" + q.Encode()
}

type sqliteStmts struct {
	sub, tr, job, subJob, check, notify *sql.Stmt
}

func (s *sqliteStmts) close() {
	for _, st := range []*sql.Stmt{s.sub, s.tr, s.job, s.subJob, s.check, s.notify} {
		if st != nil {
			st.Close()
		}
	}
}

func runSQLite(dir, bodyFile, tag string, duration time.Duration, workers int) (*Result, error) {
	if workers < 1 || duration <= 0 {
		return nil, errors.New("-workers and -duration must be positive")
	}
	ctx := context.Background()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rawinsert-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	mk, err := newMaker(bodyFile, tag, true)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, store.Config{DataDir: dir}); err != nil {
		return nil, err
	}

	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, store.DatabaseFile)))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	res := &Result{Database: "sqlite"}
	var journal string
	var syncMode, fk int
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return nil, err
	}
	if journal != "wal" || syncMode != 2 {
		return nil, fmt.Errorf("want WAL and synchronous=FULL(2), got %s and %d", journal, syncMode)
	}
	res.Settings = fmt.Sprintf("journal_mode=%s synchronous=%d foreign_keys=%d", journal, syncMode, fk)

	st := &sqliteStmts{}
	defer st.close()
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&st.sub, insertSubmission}, {&st.tr, insertTransition}, {&st.job, insertJobSQLite},
		{&st.subJob, insertSubmissionJob}, {&st.check, insertFileCheck}, {&st.notify, insertNotificationSQLite},
	} {
		if *p.s, err = conn.PrepareContext(ctx, p.q); err != nil {
			return nil, err
		}
	}

	wchar0, syscw0 := procIO()
	queue := make(chan *rowSet, maxBatch)
	var commits, sets, notified atomic.Int64
	var lastCommit atomic.Int64              // ns since start
	var insertTime, commitTime time.Duration // the writer's, read after it ends
	start := time.Now()

	writerDone := make(chan error, 1)
	go func() {
		batch := make([]*rowSet, 0, maxBatch)
		var failed error
		var lastNotify time.Time
		for r := range queue {
			batch = append(batch[:0], r)
		drain:
			for len(batch) < maxBatch {
				select {
				case r, ok := <-queue:
					if !ok {
						break drain
					}
					batch = append(batch, r)
				default:
					break drain
				}
			}
			notify := !twoRows && time.Since(lastNotify) >= notifyEvery
			ins, com, err := commitSQLite(ctx, conn, st, batch, notify)
			insertTime += ins
			commitTime += com
			if err == nil {
				commits.Add(1)
				sets.Add(int64(len(batch)))
				lastCommit.Store(int64(time.Since(start)))
				if notify {
					lastNotify = time.Now()
					notified.Add(1)
				}
			} else if failed == nil {
				failed = err
			}
			for _, r := range batch {
				r.done <- err
			}
		}
		writerDone <- failed
	}()

	deadline := start.Add(duration)
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			for n := 0; time.Now().Before(deadline); n++ {
				r := mk.make(w, n)
				r.queued, r.done = time.Now(), done
				queue <- r
				if err := <-done; err != nil {
					return
				}
				lat[w] = append(lat[w], time.Since(r.queued))
			}
		}()
	}
	wg.Wait()
	close(queue)
	if err := <-writerDone; err != nil {
		return nil, err
	}

	wchar1, syscw1 := procIO()
	res.Sets, res.Commits, res.Notified = sets.Load(), commits.Load(), notified.Load()
	res.finish(time.Duration(lastCommit.Load()), wchar1-wchar0, syscw1-syscw0, lat)
	if res.Commits > 0 {
		res.InsertMs = insertTime.Seconds() * 1000 / float64(res.Commits)
		res.CommitMs = commitTime.Seconds() * 1000 / float64(res.Commits)
	}
	if res.SetsInTables, err = countSets(func(q string, dest ...any) error {
		return conn.QueryRowContext(ctx, q, tag).Scan(dest...)
	}); err != nil {
		return nil, err
	}
	if res.SetsInTables != res.Sets {
		return nil, fmt.Errorf("%d submissions committed but %d in the tables with all their rows", res.Sets, res.SetsInTables)
	}
	return res, nil
}

// commitSQLite writes one batch in one durable transaction and says how long
// the inserts and the COMMIT took.
func commitSQLite(ctx context.Context, conn *sql.Conn, st *sqliteStmts, batch []*rowSet, notify bool) (ins, com time.Duration, _ error) {
	t0 := time.Now()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	rollback := func(err error) (time.Duration, time.Duration, error) {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return 0, 0, fmt.Errorf("insert: %w", err)
	}
	shared, err := writeSharedNotice(ctx, st, batch)
	if err != nil {
		return rollback(err)
	}
	for i, r := range batch {
		if savepoints {
			if _, err := conn.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				return rollback(err)
			}
		}
		if err := writeSQLite(ctx, st, r, notify && i == 0, shared); err != nil {
			return rollback(err)
		}
		if savepoints {
			if _, err := conn.ExecContext(ctx, "RELEASE w"); err != nil {
				return rollback(err)
			}
		}
	}
	t1 := time.Now()
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return t1.Sub(t0), time.Since(t1), nil
}

// writeSharedNotice writes the one notify job that the service's group
// commit gives all of its submissions' "received" emails (jobs.Queue.Enqueue
// groups notices of the same step), and returns its id; 0 when there is none.
func writeSharedNotice(ctx context.Context, st *sqliteStmts, batch []*rowSet) (int64, error) {
	if twoRows || noNotice || len(batch) == 0 {
		return 0, nil
	}
	args := jobs.NotifyArgs{SubmissionID: batch[0].id, Event: opendata.NoticeReceived}
	for _, r := range batch[1:] {
		args.SubmissionIDs = append(args.SubmissionIDs, r.id)
	}
	j := riverJob(args, batch[0].jobs[len(batch[0].jobs)-1].nonce != "")
	ts := riverTime(batch[0].at)
	res, err := st.job.ExecContext(ctx, j.args, ts, j.kind, j.maxAttempts,
		`{"river:unique_nonce":"`+j.nonce+`"}`, j.priority, j.queue, ts, jobState, "[]")
	if err != nil {
		return 0, fmt.Errorf("river_job: %w", err)
	}
	return res.LastInsertId()
}

// writeSQLite writes one submission's rows; its notify job is the batch's
// shared one (writeSharedNotice), linked here.
func writeSQLite(ctx context.Context, st *sqliteStmts, r *rowSet, notify bool, shared int64) error {
	at := r.at.UnixMicro()
	res, err := st.sub.ExecContext(ctx, r.id, project, r.fileID, keyPrefix, state, r.email, r.fields, at)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("file_id %s already stored", r.fileID)
	}
	if _, err := st.tr.ExecContext(ctx, r.id, "", state, actor, "", at); err != nil {
		return err
	}
	if twoRows {
		return nil
	}
	ts := riverTime(r.at)
	ids := make([]int64, len(r.jobs))
	for i, j := range r.jobs {
		if j.kind == string(opendata.EffectNotify) {
			ids[i] = shared
			continue
		}
		res, err := st.job.ExecContext(ctx, j.args, ts, j.kind, j.maxAttempts,
			`{"river:unique_nonce":"`+j.nonce+`"}`, j.priority, j.queue, ts, jobState, "[]")
		if err != nil {
			return fmt.Errorf("river_job: %w", err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return err
		}
	}
	if notify {
		if _, err := st.notify.ExecContext(ctx, notifyPayload, notifyTopic); err != nil {
			return fmt.Errorf("river_notification: %w", err)
		}
	}
	for i, j := range r.jobs {
		if _, err := st.subJob.ExecContext(ctx, r.id, ids[i], j.kind, at); err != nil {
			return err
		}
	}
	_, err = st.check.ExecContext(ctx, r.id, string(opendata.CheckPending), at, ids[0])
	return err
}

// riverTime is how River's SQLite driver stores a time (riversqlite timeString).
func riverTime(t time.Time) string {
	return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
}

// ---- PostgreSQL: one transaction per row set, on concurrent connections ----

func runPostgres(dbURL, bodyFile, tag string, duration time.Duration, workers int) (*Result, error) {
	if workers < 1 || duration <= 0 {
		return nil, errors.New("-workers and -duration must be positive")
	}
	if err := loopback.DatabaseURL(dbURL); err != nil {
		return nil, err
	}
	ctx := context.Background()
	mk, err := newMaker(bodyFile, tag, false)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, store.Config{DatabaseURL: dbURL}); err != nil {
		return nil, err
	}
	res := &Result{Database: "postgres"}

	conns := make([]*pgx.Conn, workers)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close(ctx)
			}
		}
	}()
	stmts := []struct{ name, q string }{
		{"sub", insertSubmission}, {"tr", insertTransition}, {"job", insertJobPostgres},
		{"subjob", insertSubmissionJob}, {"check", insertFileCheck}, {"notify", notifyPostgres},
	}
	for i := range conns {
		c, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return nil, err
		}
		conns[i] = c
		for _, s := range stmts {
			if _, err := c.Prepare(ctx, s.name, s.q); err != nil {
				return nil, fmt.Errorf("prepare %s: %w", s.name, err)
			}
		}
	}
	var fsync, syncCommit, version string
	if err := conns[0].QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('server_version')`).
		Scan(&fsync, &syncCommit, &version); err != nil {
		return nil, err
	}
	if fsync != "on" || syncCommit != "on" {
		return nil, fmt.Errorf("want fsync=on and synchronous_commit=on, got %s and %s", fsync, syncCommit)
	}
	res.Settings = fmt.Sprintf("PostgreSQL %s, fsync=%s synchronous_commit=%s", version, fsync, syncCommit)

	wchar0, syscw0 := procIO()
	pg0 := procstat.PostgresTicks()
	var commits, notified atomic.Int64
	var lastCommit atomic.Int64 // ns since start
	var lastNotify atomic.Int64 // ns since start, of the last insert notification
	lastNotify.Store(-int64(notifyEvery))
	start := time.Now()
	deadline := start.Add(duration)
	lat := make([][]time.Duration, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := conns[w]
			for n := 0; time.Now().Before(deadline); n++ {
				r := mk.make(w, n)
				t0 := time.Now()
				notify := false
				if !twoRows {
					last := lastNotify.Load()
					now := int64(time.Since(start))
					notify = now-last >= int64(notifyEvery) && lastNotify.CompareAndSwap(last, now)
				}
				if err := commitPostgres(ctx, c, r, notify); err != nil {
					errs[w] = err
					return
				}
				if notify {
					notified.Add(1)
				}
				commits.Add(1)
				end := time.Now()
				lat[w] = append(lat[w], end.Sub(t0))
				for {
					prev := lastCommit.Load()
					if int64(end.Sub(start)) <= prev || lastCommit.CompareAndSwap(prev, int64(end.Sub(start))) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	// Read the server's CPU before the connections close and their backends exit,
	// leaving out the backends of other databases (other users of this server).
	pg1, wall := procstat.PostgresTicks(), time.Since(start)
	others, err := otherBackends(ctx, conns[0])
	if err != nil {
		return nil, err
	}
	res.ServerCPU = postgresCores(pg0, pg1, others, wall)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	wchar1, syscw1 := procIO()
	res.Commits, res.Notified = commits.Load(), notified.Load()
	res.Sets = res.Commits
	res.finish(time.Duration(lastCommit.Load()), wchar1-wchar0, syscw1-syscw0, lat)
	if res.SetsInTables, err = countSets(func(q string, dest ...any) error {
		return conns[0].QueryRow(ctx, q, tag).Scan(dest...)
	}); err != nil {
		return nil, err
	}
	if res.SetsInTables != res.Sets {
		return nil, fmt.Errorf("%d submissions committed but %d in the tables with all their rows", res.Sets, res.SetsInTables)
	}
	return res, nil
}

// commitPostgres writes one submission's rows in one transaction.
func commitPostgres(ctx context.Context, c *pgx.Conn, r *rowSet, notify bool) (err error) {
	tx, err := c.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	at := r.at.UnixMicro()
	tag, err := tx.Exec(ctx, "sub", r.id, project, r.fileID, keyPrefix, state, r.email, string(r.fields), at)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("file_id %s already stored", r.fileID)
	}
	if _, err := tx.Exec(ctx, "tr", r.id, "", state, actor, "", at); err != nil {
		return err
	}
	if !twoRows {
		ids := make([]int64, len(r.jobs))
		for i, j := range r.jobs {
			if err := tx.QueryRow(ctx, "job", j.args, r.at, j.kind, j.maxAttempts, "{}", j.priority, j.queue, r.at, jobState, []string{}).Scan(&ids[i]); err != nil {
				return fmt.Errorf("river_job: %w", err)
			}
		}
		if notify {
			if _, err := tx.Exec(ctx, "notify", notifyTopic, notifyPayload); err != nil {
				return fmt.Errorf("pg_notify: %w", err)
			}
		}
		for i, j := range r.jobs {
			if _, err := tx.Exec(ctx, "subjob", r.id, ids[i], j.kind, at); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "check", r.id, string(opendata.CheckPending), at, ids[0]); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// otherBackends is the server's processes that work for other databases.
func otherBackends(ctx context.Context, c *pgx.Conn) (map[int]bool, error) {
	rows, err := c.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname IS NOT NULL AND datname <> current_database()`)
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	out := make(map[int]bool, len(pids))
	for _, p := range pids {
		out[int(p)] = true
	}
	return out, nil
}

// postgresCores is the cores that the postgres processes used between two
// readings, leaving out those in skip; a process that started in between
// counts from zero, one that ended is missed.
func postgresCores(before, after map[int]int64, skip map[int]bool, wall time.Duration) float64 {
	var ticks int64
	for pid, t := range after {
		if !skip[pid] {
			ticks += t - before[pid]
		}
	}
	return float64(ticks) / 100 / wall.Seconds()
}

// ---- shared ----

func (res *Result) finish(last time.Duration, wchar, syscw int64, lat [][]time.Duration) {
	if res.Sets > 0 {
		res.WriteKB = float64(wchar) / 1024 / float64(res.Sets)
		res.WritesPerSet = float64(syscw) / float64(res.Sets)
	}
	res.Seconds = last.Seconds()
	if res.Seconds > 0 {
		res.SetsPerSec = float64(res.Sets) / res.Seconds
	}
	if res.Commits > 0 {
		res.MeanBatch = float64(res.Sets) / float64(res.Commits)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	res.P50ms, res.P99ms = pct(all, 50), pct(all, 99)
}

// countSets counts this run's submissions that have every row of their set.
func countSets(queryRow func(q string, dest ...any) error) (int64, error) {
	q := `SELECT count(*) FROM submissions s WHERE s.file_id LIKE $1 || '-%'
		AND EXISTS (SELECT 1 FROM transitions t WHERE t.submission_id = s.id)`
	if !twoRows {
		q += `
		AND EXISTS (SELECT 1 FROM file_checks c JOIN submission_jobs j ON j.submission_id = c.submission_id AND j.job_id = c.job_id
			JOIN river_job r ON r.id = c.job_id WHERE c.submission_id = s.id AND c.state = 'pending' AND j.kind = 'file_check' AND r.kind = 'file_check')`
	}
	if !twoRows && !noNotice {
		q += `
		AND EXISTS (SELECT 1 FROM submission_jobs j JOIN river_job r ON r.id = j.job_id
			WHERE j.submission_id = s.id AND j.kind = 'notify' AND r.kind = 'notify')`
	}
	var n int64
	if err := queryRow(q, &n); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return n, nil
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

// procIO reads this process's write volume: wchar and syscw from /proc/self/io.
func procIO() (wchar, syscw int64) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "wchar":
			wchar = n
		case "syscw":
			syscw = n
		}
	}
	return wchar, syscw
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(float64(len(sorted))*p/100))
	return float64(sorted[i]) / float64(time.Millisecond)
}
