package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a server that answers each request with the next step of a script
// and records what it received.
type scripted struct {
	t     *testing.T
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	got   []received
	srv   *httptest.Server
}

type received struct {
	at     time.Time
	method string
	uri    string
	header http.Header
	body   string
}

func newScripted(t *testing.T, steps ...func(w http.ResponseWriter, r *http.Request)) *scripted {
	s := &scripted{t: t, steps: steps}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.got)
		s.got = append(s.got, received{time.Now(), r.Method, r.URL.RequestURI(), r.Header.Clone(), string(body)})
		s.mu.Unlock()
		if n >= len(s.steps) {
			t.Errorf("unexpected request %d: %s %s", n+1, r.Method, r.URL)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		s.steps[n](w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func (s *scripted) client(opts ...Option) *Client {
	return New(s.srv.URL+"/", "dh_testkey", append([]Option{WithBackoff(time.Millisecond)}, opts...)...)
}

func answer(status int, body string, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// hangUp closes the connection without an answer: a network failure.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

const accepted = `{"datahub_id":"0190-a","flow_url":"http://127.0.0.1/flow/0190-a"}`

var sample = Fields{"file_id": "f-1", "subject": []string{"nature_and_environment", "science_and_technology"}, "title_translated_en": "Plots"}

func TestSubmitSendsKeyBodyAndIdempotencyKey(t *testing.T) {
	s := newScripted(t, answer(200, accepted, "Idempotent-Replayed", "true"))
	res, err := s.client(WithLanguage("fr")).Submit(context.Background(), sample, "dh-abc")
	if err != nil {
		t.Fatal(err)
	}
	if res.DatahubID != "0190-a" || res.FlowURL != "http://127.0.0.1/flow/0190-a" || !res.Replayed {
		t.Fatalf("result %+v", res)
	}
	r := s.requests()[0]
	if r.method != "POST" || r.uri != "/api/opendata/submit" {
		t.Fatalf("sent %s %s", r.method, r.uri)
	}
	for k, want := range map[string]string{"Dh-Auth-Key": "dh_testkey", "Idempotency-Key": "dh-abc",
		"Content-Type": "application/json", "Accept-Language": "fr"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body["file_id"] != "f-1" || len(body["subject"].([]any)) != 2 {
		t.Fatalf("body %s (%v)", r.body, err)
	}
}

func TestRetries(t *testing.T) {
	problem503 := `{"type":"urn:datahub:problem:internal","title":"Unavailable","status":503}`
	tests := []struct {
		name     string
		idemKey  string
		steps    []func(http.ResponseWriter, *http.Request)
		wantErr  int // status of the *Problem expected, 0 for success
		attempts int
	}{
		{"5xx retried with an Idempotency-Key", "k1", []func(http.ResponseWriter, *http.Request){
			answer(503, problem503), answer(500, problem503), answer(200, accepted)}, 0, 3},
		{"network failure retried with an Idempotency-Key", "k1", []func(http.ResponseWriter, *http.Request){
			hangUp, answer(200, accepted)}, 0, 2},
		{"a running first request (409) is waited for", "k1", []func(http.ResponseWriter, *http.Request){
			answer(409, `{"status":409,"code":"idem_running"}`), answer(200, accepted)}, 0, 2},
		{"5xx not retried without an Idempotency-Key", "", []func(http.ResponseWriter, *http.Request){
			answer(503, problem503)}, 503, 1},
		{"429 retried even without an Idempotency-Key", "", []func(http.ResponseWriter, *http.Request){
			answer(429, `{"status":429,"code":"rate_limited"}`), answer(200, accepted)}, 0, 2},
		{"400 never retried", "k1", []func(http.ResponseWriter, *http.Request){
			answer(400, `{"status":400,"code":"invalid","errors":[{"field":"subject","code":"required","message":"m"}]}`)}, 400, 1},
		{"retries are bounded", "k1", []func(http.ResponseWriter, *http.Request){
			answer(502, "bad gateway"), answer(502, "bad gateway"), answer(502, "bad gateway")}, 502, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, tt.steps...)
			res, err := s.client(WithRetries(2)).Submit(context.Background(), sample, tt.idemKey)
			reqs := s.requests()
			if len(reqs) != tt.attempts {
				t.Fatalf("%d attempts, want %d", len(reqs), tt.attempts)
			}
			for _, r := range reqs[1:] {
				if r.body != reqs[0].body || r.header.Get("Idempotency-Key") != tt.idemKey {
					t.Fatalf("a retry changed the request: %q %q", r.body, r.header.Get("Idempotency-Key"))
				}
			}
			if tt.wantErr == 0 {
				if err != nil || res.DatahubID != "0190-a" {
					t.Fatalf("got %+v, %v", res, err)
				}
				return
			}
			p, ok := AsProblem(err)
			if !ok || p.Status != tt.wantErr {
				t.Fatalf("error %v, want a %d problem", err, tt.wantErr)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	s := newScripted(t,
		answer(429, `{"status":429,"code":"rate_limited"}`, "Retry-After", "1"),
		answer(200, accepted))
	if _, err := s.client().Submit(context.Background(), sample, ""); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second {
		t.Fatalf("retried after %v, before the 1s the server asked for", gap)
	}
}

// A 503 while the database is away is retried no sooner than its Retry-After.
func TestRetryAfterOfUnavailableIsHonoured(t *testing.T) {
	s := newScripted(t,
		answer(503, `{"status":503,"code":"unavailable"}`, "Retry-After", "1"),
		answer(200, accepted))
	if _, err := s.client().Submit(context.Background(), sample, "k1"); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second {
		t.Fatalf("retried after %v, before the 1s the server asked for", gap)
	}
}

func TestRetryAfterLongerThanMaxWaitFails(t *testing.T) {
	s := newScripted(t, answer(429, `{"status":429,"code":"rate_limited","detail":"later"}`, "Retry-After", "120"))
	_, err := s.client(WithMaxWait(time.Second)).Submit(context.Background(), sample, "k")
	p, ok := AsProblem(err)
	if !ok || p.Status != 429 || p.Code != "rate_limited" || p.RetryAfter != 120*time.Second {
		t.Fatalf("got %v (%+v)", err, p)
	}
}

func TestCancelStopsWaiting(t *testing.T) {
	s := newScripted(t, answer(429, `{"status":429}`, "Retry-After", "30"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := s.client().Submit(ctx, sample, "k")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestProblems(t *testing.T) {
	dup := `{"type":"urn:datahub:problem:invalid","title":"Invalid submission","status":400,"code":"invalid",
		"errors":[{"field":"file_id","code":"duplicate","message":"Your project already has f-1.","datahub_id":"0190-old","flow_url":"http://127.0.0.1/flow/0190-old"}],
		"datahub_id":"0190-old","flow_url":"http://127.0.0.1/flow/0190-old","request_id":"r1"}`
	invalid := `{"type":"urn:datahub:problem:invalid","title":"Invalid submission","status":400,"code":"invalid","detail":"2 problems",
		"errors":[{"field":"subject","code":"invalid_choice","message":"no","allowed":["a","b"],"suggestion":"a"},{"field":"sujet","code":"unknown_field","message":"?"}]}`
	tests := []struct {
		name   string
		step   func(http.ResponseWriter, *http.Request)
		check  func(p *Problem) bool
		errHas string
	}{
		{"duplicate names the existing submission", answer(400, dup), func(p *Problem) bool {
			return p.Duplicate() && p.ExistingID == "0190-old" && p.FlowURL == "http://127.0.0.1/flow/0190-old" &&
				p.Errors[0].ExistingID == "0190-old" && p.RequestID == "r1"
		}, "file_id duplicate"},
		{"every field problem is kept", answer(400, invalid), func(p *Problem) bool {
			return !p.Duplicate() && len(p.Errors) == 2 && p.Errors[0].Suggestion == "a" &&
				len(p.Errors[0].Allowed) == 2 && p.Errors[1].Code == CodeUnknownField
		}, "subject invalid_choice; sujet unknown_field"},
		{"a refused key", answer(401, `{"status":401,"code":"revoked_token","title":"Revoked"}`), func(p *Problem) bool {
			return p.Status == 401 && p.Code == "revoked_token"
		}, "401 revoked_token"},
		{"a proxy's page is still a problem", answer(413, "<html>too large</html>"), func(p *Problem) bool {
			return p.Status == 413 && p.Title == "Request Entity Too Large" && strings.Contains(p.Detail, "too large")
		}, "413"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, tt.step)
			_, err := s.client().Submit(context.Background(), sample, "k")
			p, ok := AsProblem(err)
			if !ok || !tt.check(p) {
				t.Fatalf("got %v: %+v", err, p)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("message %q lacks %q", err, tt.errHas)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		step  func(http.ResponseWriter, *http.Request)
		check func(err error) bool
	}{
		{"valid", answer(200, `{"valid":true}`), func(err error) bool { return err == nil }},
		{"invalid", answer(400, `{"status":400,"code":"invalid","errors":[{"field":"file_id","code":"required","message":"m"}]}`),
			func(err error) bool { p, ok := AsProblem(err); return ok && p.Errors[0].Code == "required" }},
		{"an older server without the route", answer(404, `{"status":404,"code":"not_found"}`),
			func(err error) bool { return errors.Is(err, ErrNoValidate) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, tt.step)
			err := s.client().Validate(context.Background(), sample)
			if !tt.check(err) {
				t.Fatalf("got %v", err)
			}
			if r := s.requests()[0]; r.method != "POST" || r.uri != "/api/opendata/validate" || r.header.Get("Idempotency-Key") != "" {
				t.Fatalf("sent %s %s %v", r.method, r.uri, r.header)
			}
		})
	}
}

func TestReads(t *testing.T) {
	s := newScripted(t,
		answer(200, `{"datahub_id":"a/b","state":"in_preparation","file_id":"f","metadata":{"file_id":"f"},"file_check":{"state":"passed","attempts":1}}`),
		answer(200, `{"items":[{"datahub_id":"x","file_id":"f 1"}],"next_cursor":"c2"}`),
		answer(200, `{"items":[]}`),
		answer(200, `[{"field":"collection","choices":[{"value":"primary","en":"Non-Spatial","fr":"Non spatiales"}]}]`),
	)
	c := s.client()
	ctx := context.Background()
	sub, err := c.Submission(ctx, "a/b")
	if err != nil || sub.State != "in_preparation" || sub.Metadata["file_id"] != "f" || sub.FileCheck.State != "passed" {
		t.Fatalf("submission %+v %v", sub, err)
	}
	found, err := c.ByFileID(ctx, "f 1")
	if err != nil || found == nil || found.DatahubID != "x" {
		t.Fatalf("by file id %+v %v", found, err)
	}
	page, err := c.List(ctx, ListOptions{State: "approved", Limit: 5, Cursor: "c2"})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("list %+v %v", page, err)
	}
	choices, err := c.Choices(ctx)
	if err != nil || choices[0].Choices[0].FR != "Non spatiales" {
		t.Fatalf("choices %+v %v", choices, err)
	}
	want := []string{
		"/api/opendata/submissions/a%2Fb",
		"/api/opendata/submissions?file_id=f+1&limit=1",
		"/api/opendata/submissions?cursor=c2&limit=5&state=approved",
		"/api/opendata/choices",
	}
	for i, r := range s.requests() {
		if r.method != "GET" || r.uri != want[i] {
			t.Errorf("request %d: %s %s, want GET %s", i, r.method, r.uri, want[i])
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	a := Fields{"file_id": "f-1", "title_translated_en": "T"}
	b := Fields{"title_translated_en": "T", "file_id": "f-1"}
	c := Fields{"file_id": "f-1", "title_translated_en": "T2"}
	ka, _ := IdempotencyKey(a)
	kb, _ := IdempotencyKey(b)
	kc, _ := IdempotencyKey(c)
	if ka != kb || ka == kc {
		t.Fatalf("keys %s %s %s", ka, kb, kc)
	}
	// The server accepts 1 to 255 visible ASCII characters.
	if len(ka) > 255 || strings.ContainsFunc(ka, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		t.Fatalf("key %q outside the server's pattern", ka)
	}
}
