package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(strings.TrimSpace(s)), v) }

// machineFacts notes what the figures depend on.
func (b *bench) machineFacts() {
	model := ""
	if ci, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(ci)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	mem := ""
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		mem = fmt.Sprintf(", %.0f GiB", float64(si.Totalram)*float64(si.Unit)/(1<<30))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	b.facts = append(b.facts,
		"date: "+time.Now().UTC().Format("2006-01-02 15:04 MST"),
		fmt.Sprintf("machine: nproc %d (%s)%s, Linux %s", runtime.NumCPU(), model, mem, strings.TrimSpace(string(kernel))),
		"load average at start: "+strings.Join(strings.Fields(string(load))[:3], " "),
		"go: "+runtime.Version()+" (this program)",
		fmt.Sprintf("wrk: %s, %d threads", wrkVersion(), b.cfg.threads),
	)
	var fs syscall.Statfs_t
	if syscall.Statfs(b.tmp, &fs) == nil {
		name := map[int64]string{0xEF53: "ext4", 0x01021994: "tmpfs", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x794c7630: "overlayfs"}[int64(fs.Type)]
		if name == "" {
			name = fmt.Sprintf("filesystem 0x%x", fs.Type)
		}
		b.facts = append(b.facts, fmt.Sprintf("data directories under %s, on %s", b.tmp, name))
		if name == "tmpfs" {
			b.fsWarning = "the data directory is on tmpfs, where fsync does nothing: the durable figures are not durable; set TMPDIR to a directory on disk"
		}
	}
}

// disturbed says whether other processes used more than busyThreshold cores during the run.
func (r *runResult) disturbed() bool { return r.otherCPU > busyThreshold }

// best is the side's fastest run among those nobody disturbed, or among all
// of them when every run was disturbed.
func best(rs []*runResult, side string) *runResult {
	var out, clean *runResult
	for _, r := range rs {
		if r.side != side {
			continue
		}
		if out == nil || r.rate > out.rate {
			out = r
		}
		if !r.disturbed() && (clean == nil || r.rate > clean.rate) {
			clean = r
		}
	}
	if clean != nil {
		return clean
	}
	return out
}

// worstP99 is the highest p99 among undisturbed runs (all runs when every one
// was disturbed), and the highest of all.
func worstP99(rs []*runResult) (clean, all float64) {
	anyClean := false
	for _, r := range rs {
		all = max(all, r.p99ms)
		if !r.disturbed() {
			anyClean = true
			clean = max(clean, r.p99ms)
		}
	}
	if !anyClean {
		clean = all
	}
	return clean, all
}

// mark flags a headline figure that comes from a disturbed run.
func mark(r *runResult) string {
	if r.disturbed() {
		return " ⚠"
	}
	return ""
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// thousands formats n with commas: 12345 -> "12,345".
func thousands(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func (b *bench) report(w io.Writer) {
	c := b.cfg
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	if b.pg != nil {
		p("## DataHub load benchmark, PostgreSQL")
	} else {
		p("## DataHub load benchmark")
	}
	p("")
	for _, f := range b.facts {
		p("- %s", f)
	}
	p("- settings: %s per run, %d runs per side interleaved; the table gives each side's best run among those that other processes did not disturb (⚠ when every run of that side was disturbed); warm-up %s per path", c.duration, c.runs, c.warmup)
	if b.pg == nil {
		p("- choices: %d keep-alive connections, the same request (with the key header) to both; service body %d bytes, %s", c.connections, b.choicesSize, b.choicesCT)
		p("- submit: %d keep-alive connections, one new file_id per request; ceilings: bench/rawinsert with %d goroutines into one group-committing writer, writing all seven rows of a submission (UUIDv7 ids), and the old two-row ceiling (submissions and transitions, UUIDv4 ids) for comparison", c.clients, c.clients)
	} else {
		p("- submit: %d keep-alive connections, one new file_id per request; the service's pool to PostgreSQL is its default (max(8, 4×GOMAXPROCS) unless the URL sets pool_max_conns); ceiling: bench/rawinsert with %d connections, each submission's seven rows in their own transaction, prepared statements", c.clients, c.clients)
	}
	if b.fsWarning != "" {
		p("- WARNING: %s", b.fsWarning)
	}
	p("")

	svc, bare := best(b.choices, "service"), best(b.choices, "bare handler")
	sub := best(b.submits, "service")
	p("| path | service | reference, same run | ratio | target | result |")
	p("|---|---:|---:|---:|---|---|")
	if svc != nil && bare != nil {
		ratio := svc.rate / bare.rate
		res := verdict(ratio >= 0.9)
		if ratio >= 0.9 {
			res += map[bool]string{true: ", aim met", false: ", aim (0.95×) missed"}[ratio >= 0.95]
		}
		p("| GET choices | %s req/s%s | %s req/s bare net/http%s | %.2f× | ≥ 0.90× (aim 0.95×) | %s |", thousands(svc.rate), mark(svc), thousands(bare.rate), mark(bare), ratio, res)
	}
	var mainRaw *runResult
	if sub != nil && b.pg == nil {
		if raw := best(b.raws, ceilAllSQLite); raw != nil {
			mainRaw = raw
			ratio := sub.rate / raw.rate
			res := fmt.Sprintf("5,000/s %s; 0.40× %s", verdict(sub.rate >= 5000), verdict(ratio >= 0.4))
			if ratio >= 0.4 {
				res += map[bool]string{true: ", aim met", false: ", aim (0.60×) missed"}[ratio >= 0.6]
			}
			p("| POST submit, durable | %s /s%s | %s /s %s (UUIDv7)%s | %.2f× | ≥ 5,000/s and ≥ 0.40× (aim 0.60×) | %s |", thousands(sub.rate), mark(sub), thousands(raw.rate), ceilAllSQLite, mark(raw), ratio, res)
		}
		if raw := best(b.raws, ceilTwoSQLite); raw != nil {
			p("| POST submit, against the old ceiling | %s /s%s | %s /s %s (submissions and transitions, UUIDv4)%s | %.2f× | for comparison with earlier figures only | |", thousands(sub.rate), mark(sub), thousands(raw.rate), ceilTwoSQLite, mark(raw), sub.rate/raw.rate)
		}
	}
	if sub != nil && b.pg != nil {
		if raw := best(b.raws, ceilAllPG); raw != nil {
			mainRaw = raw
			ratio := sub.rate / raw.rate
			p("| POST submit, durable, PostgreSQL | %s /s%s | %s /s %s, %d connections%s | %.2f× | ≥ 0.50× | %s |", thousands(sub.rate), mark(sub), thousands(raw.rate), ceilAllPG, c.clients, mark(raw), ratio, verdict(ratio >= 0.5))
		}
	}
	if sub != nil {
		wp, wpAll := worstP99(b.submits)
		rawLat := ""
		if mainRaw != nil {
			rawLat = fmt.Sprintf("raw p50 %.1f ms, p99 %.1f ms", mainRaw.p50ms, mainRaw.p99ms)
		}
		target, res := "p99 < 50 ms", verdict(wp < 50)
		if b.pg != nil {
			target, res = "none set for PostgreSQL (SQLite's: p99 < 50 ms)", map[bool]string{true: "under 50 ms", false: "over 50 ms"}[wp < 50]
		}
		p("| submit latency | p50 %.1f ms, p99 %.1f ms (worst undisturbed run p99 %.1f; worst of all %.1f) | %s | | %s | %s |", sub.p50ms, sub.p99ms, wp, wpAll, rawLat, target, res)
		var bad, total int64
		for _, r := range b.submits {
			bad += r.bad
			total += r.requests
		}
		p("| submit non-200 | %d of %s seen by wrk; server counted %.0f, of which %d abandoned by wrk at a run's end | | | 0 | %s |",
			bad, thousands(float64(total)), b.submitTotal.bad, b.canceled, verdict(bad == 0 && b.submitTotal.bad <= float64(b.canceled)))
	}
	p("")
	p("Every run (CPU in cores of %d: the target process, wrk, PostgreSQL where used, and everything else on the machine):", runtime.NumCPU())
	p("")
	pgCol, pgSep := "", ""
	if b.pg != nil {
		pgCol, pgSep = " CPU postgres |", "---:|"
	}
	p("| path | side | run | rate /s | p50 ms | p99 ms | requests | errors, non-2xx | bytes/resp | batch | allocs/req | CPU target | target µs/req | CPU wrk |%s CPU other |", pgCol)
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s---:|", pgSep)
	disturbed := 0
	row := func(path string, r *runResult) {
		bytes, batch, wrk := "", "", ""
		if r.respBytes > 0 {
			bytes = thousands(r.respBytes)
		}
		if r.meanBatch > 0 {
			batch = fmt.Sprintf("%.1f", r.meanBatch)
		}
		if !r.raw {
			wrk = fmt.Sprintf("%.2f", r.wrkCPU)
		}
		allocs := ""
		if r.allocs > 0 {
			allocs = fmt.Sprintf("%.0f (%.1f KiB)", r.allocs, r.allocKB)
		}
		other := fmt.Sprintf("%.2f", r.otherCPU)
		if r.otherCPU > busyThreshold {
			other += " ⚠"
			disturbed++
		}
		perReq := ""
		if r.rate > 0 {
			perReq = fmt.Sprintf("%.1f", r.targetCPU*1e6/r.rate)
		}
		pg := ""
		if b.pg != nil {
			pg = fmt.Sprintf(" %.2f |", r.pgCPU)
		}
		p("| %s | %s | %d | %s | %.2f | %.2f | %s | %d | %s | %s | %s | %.2f | %s | %s |%s %s |", path, r.side, r.n, thousands(r.rate),
			r.p50ms, r.p99ms, thousands(float64(r.requests)), r.bad, bytes, batch, allocs, r.targetCPU, perReq, wrk, pg, other)
	}
	for _, r := range b.choices {
		row("choices", r)
	}
	for _, r := range b.submits {
		row("submit", r)
		for _, raw := range b.raws {
			if raw.n == r.n {
				row("submit", raw)
			}
		}
	}
	p("")
	if disturbed > 0 {
		p("- ⚠ %d runs shared the machine with other processes using more than %.2f cores: their rates are low; rerun when the machine is idle", disturbed, busyThreshold)
	}
	for _, r := range b.raws {
		p("- %s, run %d: %s", r.side, r.n, r.detail)
	}
	for _, r := range b.submits {
		if r.detail != "" {
			p("- submit run %d: %s", r.n, r.detail)
		}
		if r.pgCPU > 0 && r.rate > 0 {
			p("- submit run %d: PostgreSQL used %.2f cores (%.0f µs per submission)", r.n, r.pgCPU, r.pgCPU*1e6/r.rate)
		}
	}
	if b.submitTotal.commits > 0 {
		p("- service write transactions: %.0f writes in %.0f transactions (%.1f per commit), warm-up included", b.submitTotal.writes, b.submitTotal.commits, b.submitTotal.writes/b.submitTotal.commits)
	}
	p("- durability check: the server answered %.0f submits with 200 (warm-up included); its database holds %d submissions after shutdown, %s", b.submitTotal.ok, b.rowsInDB, b.rowsNote)
	committed := "none was committed"
	if n := b.rowsInDB - int64(b.submitTotal.ok); n > 0 {
		committed = fmt.Sprintf("%d of them were committed all the same (their transaction committed as the handler saw the client leave)", n)
	}
	p("- server log at warn level: %d warning and %d error lines; %d requests abandoned by wrk at a run's end (answered 499, or before 9b49a89 500 and logged as failed with context canceled); %s", b.warns, b.errs, b.canceled, committed)
	if b.txDone > 0 {
		p("- **abandoned requests answered 500: %d**; each was logged at error level as `create submission: commit: sql: transaction has already been committed or rolled back`: database/sql rolled back the transaction of a client that had left, and the commit's error does not name the cancelled context, so the handler does not recognise it as a 499. Nothing was committed for them. This is a service bug, not a load failure: wrk never saw these responses", b.txDone)
	}
	for _, l := range b.firstLogs {
		p("  - `%s`", l)
	}
	for _, f := range b.profiles {
		p("- profile: %s", f)
	}
}
