package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// One project's slow files take at most half the workers (2 of 4): its next
// check waits, snoozed without losing an attempt, while another project's runs.
func TestFileChecksPerProjectAreBounded(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newQueueEnv(t, cfg)
		var mu sync.Mutex
		running, most := map[string]int{}, map[string]int{}
		arrived := make(chan string, 10)
		release := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := strings.TrimSuffix(strings.Trim(r.URL.Path, "/"), ".csv") // /CFS-1.csv
			project := id[:3]
			mu.Lock()
			running[project]++
			most[project] = max(most[project], running[project])
			mu.Unlock()
			arrived <- id
			<-release
			mu.Lock()
			running[project]--
			mu.Unlock()
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, csvBody)
		}))
		defer srv.Close()
		defer free() // before the server closes, which waits for its handlers
		for _, id := range []string{"CFS-1", "CFS-2", "CFS-3"} {
			e.submitFor(t, "CFS", id, srv.URL+"/"+id+".csv")
		}
		e.submitFor(t, "NRC", "NRC-1", srv.URL+"/NRC-1.csv")

		// The test's own limit, far above what the checks take.
		timeout := time.After(30 * time.Second)
		seen, asked := map[string]int{}, map[string]bool{}
		for seen["CFS"] < 2 || seen["NRC"] < 1 {
			select {
			case id := <-arrived:
				seen[id[:3]]++
				asked[id] = true
				if seen["CFS"] > 2 {
					t.Fatal("three checks of CFS ran at once")
				}
			case <-timeout:
				t.Fatalf("checks under way: %v", seen)
			}
		}
		// The third of CFS is held back: snoozed, not run, while a worker is free.
		var waiting int64
		for _, id := range []string{"CFS-1", "CFS-2", "CFS-3"} {
			if !asked[id] {
				waiting = e.jobsOf(t, id, string(opendata.EffectCheckFile))[0].ID
			}
		}
		for snoozes(t, e, cfg, waiting) == 0 {
			select {
			case id := <-arrived:
				t.Fatalf("the check of %s ran while two of CFS were running", id)
			case <-timeout:
				t.Fatal("the third check of CFS was never held back")
			case <-time.After(20 * time.Millisecond):
			}
		}
		free()
		for _, id := range []string{"CFS-1", "CFS-2", "CFS-3", "NRC-1"} {
			if c := e.finished(t, id); c.State != opendata.CheckPassed || c.Attempts != 1 {
				t.Errorf("%s: %s after %d attempts", id, c.State, c.Attempts)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if most["CFS"] != 2 {
			t.Errorf("at most %d checks of CFS ran at once, want 2", most["CFS"])
		}
	})
}

// snoozes is how many times River snoozed the job.
func snoozes(t *testing.T, e *queueEnv, cfg store.Config, id int64) int {
	t.Helper()
	query := `SELECT json(metadata) FROM river_job WHERE id = $1` // SQLite keeps it as JSONB
	if cfg.DatabaseURL != "" {
		query = `SELECT metadata::text FROM river_job WHERE id = $1`
	}
	var raw string
	if err := e.db.SQL().QueryRowContext(context.Background(), query, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var m struct{ Snoozes int }
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("metadata %q: %v", raw, err)
	}
	return m.Snoozes
}
