package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile requests against the running server: each is refused with its 4xx
// (or its connection closed), and the server's memory and open files do not grow.
func TestReliabilityHostileRequests(t *testing.T) {
	data := t.TempDir()
	key := createKey(t, data, "CFS")
	addr := freeLoopbackAddr(t)
	srv := startServer(t, data, "--addr", addr, "--public-url", "http://"+addr, "--header-timeout", "1s", "--body-timeout", "1s")
	pid := srv.cmd.Process.Pid
	if code, m := srv.call(t, "POST", "/api/opendata/submit", key, submission("hostile-base")); code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	// The contact signs in once: sign-in links are rate-limited per address.
	code, m := srv.call(t, "POST", "/api/opendata/submit", key, submission("upload-target"))
	if code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	id := m["datahub_id"].(string)
	contact, _ := signInWeb(t, srv.base, data, "contact@example.gc.ca", "/flow/"+id)
	rssStart, fdsBefore, goBefore := procStatus(t, pid, "VmRSS"), openFiles(t, pid), goroutines(t, srv.base)
	peak := 0 // the largest RSS seen after a step since it was last reset
	round := func() {
		steps := []struct {
			name string
			run  func()
		}{
			{"bodies no submission may be", func() { submitRefused(t, srv, key) }},
			{"huge headers", func() { hugeHeaders(t, srv.base) }},
			{"slowloris on headers", func() { slowloris(t, addr, "headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n", "") }},
			{"slowloris on the API body", func() {
				slowloris(t, addr, "API submit body", "POST /api/opendata/submit HTTP/1.1\r\nHost: x\r\nDH-Auth-Key: "+key+
					"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", " ", "HTTP/1.1 408")
			}},
			{"slowloris on a web form's body", func() {
				slowloris(t, addr, "web form body", "POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"+
					"\r\nContent-Length: 100000\r\n\r\nemail=", "a", "HTTP/1.1 408")
			}},
			{"1,000 idle connections", func() { idleConnections(t, srv, 1000) }},
			{"a 4 GiB upload", func() { gigabyteUpload(t, srv, contact, id) }},
		}
		for _, st := range steps {
			st.run()
			rss := procStatus(t, pid, "VmRSS")
			peak = max(peak, rss)
			t.Logf("  RSS after %s: %d kB", st.name, rss)
		}
	}
	// The first rounds take the memory the server needs for such requests
	// (buffers, goroutine stacks, and freed heap the Go runtime keeps until
	// its scavenger returns it). From one round to the next RSS then rises and
	// falls by up to about 30 MiB as garbage collections fall, more on a busy
	// machine: later rounds must not raise it past the highest it reached in
	// the first by more than that. A leak shows first, and exactly, in the
	// goroutines and open files, which must return to their counts before.
	warmup, rounds := 3, pick(2, 8)
	for range warmup {
		round()
	}
	warm := peak
	peak = 0
	for range rounds {
		round()
	}
	fdsAfter := waitBack(t, "open files", fdsBefore, func() int { return openFiles(t, pid) })
	goAfter := waitBack(t, "goroutines", goBefore, func() int { return goroutines(t, srv.base) })
	t.Logf("RSS %d kB at start, at most %d kB over %d rounds, at most %d kB over %d more; open files %d before, %d after; goroutines %d before, %d after",
		rssStart, warm, warmup, peak, rounds, fdsBefore, fdsAfter, goBefore, goAfter)
	if peak > warm+48<<10 {
		t.Errorf("RSS reached %d kB over %d rounds, past the %d kB of the first %d", peak, rounds, warm, warmup)
	}
	if code, _ := srv.call(t, "GET", "/readyz", "", ""); code != 200 {
		t.Errorf("/readyz after the hostile requests: %d", code)
	}
	srv.stop(t)
}

// submitRefused sends bodies no submission may be, each a 400 problem.
func submitRefused(t *testing.T, srv *server, key string) {
	t.Helper()
	valid := string(submitBody("hostile", ""))
	keywords := make([]string, 10000)
	for i := range keywords {
		keywords[i] = fmt.Sprintf("kw%d", i)
	}
	many, _ := json.Marshal(keywords)
	for _, tc := range []struct{ name, body, field string }{
		{"100,000-deep nesting", `{"keywords_en": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, "malformed_json"},
		{"duplicate keys", strings.Replace(valid, `{`, `{"file_id": "other", `, 1), "malformed_json"},
		{"invalid UTF-8", strings.Replace(valid, "Forest inventory", "Forest \xff\xfe inventory", 1), ""},
		{"NUL bytes", strings.Replace(valid, "Forest inventory", `Forest \u0000 inventory`, 1), ""},
		{"raw NUL byte", strings.Replace(valid, "Forest inventory", "Forest \x00 inventory", 1), "malformed_json"},
		{"10,000 keywords", strings.Replace(valid, `"keywords_en":"forests"`, `"keywords_en":`+string(many), 1), ""},
	} {
		code, m := srv.call(t, "POST", "/api/opendata/submit", key, tc.body)
		errs, _ := m["errors"].([]any)
		first := ""
		if len(errs) > 0 {
			first, _ = errs[0].(map[string]any)["code"].(string)
		}
		t.Logf("%s: %d %v, first field problem %q (%d problems)", tc.name, code, m["code"], first, len(errs))
		if code != 400 || len(errs) == 0 || (tc.field != "" && first != tc.field) {
			t.Errorf("%s: %d %v, want 400 with field problems %s", tc.name, code, m, tc.field)
		}
	}
}

// hugeHeaders sends 1 MiB of headers: 431.
func hugeHeaders(t *testing.T, base string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/healthz", nil)
	req.Header.Set("X-Huge", strings.Repeat("a", 1<<20))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("huge headers: %v", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("huge headers: %d, want 431", resp.StatusCode)
	}
}

// slowloris sends head, then one more byte of drip every 100 ms. The server
// must end the exchange within 30 s, far beyond its 1 s header or body
// timeout: with the answer whose status line starts with want, or when want
// is "", with any 4xx or a closed connection.
func slowloris(t *testing.T, addr, what, head, drip, want string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte(head))
	answered := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			answered <- "closed (" + err.Error() + ")"
			return
		}
		answered <- strings.TrimSpace(line)
	}()
	start := time.Now()
	for sent := 0; ; sent++ {
		select {
		case got := <-answered:
			t.Logf("slowloris on %s: after %d bytes dripped over %s: %s", what, sent, time.Since(start).Round(time.Millisecond), got)
			if want != "" && !strings.HasPrefix(got, want) {
				t.Errorf("slowloris on %s answered %q, want %s", what, got, want)
			} else if strings.HasPrefix(got, "HTTP/1.1 ") && !strings.HasPrefix(got, "HTTP/1.1 4") {
				t.Errorf("slowloris on %s answered %q, want a 4xx or a closed connection", what, got)
			}
			return
		case <-time.After(100 * time.Millisecond):
			conn.Write([]byte(drip))
		}
		if time.Since(start) > 30*time.Second {
			t.Errorf("slowloris on %s: the connection is still open after 30s", what)
			return
		}
	}
}

// idleConnections opens n connections that send nothing; a normal request
// is still answered while they are open.
func idleConnections(t *testing.T, srv *server, n int) {
	t.Helper()
	addr := strings.TrimPrefix(srv.base, "http://")
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Errorf("idle connection %d: %v", len(conns), err)
			break
		}
		conns = append(conns, c)
	}
	open := openFiles(t, srv.cmd.Process.Pid)
	code, _ := srv.call(t, "GET", "/healthz", "", "")
	// The first ones may already be closed by --header-timeout: that is the bound at work.
	t.Logf("%d connections opened that send nothing; the server holds %d open files; /healthz %d", len(conns), open, code)
	if code != 200 {
		t.Errorf("/healthz with %d idle connections: %d", len(conns), code)
	}
}

// waitBack waits until count() is back to at most want plus 8 (pooled
// connections, the jobs' own goroutines), and returns its last value: the
// server's open files or goroutines after the hostile rounds.
func waitBack(t *testing.T, what string, want int, count func() int) int {
	t.Helper()
	n := 0
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if n = count(); n <= want+8 {
			return n
		}
	}
	t.Errorf("the server has %d %s, %d before", n, what, want)
	return n
}

// goroutines reads the server's go_goroutines from its /metrics.
func goroutines(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("go_goroutines %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("no go_goroutines in /metrics (%v)", sc.Err())
	return 0
}

// gigabyteUpload streams a multipart body of 4 GiB to the signed-approval
// form from a generator: the server refuses it with 413 after reading
// little more than its limit.
func gigabyteUpload(t *testing.T, srv *server, u *webUser, id string) {
	t.Helper()
	const size = 4 << 30
	var sent atomic.Int64
	head := "--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + u.csrf +
		"\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n"
	body := io.MultiReader(strings.NewReader(head), &countingZeros{left: size, sent: &sent})
	req, _ := http.NewRequest("POST", srv.base+"/flow/"+id+"/signed-approval", body)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	resp, err := u.c.Do(req)
	got := ""
	if err != nil {
		got = err.Error()
	} else {
		resp.Body.Close()
		got = resp.Status
	}
	t.Logf("4 GiB multipart upload: %s after %d MiB sent", got, sent.Load()>>20)
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || sent.Load() >= size {
		t.Errorf("4 GiB upload: %s, %d bytes sent; want 413 before the end", got, sent.Load())
	}
}

// countingZeros yields left spaces, counting what was read.
type countingZeros struct {
	left int64
	sent *atomic.Int64
}

func (z *countingZeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.left)
	for i := range p[:n] {
		p[i] = ' '
	}
	z.left -= n
	z.sent.Add(n)
	return int(n), nil
}
