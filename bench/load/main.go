// Command load measures DataHub's two hot paths on this machine, in one run,
// each against a reference measured the same way in the same run:
//
//   - GET /api/opendata/choices (req/s) against a bare net/http handler that
//     serves the very same bytes with the same Content-Type;
//   - POST /api/opendata/submit (durable submissions/s, p50/p99, non-200s)
//     against the raw ceiling for the same rows (bench/rawinsert): every row
//     a submission writes, and, for comparison, the old two-row ceiling.
//
// It builds the service, makes a throwaway data directory and API key, starts
// the server and the bare handler as separate processes on free loopback
// ports, drives both with wrk (Debian: apt-get install -y wrk), prints a
// markdown report, and stops and removes everything it started.
//
//	go run ./bench/load [-duration 10s] [-runs 2] [-clients 32] [-connections 64]
//	go run ./bench/load -database-url 'postgres:///postgres?host=/var/run/postgresql'
//	go run ./bench/load -webhooks [-webhooks-base REV] [-webhook-workers 8]
//
// With -webhooks it measures events and webhooks instead (see webhooks.go).
//
// With -database-url the service runs on PostgreSQL: the script creates two
// fresh databases on that server (one for the service, one for the ceiling),
// measures only the submit path against the PostgreSQL ceiling, and drops the
// databases at the end. The URL's host must be a Unix socket directory,
// 127.0.0.1 or ::1.
//
// Each side runs -runs times, interleaved (service, reference, service, ...);
// the report gives the best run of each side and lists every run with the CPU
// that the target, wrk and everything else on the machine used.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opendata-datahub/datahub/bench/internal/procstat"
	_ "modernc.org/sqlite"
)

// submitBody is the submission posted; "UNIQUE" becomes a per-request file_id.
// Its file_url is on loopback (and nothing listens on port 9): should the
// server ever check the files (see jobWorkerArgs), no byte leaves the machine.
const submitBody = `{"file_url":"http://127.0.0.1:9/data.csv","file_id":"UNIQUE","file_name":"data.csv","email_contact":"a@b.gc.ca","collection":"primary","title_translated_en":"Forest inventory","title_translated_fr":"Inventaire forestier","notes_translated_en":"Annual inventory of forest plots.","notes_translated_fr":"Inventaire annuel des placettes forestières.","keywords_en":"forests, trees","keywords_fr":"forêts, arbres","subject":"nature_and_environment","frequency":"P1Y","date_published":"2024-03-15","jurisdiction":"federal"}`

const (
	choicesPath = "/api/opendata/choices"
	submitPath  = "/api/opendata/submit"
	submitRoute = `route="POST /api/opendata/submit"`
)

type config struct {
	duration, warmup time.Duration
	runs             int
	clients          int
	connections      int
	threads          int
	keep             bool
	profile          string
	settle           time.Duration
	rev              string
	databaseURL      string
	webhooks         bool   // the -webhooks mode (webhooks.go)
	webhooksBase     string // the revision before events, for -webhooks
	webhookWorkers   int
	webhookDrain     int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == baselineArg {
		if err := runBaseline(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "length of each measured run (whole seconds)")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each path (0 for none)")
	flag.IntVar(&c.runs, "runs", 2, "measured runs of each side, interleaved")
	flag.IntVar(&c.clients, "clients", 32, "concurrent submit clients (wrk connections; also the ceiling's workers)")
	flag.IntVar(&c.connections, "connections", 64, "keep-alive connections for choices")
	flag.IntVar(&c.threads, "threads", runtime.NumCPU(), "wrk threads")
	flag.DurationVar(&c.settle, "settle", 10*time.Second, "before each measured run, wait up to this long for a second in which other processes use under 0.25 cores (0: do not wait)")
	flag.StringVar(&c.rev, "rev", "", "build the service from this git revision (git archive) instead of the working tree, e.g. HEAD; 91ad924 or later, whose submissions also enqueue their notify job")
	flag.StringVar(&c.databaseURL, "database-url", "", "run the service and the ceiling on PostgreSQL: a postgres:// URL naming an existing database on a server reached through a Unix socket or loopback; two fresh databases are created there and dropped after (submit path only)")
	flag.BoolVar(&c.webhooks, "webhooks", false, "measure instead submit throughput before events, with events, and with events and a webhook endpoint, then deliveries/s to a loopback receiver (SQLite)")
	flag.StringVar(&c.webhooksBase, "webhooks-base", "87f2325^", "with -webhooks: the git revision before events, measured as a side; empty leaves that side out")
	flag.IntVar(&c.webhookWorkers, "webhook-workers", 8, "with -webhooks: job workers that send the deliveries")
	flag.IntVar(&c.webhookDrain, "webhook-drain", 2000, "with -webhooks: how many of the queued deliveries to time")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (data, scripts, logs)")
	flag.StringVar(&c.profile, "profile", "", "after the measured runs, profile the server with perf on one extra run of each path and write the reports to this directory")
	flag.Parse()
	if c.runs < 1 || c.clients < 1 || c.connections < 1 || c.threads < 1 || c.duration < time.Second {
		fmt.Fprintln(os.Stderr, "load: -runs, -clients, -connections and -threads must be positive, -duration at least 1s")
		os.Exit(2)
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Fprintln(os.Stderr, "load: wrk is not installed; on Debian or Ubuntu: sudo apt-get install -y wrk")
		os.Exit(2)
	}
	if c.profile != "" {
		if _, err := exec.LookPath("perf"); err != nil {
			fmt.Fprintln(os.Stderr, "load: -profile needs perf; on Debian: sudo apt-get install -y linux-perf")
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	b := &bench{cfg: c}
	var err error
	if c.webhooks {
		err = b.runWebhooks(ctx)
	} else {
		err = b.run(ctx)
	}
	stop()
	b.cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if len(b.invalid) > 0 {
		fmt.Fprintln(os.Stderr, "load: the measurement is not valid:", strings.Join(b.invalid, "; "))
		os.Exit(1)
	}
}

type bench struct {
	cfg      config
	tmp      string
	server   *proc
	baseline *proc
	log      io.Writer // progress, on stderr
	pg       *pgRun    // with -database-url
	pgDB     *sql.DB   // the service's PostgreSQL database, for CPU sampling and the final count

	// facts for the report
	facts       []string
	fsWarning   string
	choicesSize int
	choicesCT   string
	choices     []*runResult
	submits     []*runResult
	raws        []*runResult
	submitTotal struct{ ok, bad, closed, writes, commits float64 }
	rowsInDB    int64
	rowsNote    string
	warns, errs int
	canceled    int // requests abandoned by wrk at a run's end: logged as failed (before 9b49a89) or answered 499
	txDone      int // of which answered 500 after database/sql rolled their transaction back (PostgreSQL)
	firstLogs   []string
	profiles    []string
	invalid     []string
}

// runResult is one measured run of one side.
type runResult struct {
	side      string // "service", "bare handler", or a ceiling's label
	raw       bool   // a ceiling run (bench/rawinsert)
	n         int
	rate      float64
	p50ms     float64
	p99ms     float64
	requests  int64
	bad       int64 // non-2xx (or non-200 for submit), plus socket errors
	detail    string
	targetCPU float64 // cores
	wrkCPU    float64
	otherCPU  float64
	respBytes float64
	meanBatch float64
	allocs    float64 // heap allocations per request in the server (not for raw SQLite)
	allocKB   float64 // KiB allocated per request in the server
	pgCPU     float64 // cores used by PostgreSQL for this run (-database-url)
}

// busyThreshold is the CPU (cores) that other processes may use during a run
// before the run is marked as disturbed.
const busyThreshold = 0.25

// settle waits, up to the -settle limit, for a one-second window in which the
// machine is nearly idle, so that a run does not start in another job's burst.
func (b *bench) settle(ctx context.Context) {
	if b.cfg.settle <= 0 {
		return
	}
	deadline := time.Now().Add(b.cfg.settle)
	for {
		busy0, _ := machineTicks()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		busy1, _ := machineTicks()
		if float64(busy1-busy0)/procstat.UserHZ < busyThreshold {
			return
		}
		if time.Now().After(deadline) {
			b.progress("the machine is busy (%.2f cores in use by other processes); running anyway", float64(busy1-busy0)/procstat.UserHZ)
			return
		}
	}
}

// allocDelta sets r's allocation figures from two scrapes of the service's metrics.
func allocDelta(r *runResult, m0, m1 metrics) {
	if r.requests > 0 {
		r.allocs = (m1.get("go_memstats_mallocs_total") - m0.get("go_memstats_mallocs_total")) / float64(r.requests)
		r.allocKB = (m1.get("go_memstats_alloc_bytes_total") - m0.get("go_memstats_alloc_bytes_total")) / 1024 / float64(r.requests)
	}
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, "load: "+format+"\n", args...)
}

func (b *bench) cleanup() {
	b.baseline.stop(5 * time.Second)
	b.server.stop(10 * time.Second)
	if b.pgDB != nil {
		b.pgDB.Close()
	}
	if b.pg != nil {
		if b.cfg.keep {
			fmt.Fprintln(os.Stderr, "load: kept the databases", strings.Join(b.pg.created, " and "))
		} else {
			b.pg.drop()
		}
	}
	if b.tmp != "" {
		if b.cfg.keep {
			fmt.Fprintln(os.Stderr, "load: kept", b.tmp)
		} else {
			os.RemoveAll(b.tmp)
		}
	}
}

func (b *bench) run(ctx context.Context) error {
	b.log = os.Stderr
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "datahub-load-"); err != nil {
		return err
	}
	b.machineFacts()
	if b.cfg.databaseURL != "" {
		if b.pg, err = newPGRun(ctx, b.cfg.databaseURL); err != nil {
			return err
		}
		b.facts = append(b.facts, b.pg.facts...)
	}

	b.progress("building the service and the raw-insert ceiling in %s", b.tmp)
	datahub, rawinsert := filepath.Join(b.tmp, "datahub"), filepath.Join(b.tmp, "rawinsert")
	src, what, err := serviceSource(root, b.tmp, b.cfg.rev)
	if err != nil {
		return err
	}
	b.facts = append(b.facts, "service source: "+what)
	if err := goBuild(src, datahub, "./cmd/datahub"); err != nil {
		return err
	}
	// The ceiling is built beside the service, so that its schema and
	// statements are the ones being measured: with -rev, this checkout's
	// bench/rawinsert is built in that revision's tree, or, where it does not
	// build there (a revision whose store does not export its statements),
	// that revision's own.
	ceilingPkg := "./bench/rawinsert"
	if src != root {
		ceilingPkg = "./bench/rawinsert-head"
		if err := copyDir(filepath.Join(root, "bench", "rawinsert"), filepath.Join(src, "bench", "rawinsert-head")); err != nil {
			return err
		}
	}
	err = goBuild(src, rawinsert, ceilingPkg)
	if err != nil && src != root {
		b.facts = append(b.facts, "ceiling: the revision's own bench/rawinsert (this checkout's does not build there)")
		err = goBuild(src, rawinsert, "./bench/rawinsert")
	}
	if err != nil {
		return err
	}
	if out, err := exec.Command("go", "version", datahub).Output(); err == nil {
		_, v, _ := strings.Cut(strings.TrimSpace(string(out)), ": ")
		b.facts = append(b.facts, "service built with "+v)
	}

	data := filepath.Join(b.tmp, "data")
	storeArgs := []string{"--data", data}
	if b.pg != nil {
		storeArgs = append(storeArgs, "--database-url", b.pg.url(b.pg.service))
		if b.pgDB, err = sql.Open("pgx", b.pg.url(b.pg.service)); err != nil {
			return err
		}
		b.pgDB.SetMaxOpenConns(1)
	}
	out, err := exec.CommandContext(ctx, datahub, append(append([]string{"keys", "create"}, storeArgs...),
		"--project", "CFS", "--client", "bench", "--contact", "a@b.gc.ca")...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("datahub keys create: %w: %s", err, ee.Stderr)
		}
		return fmt.Errorf("datahub keys create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	key := strings.TrimSpace(lines[len(lines)-1])

	// Services that check submitted files in the background run no job
	// workers here: the checks would compete for the CPU being measured, and
	// fetching a file is not part of the submit path.
	extra, err := jobWorkerArgs(datahub)
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		b.facts = append(b.facts, "server runs with --job-workers 0: file checks are queued in each submission's transaction but not run")
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	base := "http://" + addr
	ready := make(chan string, 16)
	b.server, err = start("datahub serve", command(datahub, append(append([]string{"serve", "--addr", addr,
		"--public-url", base, "--rate-limit", "0", "--log-level", "warn", "--shutdown-timeout", "5s"}, storeArgs...), extra...)...),
		nil, func(l string) {
			if strings.Contains(l, `"msg":"listening"`) {
				select {
				case ready <- l:
				default:
				}
			}
		})
	if err != nil {
		return err
	}
	// At --log-level warn the "listening" line (info) is not logged: poll /readyz as well.
	go pollReady(ctx, base+"/readyz", ready, b.server.done)
	if err := waitLine(ctx, b.server, ready, 30*time.Second, func(l string) bool { return strings.Contains(l, addr) }); err != nil {
		return err
	}
	b.progress("service up at %s (pid %d)", addr, b.server.cmd.Process.Pid)

	if b.pg == nil {
		if err := b.choicesSetupAndPhase(ctx, key, base); err != nil {
			return err
		}
	} else {
		b.facts = append(b.facts, "PostgreSQL mode: only the submit path is measured (choices does not touch the database; see the SQLite run)")
	}
	if err := b.submitPhase(ctx, key, base, rawinsert); err != nil {
		return err
	}
	if b.cfg.profile != "" {
		if err := b.profilePhase(ctx, key, base); err != nil {
			return err
		}
	}
	if err := b.serverTotals(base); err != nil {
		return err
	}
	b.warns, b.errs, b.canceled, b.txDone, b.firstLogs = b.server.logs.counts()
	// wrk drops the requests in flight when a run ends. The server answers
	// those 499 (since 9b49a89; before, 500 "context canceled", logged), or on
	// PostgreSQL sometimes 500 "transaction has already been committed or
	// rolled back" (logged; see lineLog.add). Anything else it refused makes
	// the measurement invalid. (Whether those writes were committed is checked
	// below, against the database.)
	b.canceled += int(b.submitTotal.closed) + b.txDone
	if real := b.submitTotal.bad - float64(b.canceled); real > 0 {
		b.invalid = append(b.invalid, fmt.Sprintf("the server counted %.0f submit responses other than 200 that were not abandoned by wrk", real))
	}
	b.server.stop(10 * time.Second)
	var cerr error
	if b.pg != nil {
		b.rowsInDB, b.rowsNote, cerr = countRows("pgx", b.pg.url(b.pg.service), "postgres")
	} else {
		b.rowsInDB, b.rowsNote, cerr = countRows("sqlite", "file:"+filepath.Join(data, "datahub.db")+"?_pragma=busy_timeout(10000)", "sqlite")
	}
	if cerr != nil {
		return cerr
	}
	// Every 200 must be in the database. A request abandoned by its client
	// may be in it too: on PostgreSQL the transaction can commit while the
	// handler sees its context end and answers 499.
	if ok := int64(b.submitTotal.ok); b.rowsInDB < ok || b.rowsInDB > ok+int64(b.submitTotal.closed) {
		b.invalid = append(b.invalid, fmt.Sprintf("the server answered %d submits with 200 (and %.0f with 499) but the database holds %d submissions", ok, b.submitTotal.closed, b.rowsInDB))
	}
	b.report(os.Stdout)
	return nil
}

// choicesSetupAndPhase starts the bare handler with the service's choices bytes and measures both.
func (b *bench) choicesSetupAndPhase(ctx context.Context, key, base string) error {
	body, header, err := get(base+choicesPath, key)
	if err != nil {
		return err
	}
	b.choicesSize, b.choicesCT = len(body), header.Get("Content-Type")
	bodyFile, err := writeFile(b.tmp, "choices.json", string(body))
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	baseAddr := make(chan string, 1)
	b.baseline, err = start("bare handler", command(self, baselineArg, bodyFile, b.choicesCT, choicesPath), func(l string) {
		if a, ok := strings.CutPrefix(l, "listening "); ok {
			baseAddr <- a
		}
	}, nil)
	if err != nil {
		return err
	}
	var bareURL string
	if err := waitLine(ctx, b.baseline, baseAddr, 10*time.Second, func(l string) bool { bareURL = "http://" + l; return true }); err != nil {
		return err
	}
	bareBody, bareHeader, err := get(bareURL+choicesPath, key)
	if err != nil {
		return err
	}
	if string(bareBody) != string(body) || bareHeader.Get("Content-Type") != b.choicesCT {
		return errors.New("the bare handler does not serve the service's choices bytes")
	}
	b.progress("bare handler up at %s (pid %d), serving the same %d bytes as %s", bareURL, b.baseline.cmd.Process.Pid, len(body), b.choicesCT)

	if err := b.choicesPhase(ctx, key, base, bareURL); err != nil {
		return err
	}
	b.baseline.stop(5 * time.Second)
	return nil
}

func (b *bench) choicesPhase(ctx context.Context, key, service, bare string) error {
	script, err := writeFile(b.tmp, "choices.lua", choicesLua(key))
	if err != nil {
		return err
	}
	c := b.cfg
	targets := []struct {
		side, url, metrics string
		pid                int
	}{
		{"service", service, service + "/metrics", b.server.cmd.Process.Pid},
		{"bare handler", bare, bare + memstatsPath, b.baseline.cmd.Process.Pid},
	}
	if c.warmup > 0 {
		for _, t := range targets {
			if _, err := runWrk(ctx, script, t.url+choicesPath, c.threads, c.connections, c.warmup); err != nil {
				return err
			}
		}
	}
	for i := 1; i <= c.runs; i++ {
		for _, t := range targets {
			b.settle(ctx)
			b.progress("choices run %d/%d: %s, %d connections, %s", i, c.runs, t.side, c.connections, c.duration)
			m0, err := scrape(t.metrics)
			if err != nil {
				return err
			}
			cpu := sampleCPU(t.pid)
			w, err := runWrk(ctx, script, t.url+choicesPath, c.threads, c.connections, c.duration)
			if err != nil {
				return err
			}
			target, machine := cpu.end()
			m1, err := scrape(t.metrics)
			if err != nil {
				return err
			}
			r := &runResult{side: t.side, n: i, rate: w.rate(), p50ms: w.P50US / 1000, p99ms: w.P99US / 1000,
				requests: w.Requests, bad: w.ErrStatus + w.socketErrors(), targetCPU: target, wrkCPU: w.wrkCores,
				otherCPU: max(0, machine-target-w.wrkCores)}
			if w.Requests > 0 {
				r.respBytes = float64(w.Bytes) / float64(w.Requests)
			}
			allocDelta(r, m0, m1)
			if r.bad > 0 {
				b.invalid = append(b.invalid, fmt.Sprintf("choices %s run %d: %d errors or non-2xx responses", t.side, i, r.bad))
			}
			b.choices = append(b.choices, r)
		}
	}
	return nil
}

func (b *bench) submitPhase(ctx context.Context, key, service, rawinsert string) error {
	lua, err := submitLua(key, submitBody)
	if err != nil {
		return err
	}
	script, err := writeFile(b.tmp, "submit.lua", lua)
	if err != nil {
		return err
	}
	bodyFile, err := writeFile(b.tmp, "submit.json", submitBody)
	if err != nil {
		return err
	}
	c := b.cfg
	pid := b.server.cmd.Process.Pid
	ceilings := b.ceilings()
	if c.warmup > 0 {
		if _, err := runWrk(ctx, script, service+submitPath, c.threads, c.clients, c.warmup, "w"); err != nil {
			return err
		}
	}
	for i := 1; i <= c.runs; i++ {
		b.settle(ctx)
		b.progress("submit run %d/%d: service, %d clients, %s", i, c.runs, c.clients, c.duration)
		m0, err := scrape(service + "/metrics")
		if err != nil {
			return err
		}
		cpu := sampleCPU(pid)
		pgcpu := b.pg.sampleCPU(b.pgDB)
		written0 := writtenBytes(pid)
		w, err := runWrk(ctx, script, service+submitPath, c.threads, c.clients, c.duration, "s"+strconv.Itoa(i))
		if err != nil {
			return err
		}
		target, machine := cpu.end()
		var pgCores float64
		if b.pg != nil {
			pgCores = pgcpu.end(b.pg.service, b.pg.raw)
		}
		written := writtenBytes(pid) - written0
		m1, err := scrape(service + "/metrics")
		if err != nil {
			return err
		}
		r := &runResult{side: "service", n: i, rate: w.rate(), p50ms: w.P50US / 1000, p99ms: w.P99US / 1000,
			requests: w.Requests, bad: w.Non200 + w.socketErrors(), targetCPU: target, wrkCPU: w.wrkCores,
			otherCPU: max(0, machine-target-w.wrkCores-pgCores), pgCPU: pgCores}
		allocDelta(r, m0, m1)
		if commits := m1.get("datahub_store_commits_total") - m0.get("datahub_store_commits_total"); commits > 0 {
			r.meanBatch = (m1.get("datahub_store_writes_total") - m0.get("datahub_store_writes_total")) / commits
		}
		if w.Requests > 0 {
			// Includes the responses written to the sockets (about 100 bytes each).
			what := "database and sockets"
			if b.pg != nil {
				what = "sockets to clients and to PostgreSQL"
			}
			r.detail = fmt.Sprintf("server wrote %.1f KiB per request (%s)", float64(written)/1024/float64(w.Requests), what)
		}
		if r.bad > 0 {
			r.detail += fmt.Sprintf("; first non-200: %s", w.FirstBad)
			b.invalid = append(b.invalid, fmt.Sprintf("submit run %d: %d non-200 responses or socket errors (%s)", i, r.bad, w.FirstBad))
		}
		b.submits = append(b.submits, r)

		for _, ce := range ceilings {
			b.settle(ctx)
			b.progress("submit run %d/%d: %s, %d workers, %s", i, c.runs, ce.label, c.clients, c.duration)
			raw, err := runRaw(ctx, rawinsert, ce.args, bodyFile, "r"+strconv.Itoa(i), c.duration, c.clients)
			if err != nil {
				return err
			}
			raw.side, raw.n = ce.label, i
			b.raws = append(b.raws, raw)
		}
	}
	return nil
}

// ceiling is one way of running bench/rawinsert next to the service.
type ceiling struct {
	label string
	args  []string
}

// The ceilings: the rows a submission writes, and on SQLite also the old
// two-row ceiling (UUIDv4, as measured before file checks existed), for comparison.
const (
	ceilAllSQLite = "raw SQLite, all seven rows"
	ceilTwoSQLite = "raw SQLite, old two-row ceiling"
	ceilAllPG     = "raw PostgreSQL, all seven rows"
)

func (b *bench) ceilings() []ceiling {
	if b.pg != nil {
		return []ceiling{{ceilAllPG, []string{"-database-url", b.pg.url(b.pg.raw), "-rows", "seven", "-ids", "v7"}}}
	}
	return []ceiling{
		{ceilAllSQLite, []string{"-dir", filepath.Join(b.tmp, "raw7"), "-rows", "seven", "-ids", "v7"}},
		{ceilTwoSQLite, []string{"-dir", filepath.Join(b.tmp, "raw2"), "-rows", "two", "-ids", "v4"}},
	}
}

// serverTotals reads the server's own count of submit responses and group
// commits since it started (warm-up and profiling runs included).
func (b *bench) serverTotals(service string) error {
	m, err := scrape(service + "/metrics")
	if err != nil {
		return err
	}
	for k, v := range m {
		if strings.HasPrefix(k, "datahub_http_requests_total{") && strings.Contains(k, submitRoute) {
			switch {
			case strings.Contains(k, `code="200"`):
				b.submitTotal.ok += v
			case strings.Contains(k, `code="499"`): // the client left first (wrk ending a run)
				b.submitTotal.closed += v
				b.submitTotal.bad += v
			default:
				b.submitTotal.bad += v
			}
		}
	}
	b.submitTotal.writes, b.submitTotal.commits = m.get("datahub_store_writes_total"), m.get("datahub_store_commits_total")
	return nil
}

// runRaw runs bench/rawinsert once and reads its JSON result.
func runRaw(ctx context.Context, bin string, args []string, bodyFile, tag string, d time.Duration, workers int) (*runResult, error) {
	cmd := command(bin, append(args, "-body", bodyFile, "-tag", tag, "-duration", d.String(),
		"-workers", strconv.Itoa(workers), "-json")...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	busy0, _ := machineTicks()
	wall, err := runToEnd(ctx, cmd)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	busy1, _ := machineTicks()
	if err != nil {
		return nil, fmt.Errorf("rawinsert: %w\n%s", err, errb.String())
	}
	var res struct {
		Database   string  `json:"database"`
		Sets       int64   `json:"sets"`
		Seconds    float64 `json:"seconds"`
		SetsPerSec float64 `json:"sets_per_sec"`
		MeanBatch  float64 `json:"mean_batch"`
		P50ms      float64 `json:"p50_ms"`
		P99ms      float64 `json:"p99_ms"`
		WriteKB    float64 `json:"write_kb_per_set"`
		InsertMs   float64 `json:"insert_ms_per_commit"`
		CommitMs   float64 `json:"commit_ms_per_commit"`
		ServerCPU  float64 `json:"server_cores"`
		Notified   int64   `json:"notifications"`
	}
	if err := jsonUnmarshal(out.String(), &res); err != nil {
		return nil, fmt.Errorf("rawinsert output %q: %w", out.String(), err)
	}
	// The child's own CPU over its whole life (schema set-up included, a
	// fraction of a second) is spread over the measured seconds, as is the machine's.
	secs := res.Seconds
	if secs <= 0 {
		secs = wall.Seconds()
	}
	own := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds() / wall.Seconds()
	machine := float64(busy1-busy0) / procstat.UserHZ / wall.Seconds()
	r := &runResult{raw: true, rate: res.SetsPerSec, p50ms: res.P50ms, p99ms: res.P99ms,
		requests: res.Sets, targetCPU: own, otherCPU: max(0, machine-own-res.ServerCPU*secs/wall.Seconds()), meanBatch: res.MeanBatch,
		pgCPU: res.ServerCPU}
	if res.Database == "postgres" {
		r.detail = fmt.Sprintf("PostgreSQL used %.2f cores (%.0f µs per submission); %d insert notifications",
			res.ServerCPU, res.ServerCPU*1e6/max(res.SetsPerSec, 1), res.Notified)
	} else {
		r.detail = fmt.Sprintf("%.1f KiB written per submission; writer per commit: %.2f ms inserting, %.2f ms in COMMIT",
			res.WriteKB, res.InsertMs, res.CommitMs)
	}
	return r, nil
}

// profilePhase records where the server's CPU goes with perf, on one extra
// (unreported) run of each path.
func (b *bench) profilePhase(ctx context.Context, key, service string) error {
	if err := os.MkdirAll(b.cfg.profile, 0o755); err != nil {
		return err
	}
	pid := strconv.Itoa(b.server.cmd.Process.Pid)
	secs := strconv.Itoa(max(1, int(b.cfg.duration/time.Second)-1))
	type path struct {
		name, script, path string
		conns              int
	}
	var paths []path
	if b.pg == nil {
		paths = append(paths, path{"choices", filepath.Join(b.tmp, "choices.lua"), choicesPath, b.cfg.connections})
	}
	paths = append(paths, path{"submit", filepath.Join(b.tmp, "submit.lua"), submitPath, b.cfg.clients})
	for _, p := range paths {
		b.progress("profiling the server on %s (extra run, not reported)", p.name)
		data := filepath.Join(b.tmp, p.name+".perf.data")
		rec := command("perf", "record", "-F", "499", "-g", "-o", data, "-p", pid, "--", "sleep", secs)
		var recOut strings.Builder
		rec.Stdout, rec.Stderr = &recOut, &recOut
		if err := rec.Start(); err != nil {
			return err
		}
		_, werr := runWrk(ctx, p.script, service+p.path, b.cfg.threads, p.conns, b.cfg.duration, "p")
		if err := rec.Wait(); err != nil {
			return fmt.Errorf("perf record: %w\n%s", err, recOut.String())
		}
		if werr != nil {
			return werr
		}
		for _, v := range []struct {
			suffix string
			args   []string
		}{
			{"flat", []string{"--no-children", "--sort", "sym", "-g", "none", "--percent-limit", "0.7"}},
			{"cumulative", []string{"--children", "--sort", "sym", "-g", "none", "--percent-limit", "3"}},
		} {
			out := filepath.Join(b.cfg.profile, p.name+"-"+v.suffix+".txt")
			args := append([]string{"report", "-i", data, "--stdio"}, v.args...)
			rep, err := exec.Command("perf", args...).Output()
			if err != nil {
				return fmt.Errorf("perf report: %w", err)
			}
			if err := os.WriteFile(out, rep, 0o644); err != nil {
				return err
			}
			b.profiles = append(b.profiles, out)
		}
	}
	return nil
}

// jobWorkerArgs turns background jobs off on services that have them.
func jobWorkerArgs(datahub string) ([]string, error) {
	out, err := exec.Command(datahub, "serve", "-h").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("datahub serve -h: %w\n%s", err, out)
	}
	if strings.Contains(string(out), "-job-workers") {
		return []string{"--job-workers", "0"}, nil
	}
	return nil, nil
}

// pollReady sends a line naming the address to ready once url answers 200.
func pollReady(ctx context.Context, url string, ready chan<- string, done <-chan struct{}) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
		}
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ready <- "readyz 200 from " + url
			return
		}
	}
}

func get(url, key string) ([]byte, http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("DH-Auth-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return body, resp.Header, nil
}

// metrics is a Prometheus text scrape: "name{labels}" -> value.
type metrics map[string]float64

func (m metrics) get(name string) float64 { return m[name] }

func scrape(url string) (metrics, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	m := metrics{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m, nil
}

// countRows counts the submissions the service committed, read back from its
// database, and checks that each has all its rows: its transition, its pending
// file check, and its two jobs (the file check and the "received" notice),
// each a River job of its kind for this submission with its submission_jobs
// row. It also checks that no job or link is left over.
func countRows(driver, dsn, dialect string) (int64, string, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, "", err
	}
	defer db.Close()
	var subs, trans, checks, links, fileJobs, notices int64
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM transitions),
		(SELECT count(*) FROM file_checks), (SELECT count(*) FROM submission_jobs),
		(SELECT count(*) FROM river_job WHERE kind = 'file_check'), (SELECT count(*) FROM river_job WHERE kind = 'notify')`).
		Scan(&subs, &trans, &checks, &links, &fileJobs, &notices); err != nil {
		return 0, "", fmt.Errorf("count rows: %w", err)
	}
	// A group commit's "received" emails share one notify job (on SQLite; on
	// PostgreSQL each submission is its own transaction, so its own job).
	if trans != subs || checks != subs || links != 2*subs || fileJobs != subs || notices < 1 || notices > subs {
		return 0, "", fmt.Errorf("count rows: %d submissions but %d transitions, %d file checks, %d submission_jobs rows (want two each), %d file_check jobs and %d notify jobs (want 1 to %d)",
			subs, trans, checks, links, fileJobs, notices, subs)
	}
	// A job belongs to the submissions its args name.
	argsID, argsEvent := `json_extract(r.args, '$.submission_id')`, `json_extract(r.args, '$.event')`
	argsIDs := `(` + argsID + ` = s.id OR EXISTS (SELECT 1 FROM json_each(r.args, '$.submission_ids') e WHERE e.value = s.id))`
	if dialect == "postgres" {
		argsID, argsEvent = `r.args->>'submission_id'`, `r.args->>'event'`
		argsIDs = `(` + argsID + ` = s.id OR coalesce(r.args->'submission_ids', '[]'::jsonb) ? s.id)`
	}
	var whole int64
	if err := db.QueryRow(`SELECT count(*) FROM submissions s
		WHERE EXISTS (SELECT 1 FROM transitions t WHERE t.submission_id = s.id)
		AND EXISTS (SELECT 1 FROM file_checks c
			JOIN submission_jobs j ON j.submission_id = c.submission_id AND j.job_id = c.job_id AND j.kind = 'file_check'
			JOIN river_job r ON r.id = j.job_id AND r.kind = 'file_check'
			WHERE c.submission_id = s.id AND c.state = 'pending' AND ` + argsID + ` = s.id)
		AND EXISTS (SELECT 1 FROM submission_jobs j
			JOIN river_job r ON r.id = j.job_id AND r.kind = 'notify'
			WHERE j.submission_id = s.id AND j.kind = 'notify' AND ` + argsIDs + ` AND ` + argsEvent + ` = 'received')`).
		Scan(&whole); err != nil {
		return 0, "", fmt.Errorf("count rows: %w", err)
	}
	if whole != subs {
		return 0, "", fmt.Errorf("count rows: only %d of %d submissions have their transition, pending file check, file_check and notify jobs and both submission_jobs rows", whole, subs)
	}
	return subs, "each with its transition, its pending file check, its two River jobs (file_check, and notify for the \"received\" email) and their two submission_jobs rows", nil
}
