package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// report gathers a run's figures and prints them as markdown.
type report struct {
	cfg     config
	started time.Time
	facts   []string
	tenths  []tenth
	runs    []*readRun
	rates   *submitRates // -compare
	rssEnd  int64
}

// Targets of the scale work, at a million submissions with 16 readers.
const (
	statusP99Target = 5 * time.Millisecond
	listP99Target   = 20 * time.Millisecond
	rssTarget       = 150 << 20
	submitRatio     = 0.7
)

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "### %d submissions, %s (%s UTC)\n\n", r.cfg.n, dbName(r.cfg), r.started.UTC().Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "`go run ./bench/scale %s`\n\n", strings.Join(os.Args[1:], " "))
	for _, f := range r.facts {
		fmt.Fprintf(w, "- %s\n", f)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(w, "- load average at the end: %s\n", strings.Join(strings.Fields(string(b))[:3], " "))
	}
	maxRSS := r.rssEnd
	if len(r.tenths) > 0 {
		first, last := r.tenths[0], r.tenths[len(r.tenths)-1]
		fmt.Fprintf(w, "\nLoad through the API (%d clients):\n\n| stored | submissions/s | server RSS max |\n|---:|---:|---:|\n", r.cfg.loadClients)
		for _, t := range r.tenths {
			fmt.Fprintf(w, "| %d–%d | %.0f | %.1f MiB |\n", t.from, t.to, t.rate(), mib(t.rss))
			maxRSS = max(maxRSS, t.rss)
		}
		fmt.Fprintf(w, "\nLast tenth at %.2f× the first (target ≥ %.1f×)%s.\n", last.rate()/first.rate(), submitRatio,
			met(last.rate()/first.rate() >= submitRatio))
	}
	if s := r.rates; s != nil {
		fmt.Fprintf(w, "\nSubmit rate of %d submissions, back to back: %.0f/s on an empty store, %.0f/s on this one, %.0f/s on the empty one again: %.2f× (target ≥ %.1f×)%s.\n",
			s.n, s.empty1, s.full, s.empty2, s.ratio(), submitRatio, met(s.ratio() >= submitRatio))
	}
	if len(r.runs) > 0 {
		pace := "each sending as soon as its last request is answered"
		if r.cfg.rate > 0 {
			pace = fmt.Sprintf("paced to send %.0f requests/s in all (a request's time counts from when it was due)", r.cfg.rate)
		}
		fmt.Fprintf(w, "\nReads, %d concurrent readers %s, %s each, after a /healthz reference run of the same length and pace:\n\n", r.cfg.readers, pace, r.cfg.duration)
		fmt.Fprintf(w, "| path | p50 | p99 | max | req/s | errors | /healthz p99 | /healthz req/s | target p99 | server: handled ≤ 5 ms | server: p99 ≤ |\n|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n")
		for _, run := range r.runs {
			target := fmt.Sprintf("< %s%s", listP99Target, met(run.p99 < listP99Target))
			switch {
			case strings.HasPrefix(run.path, "status"):
				target = fmt.Sprintf("< %s%s", statusP99Target, met(run.p99 < statusP99Target))
			case strings.HasPrefix(run.path, "floor"):
				target = "none: the floor"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %d | %s | %.0f | %s | %.1f%% | %s |\n", run.path, ms(run.p50), ms(run.p99), ms(run.max), run.rate,
				run.errors, ms(run.ref.p99), run.ref.rate, target, 100*run.server.within(0.005),
				ms(time.Duration(run.server.p99Bound()*float64(time.Second))))
			maxRSS = max(maxRSS, run.rss)
		}
	}
	if len(r.runs) > 0 {
		fmt.Fprintf(w, "\nThe two server columns come from the server's own `datahub_http_request_duration_seconds` over the\n"+
			"measured part: how long its handlers took, without the time a request waited for the server to read it.\n"+
			"Its buckets give \"p99 ≤\" as the bound of the first bucket that holds 99%% of them.\n")
	}
	fmt.Fprintf(w, "\nServer RSS at most %.1f MiB (target < 150 MiB)%s.\n", mib(maxRSS), met(maxRSS < rssTarget))
}

func met(ok bool) string {
	if ok {
		return ": met"
	}
	return ": **not met**"
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func dbName(c config) string {
	if c.databaseURL != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}
