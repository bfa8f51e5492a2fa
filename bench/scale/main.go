// Command scale loads DataHub with many submissions through its API and
// measures, at that size, what a submitting system and its readers feel:
//
//   - the submit rate of each tenth of the load (the last tenth against the
//     first: the rate at N against the rate on an empty store);
//   - the server's resident memory throughout;
//   - with -readers concurrent readers, p50/p99/max and req/s of a status
//     lookup (a random submission), of the floor (a lookup of an unknown id:
//     the key's check, one index probe, a 404), the first page of the list, a
//     page -deep rows down, a state= page, a file_id= lookup (a random file),
//     each after GET /healthz, which touches no database, measured the same
//     way in the same run: the reference that shows what the harness and HTTP
//     cost on this machine at that moment;
//   - the server's own histogram of how long its handlers took.
//
// By default each reader sends as soon as its last request is answered, which
// keeps the machine busy: latency is then mostly queueing. With -rate the
// readers send that many requests per second in all, on a schedule, and a
// request's time counts from when it was due. -paths picks the read paths by
// name; -pin holds the database's files in memory during the reads.
//
// The data directory (-data) or database (-database-url) is kept, with the
// key and the ids loaded, so that a later run adds to it (-n is the total) or
// only measures (-n no larger than what is loaded):
//
//	go run ./bench/scale -data /var/tmp/scale/sqlite -n 1000000
//	createdb datahub_scale && go run ./bench/scale -data /var/tmp/scale/pg \
//	    -database-url 'postgres:///datahub_scale?host=/var/run/postgresql' -n 1000000
//
// The server runs with --job-workers 0: each submission's file check and
// email are queued in its transaction, as in production, but not run, so that
// nothing is fetched and only the API is measured. Submissions name a file on
// 127.0.0.1; nothing leaves the machine.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/opendata-datahub/datahub/bench/internal/loopback"
)

type config struct {
	n           int
	data        string
	databaseURL string
	loadClients int
	readers     int
	duration    time.Duration
	deep        int
	skipReads   bool
	pin         string         // a glob of the files held in memory during the reads
	paths       *regexp.Regexp // the read paths measured: those whose names it matches
	rate        float64        // requests per second the readers send in all; 0: each as soon as its last is answered
	compare     int
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 100_000, "submissions the store holds when the reads are measured; the load adds what is missing")
	flag.StringVar(&c.data, "data", "", "the data directory, kept between runs with the key and the ids loaded (required)")
	flag.StringVar(&c.databaseURL, "database-url", "", "run on PostgreSQL: an existing database reached through a Unix socket or loopback, kept between runs")
	flag.IntVar(&c.loadClients, "load-clients", 16, "concurrent submitting clients")
	flag.IntVar(&c.readers, "readers", 16, "concurrent readers")
	flag.DurationVar(&c.duration, "duration", 15*time.Second, "length of each measured read run")
	flag.IntVar(&c.deep, "deep", 20_000, "how many rows down the deep list page starts")
	flag.BoolVar(&c.skipReads, "skip-reads", false, "load only")
	flag.StringVar(&c.pin, "pin", "", "during the reads, hold these files (a glob) in memory with mmap and mlock, so that the figures leave out this machine's reclaim of the file cache: the SQLite file, DATA/data/datahub.db, or PostgreSQL's database directory, e.g. '/var/lib/postgresql/15/main/base/OID/*'")
	flag.Float64Var(&c.rate, "rate", 0, "pace the readers to send this many requests per second in all, and count each one's time from when it was due (0: each reader sends as soon as its last is answered)")
	paths := flag.String("paths", "", "measure only the read paths whose names match this regular expression, e.g. 'status' or 'list: (first|file_id)'")
	flag.IntVar(&c.compare, "compare", 0, "at the end, submit this many to an empty store, to the loaded one (which keeps them) and to the empty one again, and give the ratio of the rates")
	flag.Parse()
	if c.data == "" || c.n < 1 || c.loadClients < 1 || c.readers < 1 || c.duration < time.Second || c.rate < 0 {
		fmt.Fprintln(os.Stderr, "scale: -data is required; -n, -load-clients and -readers must be positive, -duration at least 1s, -rate not negative")
		os.Exit(2)
	}
	var err error
	if c.paths, err = regexp.Compile(*paths); err != nil {
		fmt.Fprintln(os.Stderr, "scale: -paths:", err)
		os.Exit(2)
	}
	if c.databaseURL != "" {
		if err := loopback.DatabaseURL(c.databaseURL); err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// state is what a data directory keeps between runs.
type state struct {
	Key    string `json:"key"`
	Loaded int    `json:"loaded"` // submissions acknowledged so far; their ids are the first lines of ids.txt
}

func run(ctx context.Context, c config) error {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return err
	}
	bin := filepath.Join(c.data, "datahub")
	progress("building the service into %s", bin)
	build := exec.Command("go", "build", "-o", bin, "./cmd/datahub")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	storeArgs := []string{"--data", filepath.Join(c.data, "data")}
	if c.databaseURL != "" {
		storeArgs = append(storeArgs, "--database-url", c.databaseURL)
	}
	st, err := loadState(c.data)
	if err != nil {
		return err
	}
	if st.Key == "" {
		out, err := runCommand(bin, append(append([]string{"keys", "create"}, storeArgs...),
			"--project", "CFS", "--client", "scale", "--contact", "a@b.gc.ca"))
		if err != nil {
			return err
		}
		st.Key = lastLine(out)
		if err := st.save(c.data); err != nil {
			return err
		}
	}
	srv, err := startServer(ctx, bin, storeArgs, c.data)
	if err != nil {
		return err
	}
	defer srv.stop()
	r := &report{cfg: c, started: time.Now()}
	r.facts = machineFacts(c)

	ids, err := readIDs(c.data, st.Loaded)
	if err != nil {
		return err
	}
	if st.Loaded < c.n {
		progress("loading %d submissions (%d stored) with %d clients", c.n-st.Loaded, st.Loaded, c.loadClients)
		if err := r.load(ctx, srv, st, &ids, c); err != nil {
			return err
		}
	}
	if !c.skipReads {
		if c.pin != "" {
			unpin, size, err := pinFiles(c.pin)
			if err != nil {
				return err
			}
			r.facts = append(r.facts, fmt.Sprintf("held in memory during the reads (-pin): %s, %.0f MiB", c.pin, mib(size)))
			defer unpin()
		}
		if err := r.reads(ctx, srv, st.Key, ids); err != nil {
			return err
		}
	}
	if c.compare > 0 {
		if err := r.compare(ctx, srv, st, &ids, bin, c); err != nil {
			return err
		}
	}
	r.rssEnd = srv.rssMax()
	r.print(os.Stdout)
	return nil
}

// runCommand runs bin with args and returns its output; its errors name what it said.
func runCommand(bin string, args []string) (string, error) {
	out, err := exec.Command(bin, args...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return "", fmt.Errorf("datahub %s: %w: %s", args[0], err, ee.Stderr)
	} else if err != nil {
		return "", fmt.Errorf("datahub %s: %w", args[0], err)
	}
	return string(out), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// appendIDs adds acknowledged ids to ids.txt.
func appendIDs(dir string, ids []string) error {
	f, err := os.OpenFile(filepath.Join(dir, "ids.txt"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(id + "\n")
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scale: "+format+"\n", args...)
}

func loadState(dir string) (*state, error) {
	st := &state{}
	b, err := os.ReadFile(filepath.Join(dir, "scale.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	} else if err != nil {
		return nil, err
	}
	return st, json.Unmarshal(b, st)
}

func (st *state) save(dir string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "scale.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "scale.json"))
}

// readIDs reads the first n ids of the submissions loaded before.
func readIDs(dir string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	f, err := os.Open(filepath.Join(dir, "ids.txt"))
	if errors.Is(err, os.ErrNotExist) && n == 0 {
		return ids, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for len(ids) < n && sc.Scan() {
		ids = append(ids, sc.Text())
	}
	if len(ids) < n {
		return nil, fmt.Errorf("ids.txt holds %d ids, scale.json says %d were loaded", len(ids), n)
	}
	return ids, sc.Err()
}
