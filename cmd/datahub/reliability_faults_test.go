package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/store"
)

// pgBin holds the PostgreSQL server programs a private cluster is made with.
const pgBin = "/usr/lib/postgresql/15/bin"

// privateCluster is a PostgreSQL cluster of the test's own, listening only on
// a Unix socket in its directory: stopping it touches no other server.
type privateCluster struct {
	dir, socket string
	port        int
}

// newPrivateCluster creates and starts a cluster as the postgres OS user; it
// is stopped and removed when the test ends. It skips without root or the programs.
func newPrivateCluster(t *testing.T) *privateCluster {
	t.Helper()
	requireRoot(t, "a private PostgreSQL cluster")
	if _, err := os.Stat(filepath.Join(pgBin, "pg_ctl")); err != nil {
		t.Skipf("skipping: no PostgreSQL server programs in %s", pgBin)
	}
	dir, err := os.MkdirTemp("", "datahub-pg")
	if err != nil {
		t.Fatal(err)
	}
	c := &privateCluster{dir: dir, socket: filepath.Join(dir, "run"), port: freePort(t)}
	t.Cleanup(func() {
		c.pgctl(t, "stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	os.Chmod(dir, 0o755)
	os.Mkdir(c.socket, 0o755)
	if out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Skipf("skipping: chown to postgres: %v %s", err, out)
	}
	if out, err := c.asPostgres(filepath.Join(pgBin, "initdb"), "-A", "trust", "-U", "postgres", "-D", c.data()); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	return c
}

func (c *privateCluster) data() string { return filepath.Join(c.dir, "data") }

func (c *privateCluster) asPostgres(args ...string) ([]byte, error) {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...).CombinedOutput()
}

func (c *privateCluster) pgctl(t *testing.T, args ...string) {
	t.Helper()
	all := append([]string{filepath.Join(pgBin, "pg_ctl"), "-D", c.data(), "-w", "-l", filepath.Join(c.dir, "log")}, args...)
	if out, err := c.asPostgres(all...); err != nil && args[0] != "stop" {
		t.Fatalf("pg_ctl %v: %v\n%s", args, err, out)
	}
}

// start starts the cluster on its socket only (no TCP listener).
func (c *privateCluster) start(t *testing.T) {
	t.Helper()
	c.pgctl(t, "start", "-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=''", c.port, c.socket))
}

func (c *privateCluster) stop(t *testing.T) { c.pgctl(t, "stop", "-m", "fast") }

func (c *privateCluster) url(db string) string {
	return fmt.Sprintf("postgres:///%s?host=%s&port=%d&user=postgres", db, c.socket, c.port)
}

// freePort is a loopback port no one listens on now; the private cluster
// uses it only to name its socket.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// PostgreSQL stopped under load, then started: while it is down, submissions
// get 503 problems with Retry-After and /readyz fails, never a 500; once it is
// back the server recovers without a restart and nothing acknowledged is lost.
func TestReliabilityPostgresOutage(t *testing.T) {
	pg := newPrivateCluster(t)
	db := []string{"--database-url", pg.url("postgres")}
	data := t.TempDir()
	key := createKey(t, data, "CFS", db...)
	srv := startServer(t, data, db...)
	stop := make(chan struct{})
	res, wait := submitLoad{base: srv.base, key: key, prefix: "pg", clients: 16, keepAlive: true}.run(stop)
	for res.count(200) < pick(50, 2000) {
		time.Sleep(10 * time.Millisecond)
	}
	pg.stop(t)
	down := pick(3*time.Second, 10*time.Second)
	readyFailed, readyOK := 0, 0
	for end := time.Now().Add(down); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if ready(srv.base) == 200 {
			readyOK++
		} else {
			readyFailed++
		}
	}
	during := res.String()
	unavailable := res.count(503)
	pg.start(t)
	for start := res.count(200); res.count(200) < start+pick(50, 2000); {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wait()
	t.Logf("PostgreSQL down %s: /readyz failed %d times, ready %d; during: %s; 503 problems %d (without Retry-After %d); after: %s",
		down, readyFailed, readyOK, during, unavailable, res.noRetry, res)
	if unavailable == 0 || res.noRetry != 0 || res.count(500) != 0 || readyOK != 0 || readyFailed == 0 {
		t.Errorf("want 503s with Retry-After, no 500, /readyz failing while down\n%s", srv.logs)
	}
	if ready(srv.base) != 200 {
		t.Error("/readyz still fails after PostgreSQL is back")
	}
	requireAllFound(t, srv, key, res.acked)
	srv.stop(t)
}

// A full data directory: submissions get 507 (or 503) problems, never a
// 500; a refused submission leaves no row; once space returns the database
// is intact and submissions are stored again.
func TestReliabilityFullDisk(t *testing.T) {
	requireRoot(t, "mounting a small file system")
	data := t.TempDir()
	size := pick("8m", "64m")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("skipping: mount tmpfs: %v %s", err, out)
	}
	key := createKey(t, data, "CFS")
	srv := startServer(t, data)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", data).CombinedOutput(); err != nil {
			t.Errorf("umount: %v %s", err, out)
		}
	})
	filler := filepath.Join(data, "filler")
	fill(t, filler)
	stop := make(chan struct{})
	res, wait := submitLoad{base: srv.base, key: key, prefix: "full", clients: 16, keepAlive: true}.run(stop)
	for res.count(507)+res.count(503) < pick(50, 500) && res.count(500) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wait()
	t.Logf("disk full (%s tmpfs): %s", size, res)
	if res.count(500) != 0 {
		t.Errorf("500s on a full disk\n%s", srv.logs)
	}
	os.Remove(filler)
	for i := range pick(20, 200) {
		fileID := fmt.Sprintf("after-%d", i)
		code, m := srv.call(t, "POST", "/api/opendata/submit", key, string(submitBody(fileID, "")))
		if code != 200 {
			t.Fatalf("submit after space returned: %d %v", code, m)
		}
		res.acked[m["datahub_id"].(string)] = fileID
	}
	requireAllFound(t, srv, key, res.acked)
	srv.stop(t)
	rows, integrity := inspectSQLite(t, data, res.refused)
	t.Logf("after space returned: integrity_check %q; rows stored for refused submissions: %d; acknowledged %d", integrity, rows, len(res.acked))
	if integrity != "ok" || rows != 0 {
		t.Errorf("integrity_check %q, %d rows for refused submissions", integrity, rows)
	}
}

// fill writes path until the file system has no space left.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			break
		}
	}
	for len(block) > 1 { // the last partial blocks
		block = block[:len(block)/2]
		f.Write(block)
	}
}

// inspectSQLite runs PRAGMA integrity_check on the stopped server's database
// and counts the submissions stored under any of fileIDs.
func inspectSQLite(t *testing.T, data string, fileIDs []string) (rows int, integrity string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, store.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&integrity); err != nil {
		t.Fatal(err)
	}
	if len(fileIDs) > 0 {
		q := "SELECT count(*) FROM submissions WHERE file_id IN ('" + strings.Join(fileIDs, "','") + "')"
		if err := db.QueryRowContext(ctx, q).Scan(&rows); err != nil {
			t.Fatal(err)
		}
	}
	return rows, integrity
}
