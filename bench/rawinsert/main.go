// Command rawinsert measures the durable-insert ceiling of the submit path:
// the rows one accepted submission writes, inserted into the service's own
// schema with nothing else around them.
//
//	go run ./bench/rawinsert [-duration 10s] [-workers 32]                 # SQLite, group commit
//	go run ./bench/rawinsert -database-url 'postgres:///DB?host=/var/run/postgresql'   # PostgreSQL
//
// The rows are those of store.CreateSubmission, written with the store's own
// statements (store.Insert*SQL) and River's own insert (jobs.Queue.Enqueue),
// on the database as store.Open opens it, with the service's id scheme
// (UUIDv7 since 9b49a89); rows_test.go checks that they equal the store's:
//
//  1. the submissions row, its fields the same validated JSON (opendata.DecodeJSON
//     and Validate of the same body);
//  2. its first transitions row;
//  3. the pending file_checks row;
//  4. the river_job row of its file_check job;
//  5. the river_job row of its notify job, the "received" email to the
//     contact, which the submissions of one commit share;
//  6. and 7. a submission_jobs row for each of the two jobs.
//
// River also announces inserted jobs, at most once per queue per 100 ms: a
// river_notification row on SQLite, a pg_notify on PostgreSQL, in the
// inserting transaction; the ceiling counts them.
//
// -rows five leaves out the notify job and its submission_jobs row: the
// ceiling as it was before the workflow's email, for comparison. -rows two
// writes only rows 1 and 2: the ceiling as it was before file checks existed.
//
// SQLite (sqlite.go): workers queue row sets; one writer takes whatever is
// queued (up to the service's batch bound of 256), writes it in one BEGIN
// IMMEDIATE ... COMMIT on the store's write connection with statements
// prepared once, and answers every worker after the commit (one fsync for the
// batch): the service's group commit without HTTP, validation or per-batch
// preparing. It refuses to run unless the database reports WAL and synchronous=2.
//
// PostgreSQL (postgres.go; -database-url, a database made for the purpose: it
// is migrated and filled): each worker writes each row set in its own
// transaction on the store's pool; PostgreSQL groups concurrent commits
// itself. It refuses to run unless fsync and synchronous_commit are on, and
// unless the URL's host is a Unix socket directory, 127.0.0.1 or ::1 (no name
// is looked up).
//
// It reports the bytes this process handed to write(2) per row set
// (/proc/self/io), on SQLite the writer's time per commit, and on PostgreSQL
// the CPU that the server's processes used during the run.
//
// If CreateSubmission comes to write more rows per submission, add them to
// ceiling.write too, or the ceiling flatters the service; rows_test.go fails
// until then.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
	var opts options
	flag.BoolVar(&opts.savepoints, "savepoints", false, "diagnosis only (SQLite): wrap each row set in SAVEPOINT/RELEASE, as the service's group commit did before 9a8025f")
	flag.StringVar(&opts.extraPragma, "pragma", "", "diagnosis only (SQLite): one more pragma for the writer, e.g. temp_store(MEMORY)")
	flag.Parse()
	switch {
	case *rows != "seven" && *rows != "five" && *rows != "two":
		fail(errors.New("-rows: want seven, five or two"))
	case *ids != "v7" && *ids != "v4":
		fail(errors.New("-ids: want v7 or v4"))
	case *dbURL != "" && (opts.savepoints || opts.extraPragma != ""):
		fail(errors.New("-savepoints and -pragma are for SQLite"))
	}
	opts.rows, opts.randomIDs = *rows, *ids == "v4"
	var res *Result
	var err error
	if *dbURL != "" {
		res, err = runPostgres(*dbURL, *bodyFile, *tag, *duration, *workers, opts)
	} else {
		res, err = runSQLite(*dir, *bodyFile, *tag, *duration, *workers, opts)
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
