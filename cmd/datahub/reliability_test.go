package main

import (
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// kill -9 under 16 clients' submit load, restart on the same data: every
// acknowledged submission is there, and every queued file check runs once.
// The killed server runs no jobs (an API replica), so that each check the
// test counts was queued, not started; the restarted one runs them.
func TestReliabilityKill9(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { kill9UnderLoad(t, t.TempDir(), nil) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv("DATAHUB_TEST_DATABASE_URL") == "" {
			t.Skip("skipping PostgreSQL: set DATAHUB_TEST_DATABASE_URL")
		}
		cfg := storetest.FreshPostgres(t)
		kill9UnderLoad(t, t.TempDir(), []string{"--database-url", cfg.DatabaseURL})
	})
}

func kill9UnderLoad(t *testing.T, data string, db []string) {
	files := newCountingFiles(t)
	key := createKey(t, data, "CFS", db...)
	t.Setenv("DATAHUB_ALLOW_PRIVATE_FETCH", "true")
	srv := startServer(t, data, db...)
	stop := make(chan struct{})
	load := submitLoad{base: srv.base, key: key, prefix: "k9", fileURL: files.URL, clients: 16, keepAlive: true}
	res, wait := load.run(stop)
	for res.count(200) < pick(60, 1000) {
		time.Sleep(10 * time.Millisecond)
	}
	srv.kill9(t)
	close(stop)
	wait()
	t.Logf("at kill -9: %s", res)

	srv = startServer(t, data, append(db, "--job-workers", "4")...)
	requireAllFound(t, srv, key, res.acked)
	waitChecked(t, srv, key, res.acked)
	hits := files.counts()
	twice := 0
	for _, fileID := range res.acked {
		if n := hits["/files/"+fileID+".csv"]; n != 1 {
			t.Errorf("file of %s fetched %d times, want 1", fileID, n)
		}
	}
	for path, n := range hits {
		if n > 1 {
			twice++
			t.Errorf("%s fetched %d times", path, n)
		}
	}
	// Submissions stored but not acknowledged (their answer cut by the kill) are checked too.
	t.Logf("file checks: %d acknowledged submissions checked once each; %d files fetched (stored but unanswered: %d); fetched twice: %d",
		len(res.acked), len(hits), len(hits)-len(res.acked), twice)
	srv.stop(t)
}

// SIGTERM under load: /readyz fails first while submissions are still
// served; clients that stop sending when readiness fails (as a load
// balancer does) see every request answered; the process exits 0, and
// nothing acknowledged is lost.
func TestReliabilitySIGTERM(t *testing.T) {
	data := t.TempDir()
	files := newCountingFiles(t)
	key := createKey(t, data, "CFS")
	t.Setenv("DATAHUB_ALLOW_PRIVATE_FETCH", "true")
	drain := pick(time.Second, 5*time.Second)
	srv := startServer(t, data, "--job-workers", "2", "--shutdown-drain", drain.String())
	var notReady atomic.Bool
	stop := make(chan struct{})
	load := submitLoad{base: srv.base, key: key, prefix: "term", fileURL: files.URL, clients: 16, pause: &notReady}
	res, wait := load.run(stop)
	for res.count(200) < pick(40, 500) {
		time.Sleep(10 * time.Millisecond)
	}
	before := res.count(200)
	srv.cmd.Process.Signal(syscall.SIGTERM)
	// Readiness fails while the server still answers: poll it, and submit
	// once more after it failed, which must still be served.
	var served int
	for {
		if code := ready(srv.base); code == 503 {
			break
		} else if code == 0 {
			t.Fatalf("the server stopped answering before /readyz failed\n%s", srv.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	notReady.Store(true)
	if code, m := srv.call(t, "POST", "/api/opendata/submit", key, string(submitBody("term-after-readyz", files.URL+"/files/x.csv"))); code != 200 {
		t.Errorf("a submission while draining: %d %v", code, m)
	} else {
		served = 1
		res.mu.Lock()
		res.acked[m["datahub_id"].(string)] = "term-after-readyz"
		res.mu.Unlock()
	}
	if err := <-srv.done; err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.logs)
	}
	close(stop)
	wait()
	t.Logf("acknowledged before SIGTERM %d, by the end %d; served after /readyz failed %d; %s", before, res.count(200)+served, served, res)
	if res.transport != 0 {
		t.Errorf("%d requests got no answer (last: %v): in-flight requests must finish", res.transport, res.lastErr)
	}
	if !strings.Contains(srv.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the logs:\n%s", srv.logs)
	}
	srv = startServer(t, data, "--job-workers", "2")
	requireAllFound(t, srv, key, res.acked)
	waitChecked(t, srv, key, res.acked)
	srv.stop(t)
}
