package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The reliability suite runs in a short form with `go test ./...`; the long
// form (bigger loads, longer outages) with -reliability.long.
var reliabilityLong = flag.Bool("reliability.long", false, "run the reliability suite's long form")

// pick is short in the short form, long in the long form.
func pick[T any](short, long T) T {
	if *reliabilityLong {
		return long
	}
	return short
}

// countingFiles is a loopback file server that counts the requests for each
// path, so a test can tell that each submission's file check ran exactly once.
type countingFiles struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newCountingFiles(t *testing.T) *countingFiles {
	f := &countingFiles{hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.URL.Path]++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "plot,species,height\n1,Picea glauca,12.5\n")
	}))
	t.Cleanup(f.Close)
	return f
}

// counts returns a copy of the requests per path.
func (f *countingFiles) counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.hits))
	for k, v := range f.hits {
		out[k] = v
	}
	return out
}

// submitBody is a valid submission of fileID whose file is at fileURL.
func submitBody(fileID, fileURL string) []byte {
	var m map[string]any
	json.Unmarshal([]byte(submission(fileID)), &m)
	if fileURL != "" {
		m["file_url"] = fileURL
	}
	b, _ := json.Marshal(m)
	return b
}

// loadResult is what a submit load saw.
type loadResult struct {
	mu        sync.Mutex
	acked     map[string]string // datahub_id → file_id, of every 200/201
	refused   []string          // file_ids answered 503 or 507: nothing may be stored for them
	statuses  map[int]int
	noRetry   int   // 503 answers without Retry-After
	transport int   // requests that got no answer (connection refused or cut)
	lastErr   error // the last of those errors
}

func (l *loadResult) count(status int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.statuses[status]
}

func (l *loadResult) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("acknowledged %d, statuses %v, no answer %d (last: %v)", len(l.acked), l.statuses, l.transport, l.lastErr)
}

// submitLoad runs clients that submit, each a unique file_id, until stop is
// closed or pause (when set) says to stop sending new requests, as a load
// balancer does once readiness fails. fileURL, when set, makes each file's
// path /files/FILE_ID.csv on that server.
type submitLoad struct {
	base, key, prefix, fileURL string
	clients                    int
	keepAlive                  bool
	pause                      *atomic.Bool
}

func (s submitLoad) run(stop <-chan struct{}) (*loadResult, func()) {
	res := &loadResult{acked: map[string]string{}, statuses: map[int]int{}}
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: !s.keepAlive, MaxIdleConnsPerHost: s.clients}}
	for c := range s.clients {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if s.pause != nil && s.pause.Load() {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				fileID := fmt.Sprintf("%s-%d-%d", s.prefix, c, n)
				url := ""
				if s.fileURL != "" {
					url = s.fileURL + "/files/" + fileID + ".csv"
				}
				res.record(client, s.base, s.key, fileID, submitBody(fileID, url))
			}
		})
	}
	return res, wg.Wait
}

func (res *loadResult) record(client *http.Client, base, key, fileID string, body []byte) {
	req, _ := http.NewRequest("POST", base+"/api/opendata/submit", bytes.NewReader(body))
	req.Header.Set("DH-Auth-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		res.mu.Lock()
		res.transport++
		res.lastErr = err
		res.mu.Unlock()
		time.Sleep(20 * time.Millisecond) // the server is down: do not spin
		return
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m struct {
		DatahubID string `json:"datahub_id"`
	}
	json.Unmarshal(raw, &m)
	res.mu.Lock()
	defer res.mu.Unlock()
	res.statuses[resp.StatusCode]++
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated:
		res.acked[m.DatahubID] = fileID
	case http.StatusServiceUnavailable, http.StatusInsufficientStorage:
		res.refused = append(res.refused, fileID)
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			res.noRetry++
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// requireAllFound fails unless every acknowledged submission is found by GET.
func requireAllFound(t *testing.T, srv *server, key string, acked map[string]string) {
	t.Helper()
	missing := 0
	for id := range acked {
		if code, _ := srv.call(t, "GET", "/api/opendata/submissions/"+id, key, ""); code != 200 {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged %s (file_id %s): GET answers %d", id, acked[id], code)
			}
		}
	}
	t.Logf("acknowledged %d, found %d", len(acked), len(acked)-missing)
}

// waitChecked waits until no acknowledged submission's file check is pending.
func waitChecked(t *testing.T, srv *server, key string, acked map[string]string) {
	t.Helper()
	deadline := time.Now().Add(pick(60*time.Second, 5*time.Minute))
	for id := range acked {
		for {
			_, m := srv.call(t, "GET", "/api/opendata/submissions/"+id, key, "")
			if fc, _ := m["file_check"].(map[string]any); fc != nil && fc["state"] != "pending" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("file check of %s still pending: %v", id, m)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// kill9 kills the server without letting it finish anything.
func (s *server) kill9(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// procStatus reads a field of /proc/PID/status in kB, e.g. VmRSS.
func procStatus(t *testing.T, pid int, field string) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// ready answers /readyz's status, or 0 when the server does not answer.
func ready(base string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// requireRoot skips a test that needs to be root (to mount a file system or
// run a private PostgreSQL cluster as its OS user).
func requireRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("skipping %s: needs root", what)
	}
}
