// Command publish measures publishing to the registry: two replicas' job queues,
// in this process, publish a burst of approvals to the registry double
// (ckantest) on 127.0.0.1. It reports approve-to-published latency and checks
// that no dataset is created twice, first without faults, then with a share of
// the registry's calls failing (500, a proxy's 503 page, a connection dropped
// after the action was applied).
//
//	go run ./bench/publish [-n 200] [-rate 0.2] [-delay 50ms] [-database-url 'postgres:///postgres?host=/var/run/postgresql']
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
)

type options struct {
	n       int
	rate    float64
	delay   time.Duration
	workers int
	dbURL   string
	timeout time.Duration
	seed    uint64
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 200, "approvals per phase")
	flag.Float64Var(&o.rate, "rate", 0.2, "share of registry calls that fail in the second phase")
	flag.DurationVar(&o.delay, "delay", 50*time.Millisecond, "wait between publishing attempts (the service's PublishDelay is 10s, 1m, 5m, 30m, 2h)")
	flag.IntVar(&o.workers, "workers", 4, "job workers per replica")
	flag.StringVar(&o.dbURL, "database-url", "postgres:///postgres?host=/var/run/postgresql",
		"PostgreSQL server (socket directory or loopback) on which a fresh database is made; empty, or no server there, for SQLite")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "longest wait for one phase")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the registry's faults")
	flag.Parse()
	err := errors.New("-n, -workers, -delay and -timeout must be positive and -rate in [0, 1)")
	if o.n > 0 && o.workers > 0 && o.delay > 0 && o.timeout > 0 && o.rate >= 0 && o.rate < 1 {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "publish:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	reg := ckantest.Start()
	defer reg.Close()
	reg.AddOrganization("cfs-scf")
	filesURL, stopFiles, err := serveFiles()
	if err != nil {
		return err
	}
	defer stopFiles()
	d, err := openDatabase(ctx, o.dbURL)
	if err != nil {
		return err
	}
	defer d.drop()
	db, err := store.Open(ctx, d.cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		return err
	}

	key, err := secret.GenerateKey()
	if err != nil {
		return err
	}
	keys, err := secret.NewKeyring(key)
	if err != nil {
		return err
	}
	registry := publish.Registry{Keys: keys, HTTP: fetch.NewHTTPClient(loopbackOnly, fetch.HTTPOptions{HeaderTimeout: 10 * time.Second})}
	sealed, err := registry.SealToken(opendata.DefaultTarget, reg.Token)
	if err != nil {
		return err
	}
	if err := db.SavePublishingTarget(ctx, opendata.PublishingTarget{Project: opendata.DefaultTarget,
		RegistryURL: reg.URL, Organization: "cfs-scf", UpdatedBy: "bench"}, &sealed); err != nil {
		return err
	}

	outbox, err := os.MkdirTemp("", "datahub-bench-outbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(outbox)
	logs := &lockedBuffer{}
	metrics := prometheus.NewRegistry()
	var replicas []*replica
	defer func() {
		for _, r := range replicas {
			if err := r.stop(); err != nil {
				fmt.Fprintln(os.Stderr, "publish: stop replica:", err)
			}
		}
	}()
	for i := range 2 {
		handle := db // the first replica, and on SQLite both, use the setup's store
		if i == 1 && d.postgres() {
			handle = nil
		}
		r, err := startReplica(ctx, d.cfg, handle, registry, o.delay, o.workers, outbox, logs, metrics)
		if err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
		replicas = append(replicas, r)
	}
	db.SetJobs(replicas[0].queue)

	fmt.Printf("publish: %d approvals per phase, 2 replicas × %d job workers, PublishDelay %s, %s, %s, GOMAXPROCS=%d\n",
		o.n, o.workers, o.delay, d.note, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Printf("registry double (ckantest) at %s; at most %d attempts per publication\n\n", reg.URL, jobs.PublishAttempts)
	var results []result
	for i, rate := range []float64{0, o.rate} {
		reg.FailRate(rate, o.seed)
		sum0, n0 := registrySeconds(metrics)
		res, err := runPhase(ctx, db, reg, filesURL, fmt.Sprintf("p%d", i), o)
		if err != nil {
			return err
		}
		sum1, n1 := registrySeconds(metrics)
		res.rate, res.registryPerAttempt = rate, time.Duration((sum1-sum0)/float64(max(n1-n0, 1))*float64(time.Second))
		results = append(results, res)
	}
	reg.FailRate(0, o.seed)
	report(results)
	if strings.Contains(logs.String(), reg.Token) {
		return errors.New("the registry token is in the queues' logs")
	}
	fmt.Printf("\nthe token appears in the queues' logs (%d bytes): no\n", len(logs.String()))
	for _, r := range results {
		if r.createdTwice > 0 || r.published+r.failed != o.n {
			return errors.New("a dataset was created twice or a publication was lost")
		}
	}
	return nil
}

// report prints the phases as a markdown table.
func report(results []result) {
	fmt.Println("| registry calls failing | published | publish_failed | approve → published p50 | p99 | max | wall | registry calls | attempts (mean) | registry time per attempt (mean) | ids with > 1 package_create call | ids created twice |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %.0f%% | %d | %d | %s | %s | %s | %s | %d | %.2f | %s | %d | %d |\n", r.rate*100, r.published, r.failed,
			ms(pct(r.latencies, 50)), ms(pct(r.latencies, 99)), ms(pct(r.latencies, 100)), r.wall.Round(10*time.Millisecond),
			r.calls, r.meanAttempts, ms(r.registryPerAttempt), r.resentCreates, r.createdTwice)
	}
}

// registrySeconds reads the publish attempts' registry time so far: its sum and count.
func registrySeconds(reg *prometheus.Registry) (float64, uint64) {
	families, err := reg.Gather()
	if err != nil {
		return 0, 0
	}
	for _, f := range families {
		if f.GetName() != "datahub_registry_call_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == "publish" {
					return m.GetHistogram().GetSampleSum(), m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0, 0
}

func pct(s []time.Duration, p int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	s = slices.Clone(s)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100 // nearest rank
	return s[max(i, 1)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
