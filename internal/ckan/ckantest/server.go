// Package ckantest is a test double of the Open Government registry: CKAN 2.10 with
// ckanext-canada, as far as the publisher uses it (see /work/shared/CKAN.md).
//
// It serves the action API on 127.0.0.1 with one API token that may do everything
// (a sysadmin's): reads need it too, as on the registry. Datasets are validated
// with the registry's rules and messages and stored as the registry returns them
// (owner_org as the organization's id, dates with " 00:00:00", choice lists in
// schema order, unknown keys dropped). A deleted dataset stays visible to
// package_show with state "deleted", as it is to its organization's editors and
// sysadmins on CKAN 2.10; its id can never be created again.
//
// Faults can be injected per action (FailNext) or at random (FailRate).
package ckantest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// Fault is a failure the double answers with instead of the action's answer.
type Fault string

// Faults. Unless said otherwise the action is not applied.
const (
	FaultServerError Fault = "500"         // 500 with an Internal Server Error envelope
	FaultProxyPage   Fault = "503-html"    // 503 with a proxy's HTML page
	FaultTimeout     Fault = "timeout"     // no answer until the client gives up (or Close)
	FaultDropAfter   Fault = "drop-after"  // the action IS applied, then the connection is closed unanswered
	FaultValidation  Fault = "409"         // a Validation Error naming several fields (see validationFault)
	FaultForbidden   Fault = "403"         // an Authorization Error
	FaultBadRequest  Fault = "400-bare"    // 400 with a bare JSON string, no envelope
	FaultGarbled     Fault = "200-garbled" // 200 with a body cut short
)

// Call is one request the double answered (or did not).
type Call struct {
	Action string
	ID     string // the "id" the call named (a dataset's or an organization's), if any
	Status int    // 0 for a timeout or a dropped connection
	Fault  Fault  // the injected fault, if any
}

// Server is the running double. Its methods are safe for concurrent use.
type Server struct {
	URL   string // base URL, e.g. http://127.0.0.1:PORT
	Token string // the API token to send in Authorization

	srv     *httptest.Server
	closing chan struct{}
	vocab   *opendata.Vocabulary

	mu       sync.Mutex
	now      func() time.Time
	orgs     []org
	datasets map[string]map[string]any // by id, as stored (and returned)
	calls    []Call
	next     map[string][]Fault
	rate     float64
	rng      *mrand.Rand
	onStore  func(map[string]any)
	closed   bool
}

type org struct{ ID, Name, Title string }

// New starts a double on 127.0.0.1, closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a double on 127.0.0.1 outside a test (benchmarks); the caller Closes it.
func Start() *Server {
	tok := make([]byte, 24)
	_, _ = rand.Read(tok) // crypto/rand never fails on supported platforms
	s := &Server{
		Token:    hex.EncodeToString(tok),
		closing:  make(chan struct{}),
		vocab:    opendata.MustLoadVocabulary(),
		now:      time.Now,
		datasets: map[string]map[string]any{},
		next:     map[string][]Fault{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close releases any request held by FaultTimeout and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()
	s.srv.Close()
}

// SetNow sets the clock used for "date_published is not in the future".
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AddOrganization creates an organization and returns its id.
func (s *Server) AddOrganization(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := org{ID: uuid.NewString(), Name: name, Title: name}
	s.orgs = append(s.orgs, o)
	return o.ID
}

// Dataset returns a copy of the dataset stored under id, deleted or not.
func (s *Server) Dataset(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.datasets[id]
	if !ok {
		return nil, false
	}
	return clone(d), true
}

// PutDataset stores d (which must hold an "id") as is, bypassing validation: for
// tests of what the publisher does when the registry holds something unexpected.
func (s *Server) PutDataset(d map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := d["id"].(string)
	s.datasets[id] = clone(d)
}

// OnStore sets a function that may change each dataset as it is stored by
// package_create or package_patch, as a registry plugin might; nil removes it.
func (s *Server) OnStore(fn func(d map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onStore = fn
}

// Calls returns every request answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsByID counts the calls of action by the id each named.
func (s *Server) CallsByID(action string) map[string]int {
	out := map[string]int{}
	for _, c := range s.Calls() {
		if c.Action == action {
			out[c.ID]++
		}
	}
	return out
}

// CountCalls returns how many calls of action were made.
func (s *Server) CountCalls(action string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

// FailNext makes the next n calls of action (or of any action when action is "")
// answer with fault.
func (s *Server) FailNext(action string, n int, fault Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.next[action] = append(s.next[action], fault)
	}
}

// FailRate makes each call fail with probability p, with a fault drawn (from seed)
// among the ones a busy registry gives: 500, a 503 page and a dropped connection.
func (s *Server) FailRate(p float64, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate, s.rng = p, mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// fault pops the fault the next call of action answers with, if any.
func (s *Server) fault(action string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{action, ""} {
		if q := s.next[key]; len(q) > 0 {
			s.next[key] = q[1:]
			return q[0]
		}
	}
	if s.rng != nil && s.rng.Float64() < s.rate {
		return []Fault{FaultServerError, FaultProxyPage, FaultDropAfter}[s.rng.IntN(3)]
	}
	return ""
}

func (s *Server) record(action, id string, status int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Action: action, ID: id, Status: status, Fault: f})
}

// answer is one action's outcome before it is written.
type answer struct {
	status int
	body   any // an envelope, or a bare string for 400
}

func ok(result any) answer {
	return answer{200, map[string]any{"help": "http://127.0.0.1/api/3/action/help_show", "success": true, "result": result}}
}

func failure(status int, errObj map[string]any) answer {
	return answer{status, map[string]any{"help": "http://127.0.0.1/api/3/action/help_show", "success": false, "error": errObj}}
}

func notFound() answer {
	return failure(404, map[string]any{"__type": "Not Found Error", "message": "Not found"})
}

func forbidden(action string) answer {
	return failure(403, map[string]any{"__type": "Authorization Error",
		"message": "Access denied: User  not authorized to " + strings.ReplaceAll(action, "_", " ")})
}

func invalid(errs map[string]any) answer {
	errs["__type"] = "Validation Error"
	return failure(409, errs)
}

func badRequest(msg string) answer { return answer{400, msg} }

// validationFault is FaultValidation's error: each shape of key the registry uses.
func validationFault() map[string]any {
	return map[string]any{
		"title_translated":    []string{`Required language "fr" missing`},
		"notes_translated-en": []string{"Missing value"},
		"keywords-fr":         []string{"Missing value"},
		"subject":             []string{`unexpected choice "x"`},
		"maintainer_email":    []string{"Email x is not a valid format"},
		"resources":           []any{map[string]any{"format": []string{"Value must be one of [...]"}}},
	}
}

// sideEffectFree are the actions CKAN also serves to GET.
var sideEffectFree = map[string]bool{"package_show": true, "organization_show": true}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/api/3/action/"), "/api/action/")
	if path == r.URL.Path || strings.Contains(path, "/") {
		http.Error(w, "<html><title>404 Not Found</title></html>", http.StatusNotFound)
		return
	}
	action := path
	actions := s.actions()
	fn, known := actions[action]
	if !known {
		s.finish(w, action, "", "", badRequest("Bad request - Action name not known: "+action))
		return
	}
	data, a := readRequest(r, action)
	if a != nil {
		s.finish(w, action, "", "", *a)
		return
	}
	id, _ := data["id"].(string)
	f := s.fault(action)
	switch f {
	case FaultTimeout:
		s.record(action, id, 0, f)
		select { // hold the request until the client gives up or the test ends
		case <-r.Context().Done():
		case <-s.closing:
		}
		panic(http.ErrAbortHandler) // end it unanswered
	case FaultDropAfter:
		s.run(r, action, fn, data) // applied; its answer is lost
		s.record(action, id, 0, f)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection without an answer
	case "":
		s.finish(w, action, id, "", s.run(r, action, fn, data))
		return
	}
	s.finish(w, action, id, f, faultAnswer(action, f))
}

// faultAnswer is what an injected fault answers (faults that answer at all).
func faultAnswer(action string, f Fault) answer {
	switch f {
	case FaultServerError:
		return failure(500, map[string]any{"__type": "Internal Server Error", "message": "Internal Server Error"})
	case FaultValidation:
		return invalid(validationFault())
	case FaultForbidden:
		return forbidden(action)
	case FaultBadRequest:
		return badRequest("Bad request - JSON Error: Invalid request. Please use POST method for your request")
	case FaultGarbled:
		return answer{200, json.RawMessage(`{"help": "x", "success": true, "result": {"id": "`)}
	}
	return answer{503, json.RawMessage(nil)} // FaultProxyPage
}

// run checks the token and runs the action.
func (s *Server) run(r *http.Request, action string, fn actionFunc, data map[string]any) answer {
	tok := r.Header.Get("Authorization")
	if tok == "" {
		tok = r.Header.Get("X-CKAN-API-Key")
	}
	if tok != s.Token {
		return forbidden(action) // anonymous (a "Bearer " prefix too) sees nothing on the registry
	}
	return fn(data)
}

// readRequest reads the data dict: the query of a GET, the JSON object of a POST.
func readRequest(r *http.Request, action string) (map[string]any, *answer) {
	if r.Method == http.MethodGet {
		if !sideEffectFree[action] {
			a := badRequest("Bad request - JSON Error: Invalid request. Please use POST method for your request")
			return nil, &a
		}
		data := map[string]any{}
		for k, v := range r.URL.Query() {
			data[k] = v[len(v)-1]
		}
		return data, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		a := badRequest("Bad request - JSON Error: " + err.Error())
		return nil, &a
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return map[string]any{}, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		a := badRequest("Bad request - JSON Error: " + err.Error())
		return nil, &a
	}
	data, isObj := v.(map[string]any)
	if !isObj {
		a := badRequest(fmt.Sprintf("Bad request data: Request data JSON decoded to %v but it needs to be a dictionary.", v))
		return nil, &a
	}
	return data, nil
}

func (s *Server) finish(w http.ResponseWriter, action, id string, f Fault, a answer) {
	s.record(action, id, a.status, f)
	if f == FaultProxyPage {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><head><title>503 Service Temporarily Unavailable</title></head>"+
			"<body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>\n")
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(a.status)
	if raw, isRaw := a.body.(json.RawMessage); isRaw {
		_, _ = w.Write(raw)
		return
	}
	_ = json.NewEncoder(w).Encode(a.body)
}

// clone deep-copies a JSON value.
func clone(d map[string]any) map[string]any {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		panic(err)
	}
	return out
}
