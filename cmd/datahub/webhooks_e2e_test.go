package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// hookReceiver records the POSTs it gets, verified with the Standard Webhooks
// reference library; hold, when set, keeps the first request until the client goes.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	ids    []string          // webhook-id of each request, in order
	bodies map[string]string // the body of each id
	bad    []string          // why a request did not verify
	held   chan struct{}     // closed when the first request is being held
	// setSecret gives the secret the requests are verified with.
	setSecret func(string)
}

func newHookReceiver(t *testing.T, hold bool) *hookReceiver {
	rc := &hookReceiver{bodies: map[string]string{}, held: make(chan struct{})}
	var secret string
	var once sync.Once
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		wh, err := standardwebhooks.NewWebhook(secret)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			rc.bad = append(rc.bad, err.Error())
		}
		id := r.Header.Get("webhook-id")
		rc.ids = append(rc.ids, id)
		if prev, ok := rc.bodies[id]; ok && prev != string(body) {
			rc.bad = append(rc.bad, "two bodies under "+id)
		}
		rc.bodies[id] = string(body)
		first := len(rc.ids) == 1
		rc.mu.Unlock()
		if hold && first {
			once.Do(func() { close(rc.held) })
			<-r.Context().Done() // the server delivering it dies
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	rc.setSecret = func(s string) { rc.mu.Lock(); secret = s; rc.mu.Unlock() }
	return rc
}

// received returns the ids received so far and any verification failures.
func (rc *hookReceiver) received() ([]string, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.ids), slices.Clone(rc.bad)
}

// setWebhook points the key's endpoint at url with the CLI and returns the secret it printed last.
func setWebhook(t *testing.T, key, url string, store ...string) string {
	t.Helper()
	r := datahub(t, nil, append(append([]string{"webhooks", "set", "--url", url}, store...), key)...)
	if r.code != 0 {
		t.Fatalf("webhooks set: %d %s", r.code, r.stderr)
	}
	s := lastLine(r.stdout)
	wantSecret(t, s)
	return s
}

// feedUntil long-polls the events feed until it holds n events.
func feedUntil(t *testing.T, s *server, key string, n int) []map[string]any {
	t.Helper()
	var all []map[string]any
	after := ""
	deadline := time.Now().Add(60 * time.Second)
	for len(all) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the feed has %d events, want %d", len(all), n)
		}
		code, m := s.call(t, "GET", "/api/opendata/events?wait=20s&after="+after, key, "")
		if code != 200 {
			t.Fatalf("events: %d %v", code, m)
		}
		for _, e := range m["events"].([]any) {
			all = append(all, e.(map[string]any))
		}
		after = m["next"].(string)
	}
	return all
}

// waitDeliveries polls the deliveries API until n are delivered.
func waitDeliveries(t *testing.T, s *server, key string, n int, within time.Duration) []any {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, m := s.call(t, "GET", "/api/opendata/webhook/deliveries", key, "")
		list, _ := m["deliveries"].([]any)
		done := 0
		for _, d := range list {
			if d.(map[string]any)["outcome"] == "delivered" {
				done++
			}
		}
		if done == n {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries %v, want %d delivered", list, n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// An endpoint set with the CLI receives, signed, every event the feed shows.
func TestWebhooksEndToEnd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	key := createKey(t, data, "CFS")
	rc := newHookReceiver(t, false)
	rc.setSecret(setWebhook(t, key, rc.URL+"/hooks", "--data", data))
	files := newFileServer(t)
	s := startServer(t, data, "--job-workers", "2", "--allow-private-fetch")
	code, m := s.call(t, "POST", "/api/opendata/submit", key, submissionOf("hooked", files.URL+"/data.csv"))
	if code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	feed := feedUntil(t, s, key, 2)
	if feed[0]["type"] != "submission.received" || feed[1]["type"] != "submission.file_checked" {
		t.Fatalf("feed %v", feed)
	}
	waitDeliveries(t, s, key, 2, 30*time.Second)
	ids, bad := rc.received()
	if len(bad) != 0 || len(ids) != 2 {
		t.Fatalf("received %v, failures %v", ids, bad)
	}
	for _, e := range feed {
		b, _ := json.Marshal(e)
		var got map[string]any
		json.Unmarshal([]byte(rc.bodies[e["id"].(string)]), &got)
		g, _ := json.Marshal(got)
		if string(g) != string(b) {
			t.Errorf("delivered %s, the feed has %s", g, b)
		}
	}
	s.stop(t)
}

// A delivery cut by a crash (kill -9) runs again once the service is back.
func TestWebhookDeliveryCutByACrashRunsAgain(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	key := createKey(t, data, "CFS")
	rc := newHookReceiver(t, true)
	rc.setSecret(setWebhook(t, key, rc.URL, "--data", data))
	// The job limit is 5s + 35s; a job running longer than 50s was lost with its process.
	flags := []string{"--job-workers", "2", "--allow-private-fetch", "--fetch-timeout", "5s", "--job-rescue-after", "50s"}
	s := startServer(t, data, flags...)
	files := newFileServer(t)
	code, m := s.call(t, "POST", "/api/opendata/submit", key, submissionOf("crash", files.URL+"/data.csv"))
	if code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	select {
	case <-rc.held:
	case <-time.After(30 * time.Second):
		t.Fatal("the event was never delivered")
	}
	s.cmd.Process.Kill()
	<-s.done
	s = startServer(t, data, flags...)
	// River rescues the job once it has run longer than --job-rescue-after, within its 30s sweep.
	ids, _ := rc.received()
	cut := ids[0]
	deadline := time.Now().Add(3 * time.Minute)
	for {
		_, m := s.call(t, "GET", "/api/opendata/webhook/deliveries", key, "")
		var d map[string]any
		for _, x := range m["deliveries"].([]any) {
			if x.(map[string]any)["event_id"] == cut {
				d = x.(map[string]any)
			}
		}
		if d != nil && d["outcome"] == "delivered" {
			if d["attempts"] != 2.0 || d["last_status"] != 204.0 {
				t.Errorf("the cut delivery: %v", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cut delivery of %s: %v", cut, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Delivery is at least once: a delivery that ended as the process died may
	// come again (same webhook-id and body, for the receiver to ignore).
	ids, bad := rc.received()
	if len(bad) != 0 {
		t.Fatalf("verification failures: %v", bad)
	}
	if n := len(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id != cut })); n != 2 {
		t.Fatalf("the cut delivery of %s was received %d times: %v", cut, n, ids)
	}
	s.stop(t)
}
