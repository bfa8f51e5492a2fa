package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opendata-datahub/datahub/bench/internal/procstat"
)

// server is the service under measurement, with its memory sampled every second.
type server struct {
	cmd    *exec.Cmd
	base   string
	done   chan struct{}
	mu     sync.Mutex
	rss    int64 // the largest resident set seen since the last rssMax
	stopMu sync.Once
}

func startServer(ctx context.Context, bin string, storeArgs []string, dir string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr, done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr, "--public-url", s.base,
		"--rate-limit", "0", "--job-workers", "0", "--log-level", "warn", "--shutdown-timeout", "10s"}, storeArgs...)...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); logf.Close(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("the server stopped; see %s", filepath.Join(dir, "server.log"))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("the server was not ready after 60s; see %s", filepath.Join(dir, "server.log"))
		}
	}
	go s.sample()
	progress("service up at %s (pid %d)", s.base, s.cmd.Process.Pid)
	return s, nil
}

func (s *server) sample() {
	for {
		select {
		case <-s.done:
			return
		case <-time.After(time.Second):
		}
		if rss, err := procstat.RSS(s.cmd.Process.Pid); err == nil {
			s.mu.Lock()
			s.rss = max(s.rss, rss)
			s.mu.Unlock()
		}
	}
}

// rssMax is the largest resident set since the last call, in bytes.
func (s *server) rssMax() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rss
	if now, err := procstat.RSS(s.cmd.Process.Pid); err == nil {
		r = max(r, now)
	}
	s.rss = 0
	return r
}

func (s *server) stop() {
	s.stopMu.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// machineFacts describes where the figures were measured.
func machineFacts(c config) []string {
	facts := []string{fmt.Sprintf("%d CPUs, %s", runtime.NumCPU(), runtime.Version())}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		facts = append(facts, "load average at start: "+strings.Join(strings.Fields(string(b))[:3], " "))
	}
	db := "SQLite (" + filepath.Join(c.data, "data") + ")"
	if c.databaseURL != "" {
		db = "PostgreSQL"
		if out, err := exec.Command("psql", "-tAc", "show server_version", c.databaseURL).Output(); err == nil {
			db += " " + strings.TrimSpace(string(out))
		}
	}
	return append(facts, "database: "+db, "readers: "+strconv.Itoa(c.readers)+", load clients: "+strconv.Itoa(c.loadClients))
}
