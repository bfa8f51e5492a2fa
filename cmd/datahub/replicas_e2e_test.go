package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// fileServer serves CSV files on loopback and counts requests per path; the
// first request for /hang.csv is held until the client goes away.
type fileServer struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	hanged chan struct{} // closed when the first /hang.csv request arrives
	once   sync.Once
}

func newFileServer(t *testing.T) *fileServer {
	fs := &fileServer{hits: map[string]int{}, hanged: make(chan struct{})}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.hits[r.URL.Path]++
		n := fs.hits[r.URL.Path]
		fs.mu.Unlock()
		if r.URL.Path == "/hang.csv" && n == 1 {
			fs.once.Do(func() { close(fs.hanged) })
			<-r.Context().Done() // the replica fetching it dies
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, "plot,species\n1,black spruce\n")
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fileServer) count(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.hits[path]
}

func submissionOf(fileID, fileURL string) string {
	return strings.Replace(submission(fileID), "https://example.gc.ca/data.csv", fileURL, 1)
}

// waitFileCheck polls the status API until the file check leaves pending.
func waitFileCheck(t *testing.T, s *server, key, id string, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		_, m := s.call(t, "GET", "/api/opendata/submissions/"+id, key, "")
		if fc, ok := m["file_check"].(map[string]any); ok && fc["state"] != "pending" {
			return fc
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("file check of %s still pending after %s", id, within)
	return nil
}

// Two replicas on one PostgreSQL: uniqueness and revocation hold across them,
// a job runs once, and a job whose replica dies is finished by the other.
func TestTwoReplicasOnPostgreSQL(t *testing.T) {
	t.Parallel()
	url := storetest.FreshPostgres(t).DatabaseURL
	db := []string{"--database-url", url}
	key := createKey(t, t.TempDir(), "CFS", db...)
	files := newFileServer(t)
	replica := func() *server {
		return startServer(t, t.TempDir(), append(db, "--job-workers", "2", "--allow-private-fetch",
			"--fetch-timeout", "3s", "--job-rescue-after", "40s")...)
	}
	a, b := replica(), replica()

	t.Run("64 concurrent submissions of one file_id over both give one 200", func(t *testing.T) {
		var wg sync.WaitGroup
		var ok atomic.Int32
		var id atomic.Value
		for i := range 64 {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				code, m := s.call(t, "POST", "/api/opendata/submit", key, submissionOf("shared", files.URL+"/once.csv"))
				switch code {
				case 200:
					ok.Add(1)
					id.Store(m["datahub_id"].(string))
				case 400:
				default:
					t.Errorf("status %d: %v", code, m)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d accepted, want 1", ok.Load())
		}
		// Its file check was enqueued by one replica and run once, by either.
		fc := waitFileCheck(t, b, key, id.Load().(string), 30*time.Second)
		if fc["state"] != "passed" || files.count("/once.csv") != 1 {
			t.Fatalf("check %v after %d fetches", fc, files.count("/once.csv"))
		}
	})

	t.Run("a key revoked from the CLI fails at once on both", func(t *testing.T) {
		doomed := createKey(t, t.TempDir(), "CFS", db...)
		for _, s := range []*server{a, b} {
			if code, _ := s.call(t, "GET", "/api/opendata/choices", doomed, ""); code != 200 {
				t.Fatalf("before revocation: %d", code)
			}
		}
		if r := datahub(t, nil, append(append([]string{"keys", "revoke"}, db...), doomed[:11])...); r.code != 0 {
			t.Fatalf("revoke: %s", r.stderr)
		}
		for _, s := range []*server{a, b} {
			if code, m := s.call(t, "GET", "/api/opendata/choices", doomed, ""); code != 401 || m["code"] != "revoked_token" {
				t.Fatalf("after revocation: %d %v", code, m)
			}
		}
	})

	t.Run("a job whose replica dies is finished by the other", func(t *testing.T) {
		b.stop(t) // only a runs jobs now, so a takes this one
		code, m := a.call(t, "POST", "/api/opendata/submit", key, submissionOf("orphan", files.URL+"/hang.csv"))
		if code != 200 {
			t.Fatalf("submit: %d %v", code, m)
		}
		id := m["datahub_id"].(string)
		select {
		case <-files.hanged:
		case <-time.After(30 * time.Second):
			t.Fatal("replica a never fetched the file")
		}
		a.cmd.Process.Kill() // mid-job, without a chance to clean up
		<-a.done
		b = replica()
		// b rescues the job once it has run longer than --job-rescue-after (40s), within River's 30s sweep.
		fc := waitFileCheck(t, b, key, id, 2*time.Minute)
		if fc["state"] != "passed" || files.count("/hang.csv") != 2 {
			t.Fatalf("check %v after %d fetches", fc, files.count("/hang.csv"))
		}
		b.stop(t)
	})
}
