package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opendata-datahub/datahub/bench/internal/procstat"
)

// proc is a child process that must not outlive the benchmark.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done closes
	logs *lineLog
}

// command prepares a child that gets SIGKILL if this process dies first.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// No file checks during the load: the bodies name an outside host, and
	// traffic stays on loopback. Builds without a job queue ignore the variable.
	cmd.Env = append(os.Environ(), "DATAHUB_JOB_WORKERS=0")
	return cmd
}

// runToEnd runs cmd until it exits, or kills it when ctx ends (returning
// ctx's error), and reports how long it ran.
func runToEnd(ctx context.Context, cmd *exec.Cmd) (time.Duration, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		return time.Since(start), err
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-waited
		return time.Since(start), ctx.Err()
	}
}

// start runs cmd; its stdout goes to onStdout (one line at a time) and its
// stderr to a log kept for the report.
func start(name string, cmd *exec.Cmd, onStdout, onStderr func(string)) (*proc, error) {
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), logs: &lineLog{}}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	var wg sync.WaitGroup
	pump := func(r io.Reader, on func(string)) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.logs.add(sc.Text())
			if on != nil {
				on(sc.Text())
			}
		}
	}
	wg.Add(2)
	go pump(stdout, onStdout)
	go pump(stderr, onStderr)
	go func() {
		wg.Wait() // the pipes must be drained before Wait
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM, waits up to grace, then kills.
func (p *proc) stop(grace time.Duration) {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// lineLog keeps a process's last lines, and counts those at warn or error level.
type lineLog struct {
	mu       sync.Mutex
	lines    []string
	warns    int
	errors   int
	canceled int      // "request failed" because the client had gone (context canceled)
	txDone   int      // "request failed" at commit because database/sql had rolled back the transaction of a client that had gone
	first    []string // the first few warn or error lines
}

func (l *lineLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 200 {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, s)
	var rec struct{ Level, Msg, Err string }
	if json.Unmarshal([]byte(s), &rec) != nil {
		return
	}
	switch rec.Level {
	case "WARN":
		l.warns++
	case "ERROR":
		l.errors++
		if rec.Msg == "request failed" && strings.HasSuffix(rec.Err, "context canceled") {
			l.canceled++
		}
		// On PostgreSQL, database/sql rolls a transaction back when its
		// context ends; the commit then fails with ErrTxDone, not with the
		// context's error, and the handler answers 500 rather than 499.
		if rec.Msg == "request failed" && strings.HasSuffix(rec.Err, "commit: sql: transaction has already been committed or rolled back") {
			l.txDone++
		}
	default:
		return
	}
	if len(l.first) < 3 {
		l.first = append(l.first, s[:min(len(s), 300)])
	}
}

func (l *lineLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}

func (l *lineLog) counts() (warns, errors, canceled, txDone int, first []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.warns, l.errors, l.canceled, l.txDone, l.first
}

// moduleRoot is the directory of the go.mod that the go command sees from here.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run this from inside the datahub module (go run ./bench/load)")
	}
	return filepath.Dir(gomod), nil
}

// serviceSource is the directory to build the service from: the module root,
// or with rev a copy of that git revision extracted into tmp. It also says
// which code that is.
func serviceSource(root, tmp, rev string) (dir, what string, err error) {
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, ee.Stderr)
			}
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if rev == "" {
		what = "the working tree"
		if head, err := git("rev-parse", "--short", "HEAD"); err == nil {
			what += " at " + head
			if st, err := git("status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
				what += fmt.Sprintf(", with %d modified files", len(strings.Split(st, "\n")))
			}
		}
		return root, what, nil
	}
	hash, err := git("rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(tmp, "src")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	tar := filepath.Join(tmp, "src.tar")
	if _, err := git("archive", "--format=tar", "-o", tar, hash); err != nil {
		return "", "", err
	}
	if out, err := exec.Command("tar", "-xf", tar, "-C", dir).CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("tar: %w: %s", err, out)
	}
	return dir, fmt.Sprintf("git revision %s (%s), not the working tree", hash[:12], rev), nil
}

// copyDir copies the regular files of one directory (not its subdirectories).
func copyDir(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func goBuild(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitLine waits for a line that match accepts, or for the process to end.
func waitLine(ctx context.Context, p *proc, lines <-chan string, timeout time.Duration, match func(string) bool) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case l := <-lines:
			if match(l) {
				return nil
			}
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", p.name, p.err, p.logs.tail(20))
		case <-t.C:
			return fmt.Errorf("%s not ready after %s:\n%s", p.name, timeout, p.logs.tail(20))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// machineTicks is all CPUs' busy and total ticks since boot, from /proc/stat.
func machineTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseInt(f, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// writtenBytes is what a process has handed to write(2) so far (wchar in /proc/PID/io).
func writtenBytes(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// cpuSample measures CPU use over an interval: the target process's, and the machine's.
type cpuSample struct {
	pid                  int
	t0                   time.Time
	proc0, busy0, total0 int64
}

func sampleCPU(pid int) *cpuSample {
	s := &cpuSample{pid: pid, t0: time.Now()}
	s.proc0, _ = procstat.Ticks(pid)
	s.busy0, s.total0 = machineTicks()
	return s
}

// end returns the cores the target used and the cores the whole machine used.
func (s *cpuSample) end() (target, machine float64) {
	secs := time.Since(s.t0).Seconds()
	p, _ := procstat.Ticks(s.pid)
	busy, _ := machineTicks()
	return float64(p-s.proc0) / procstat.UserHZ / secs, float64(busy-s.busy0) / procstat.UserHZ / secs
}

// cores is the CPU a finished child used, in cores over wall.
func cores(ps *os.ProcessState, wall time.Duration) float64 {
	if ps == nil || wall <= 0 {
		return 0
	}
	return (ps.UserTime() + ps.SystemTime()).Seconds() / wall.Seconds()
}
