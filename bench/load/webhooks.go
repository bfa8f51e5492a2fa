package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The -webhooks mode measures, in one run, what events and a webhook endpoint
// cost the submit path, and how fast queued deliveries reach a receiver:
//
//   - submit throughput of three sides, interleaved: the service before events
//     (-webhooks-base, built from git), the service with events and a key with no
//     endpoint, and the same service with a key whose endpoint is configured (each
//     submission also enqueues its delivery). No jobs run while submits are measured;
//   - deliveries/s: the service is then restarted with -webhook-workers job workers
//     and the first -webhook-drain deliveries queued by the measured submits are sent to a receiver on
//     loopback that answers 204 at once (their file checks, to a closed loopback
//     port, run at the same time).

// hookSide is one side of the submit comparison.
type hookSide struct {
	label  string
	server *proc
	base   string // URL
	script string // wrk script with the side's key
}

// receiverStats counts the deliveries a loopback receiver got.
type receiverStats struct {
	mu          sync.Mutex
	n           int
	first, last time.Time
}

func (r *receiverStats) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, req.Body)
	now := time.Now()
	r.mu.Lock()
	if r.n == 0 {
		r.first = now
	}
	r.n++
	r.last = now
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiverStats) get() (int, time.Time, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n, r.first, r.last
}

func (b *bench) runWebhooks(ctx context.Context) error {
	b.log = os.Stderr
	c := b.cfg
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "datahub-load-"); err != nil {
		return err
	}
	b.machineFacts()
	datahub := filepath.Join(b.tmp, "datahub")
	_, what, err := serviceSource(root, b.tmp, "")
	if err != nil {
		return err
	}
	b.progress("building the service (%s)", what)
	if err := goBuild(root, datahub, "./cmd/datahub"); err != nil {
		return err
	}
	b.facts = append(b.facts, "service: "+what)

	recv := &receiverStats{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hookURL := "http://" + ln.Addr().String() + "/hooks"
	go http.Serve(ln, recv)
	defer ln.Close()

	data := filepath.Join(b.tmp, "data")
	plainKey, err := createKey(ctx, datahub, data)
	if err != nil {
		return err
	}
	hookedKey, err := createKey(ctx, datahub, data)
	if err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, datahub, "webhooks", "set", "--data", data, "--url", hookURL, hookedKey).CombinedOutput(); err != nil {
		return fmt.Errorf("datahub webhooks set: %w: %s", err, out)
	}
	now, nowURL, err := b.startService(ctx, datahub, data, "--job-workers", "0")
	if err != nil {
		return err
	}
	b.server = now
	var sides []*hookSide
	if c.webhooksBase != "" {
		baseTmp := filepath.Join(b.tmp, "base")
		if err := os.MkdirAll(baseTmp, 0o755); err != nil {
			return err
		}
		src, what, err := serviceSource(root, baseTmp, c.webhooksBase)
		if err != nil {
			return err
		}
		bin := filepath.Join(baseTmp, "datahub")
		b.progress("building the service before events (%s)", what)
		if err := goBuild(src, bin, "./cmd/datahub"); err != nil {
			return err
		}
		b.facts = append(b.facts, "before events: "+what)
		baseData := filepath.Join(baseTmp, "data")
		key, err := createKey(ctx, bin, baseData)
		if err != nil {
			return err
		}
		p, url, err := b.startService(ctx, bin, baseData, "--job-workers", "0")
		if err != nil {
			return err
		}
		b.baseline = p
		sides = append(sides, &hookSide{label: "before events", server: p, base: url, script: key})
	}
	sides = append(sides, &hookSide{label: "events, no endpoint", server: now, base: nowURL, script: plainKey},
		&hookSide{label: "events and an endpoint", server: now, base: nowURL, script: hookedKey})
	for i, s := range sides {
		lua, err := submitLua(s.script, submitBody)
		if err != nil {
			return err
		}
		if s.script, err = writeFile(b.tmp, "submit"+strconv.Itoa(i)+".lua", lua); err != nil {
			return err
		}
		if c.warmup > 0 {
			if _, err := runWrk(ctx, s.script, s.base+submitPath, c.threads, c.clients, c.warmup, "w"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	results := map[string][]*runResult{}
	for i := 1; i <= c.runs; i++ {
		for j, s := range sides {
			b.settle(ctx)
			b.progress("submit run %d/%d: %s, %d clients, %s", i, c.runs, s.label, c.clients, c.duration)
			cpu := sampleCPU(s.server.cmd.Process.Pid)
			w, err := runWrk(ctx, s.script, s.base+submitPath, c.threads, c.clients, c.duration, "s"+strconv.Itoa(i)+"x"+strconv.Itoa(j))
			if err != nil {
				return err
			}
			target, machine := cpu.end()
			r := &runResult{side: s.label, n: i, rate: w.rate(), p50ms: w.P50US / 1000, p99ms: w.P99US / 1000,
				requests: w.Requests, bad: w.Non200 + w.socketErrors(), targetCPU: target, wrkCPU: w.wrkCores,
				otherCPU: max(0, machine-target-w.wrkCores)}
			if r.bad > 0 {
				b.invalid = append(b.invalid, fmt.Sprintf("%s run %d: %d non-200 responses or socket errors (%s)", s.label, i, r.bad, w.FirstBad))
			}
			results[s.label] = append(results[s.label], r)
		}
	}
	b.baseline.stop(10 * time.Second)
	now.stop(10 * time.Second)

	queued, err := countDeliveries(filepath.Join(data, "datahub.db"))
	if err != nil {
		return err
	}
	want := min(queued, c.webhookDrain)
	b.progress("sending the first %d of the %d queued deliveries with %d job workers", want, queued, c.webhookWorkers)
	b.settle(ctx)
	cpuStart := time.Now()
	b.server, _, err = b.startService(ctx, datahub, data, "--job-workers", strconv.Itoa(c.webhookWorkers), "--allow-private-fetch")
	if err != nil {
		return err
	}
	cpu := sampleCPU(b.server.cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Minute)
	for {
		n, _, _ := recv.get()
		if n >= want || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	target, _ := cpu.end()
	n, first, last := recv.get()
	b.server.stop(10 * time.Second)
	if n < want {
		b.invalid = append(b.invalid, fmt.Sprintf("the receiver got %d of %d deliveries within 10 minutes", n, want))
	}
	b.reportWebhooks(os.Stdout, sides, results, n, first.Sub(cpuStart), last.Sub(first), target)
	return nil
}

// startService starts `datahub serve` on a free loopback port, waits until it
// is ready and returns it with its base URL.
func (b *bench) startService(ctx context.Context, bin, data string, extra ...string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	base := "http://" + addr
	ready := make(chan string, 16)
	p, err := start("datahub serve "+addr, command(bin, append([]string{"serve", "--addr", addr, "--data", data, "--public-url", base,
		"--rate-limit", "0", "--log-level", "warn", "--shutdown-timeout", "5s"}, extra...)...), nil, nil)
	if err != nil {
		return nil, "", err
	}
	go pollReady(ctx, base+"/readyz", ready, p.done)
	if err := waitLine(ctx, p, ready, 30*time.Second, func(l string) bool { return strings.Contains(l, addr) }); err != nil {
		p.stop(5 * time.Second)
		return nil, "", err
	}
	return p, base, nil
}

// createKey makes an API key of project CFS with the CLI and returns it.
func createKey(ctx context.Context, bin, data string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "keys", "create", "--data", data, "--project", "CFS", "--client", "bench",
		"--contact", "a@b.gc.ca").Output()
	if err != nil {
		return "", fmt.Errorf("datahub keys create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

func countDeliveries(path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT count(*) FROM webhook_deliveries`).Scan(&n)
	return n, err
}

func (b *bench) reportWebhooks(w io.Writer, sides []*hookSide, results map[string][]*runResult, delivered int,
	startup, spread time.Duration, cores float64) {
	fmt.Fprintln(w, "## Submit with events and a webhook endpoint, and deliveries to a local receiver")
	fmt.Fprintln(w)
	for _, f := range b.facts {
		fmt.Fprintln(w, "- "+f)
	}
	fmt.Fprintf(w, "- %d submit clients (wrk connections), %s per run, %d runs per side, interleaved; no jobs run while submits are measured\n",
		b.cfg.clients, b.cfg.duration, b.cfg.runs)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| side | best submissions/s | p50 ms | p99 ms | server cores | every run (submissions/s) |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- |")
	var ref float64
	for _, s := range sides {
		var bestR *runResult
		var all []string
		for _, r := range results[s.label] {
			if bestR == nil || r.rate > bestR.rate {
				bestR = r
			}
			all = append(all, fmt.Sprintf("%.0f%s", r.rate, mark(r)))
		}
		if bestR == nil {
			continue
		}
		if s.label == "events, no endpoint" && ref == 0 {
			ref = bestR.rate
		}
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.1f | %.2f | %s |\n", s.label, bestR.rate, bestR.p50ms, bestR.p99ms, bestR.targetCPU, strings.Join(all, ", "))
	}
	fmt.Fprintln(w)
	if len(sides) == 3 {
		before, with := best(results[sides[0].label], sides[0].label), best(results[sides[2].label], sides[2].label)
		if before != nil && with != nil && before.rate > 0 {
			drop := 100 * (1 - with.rate/before.rate)
			fmt.Fprintf(w, "With events and an endpoint, submit throughput is %.1f %% lower than before events (target at most 10 %%: %s).\n\n",
				drop, verdict(drop <= 10))
		}
	}
	rate := 0.0
	if spread > 0 {
		rate = float64(delivered-1) / spread.Seconds()
	}
	fmt.Fprintf(w, "Deliveries: %d sent to the loopback receiver with %d job workers, %.0f deliveries/s from the first to the last "+
		"(the first arrived %.1f s after the service started; the service used %.2f cores meanwhile, running the queued file checks too).\n",
		delivered, b.cfg.webhookWorkers, rate, startup.Seconds(), cores)
	if len(b.invalid) > 0 {
		fmt.Fprintln(w, "\nNOT VALID: "+strings.Join(b.invalid, "; "))
	}
}
