package ckantest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/fetch/fetchtest"
)

const id = "01890a5d-ac96-774b-bcce-b302099a8057"

// minimal is CKAN.md's minimal accepted package_create, with an id and a key the registry drops.
func minimal() map[string]any {
	var m map[string]any
	err := json.Unmarshal([]byte(`{"type": "dataset", "id": "`+id+`", "owner_org": "nrcan-rncan", "collection": "primary",
 "title_translated": {"en": "Forests", "fr": "Forêts"}, "notes_translated": {"en": "Plots.", "fr": "Placettes."},
 "keywords": {"en": ["forests"], "fr": ["forêts"]}, "subject": ["science_and_technology", "nature_and_environment", "nature_and_environment"],
 "frequency": "P1Y", "date_published": "2024-03-15", "jurisdiction": "federal",
 "license_id": "ca-ogl-lgo", "restrictions": "unrestricted",
 "imso_approval": "true", "ready_to_publish": "true", "not_in_schema": "dropped",
 "resources": [{"name_translated": {"en": "data", "fr": "données"}, "resource_type": "dataset",
   "format": "CSV", "language": ["fr", "en"], "url": "http://127.0.0.1:1/data.csv", "size": 20}]}`), &m)
	if err != nil {
		panic(err)
	}
	return m
}

type client struct {
	t   *testing.T
	srv *Server
	hc  *http.Client
}

func newDouble(t *testing.T) (*Server, *client, string) {
	srv := New(t)
	orgID := srv.AddOrganization("nrcan-rncan")
	tr := &http.Transport{DialContext: (&fetchtest.Dialer{}).Dial}
	t.Cleanup(tr.CloseIdleConnections)
	return srv, &client{t, srv, &http.Client{Transport: tr}}, orgID
}

// post calls action with body and the token, returning the status and decoded answer.
func (c *client) post(action string, body any, header ...string) (int, any) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	if s, isStr := body.(string); isStr {
		b = []byte(s)
	}
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+"/api/action/"+action, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", c.srv.Token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Del("Authorization")
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

func (c *client) do(req *http.Request) (int, any) {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		c.t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, v
}

func result(v any) map[string]any { return v.(map[string]any)["result"].(map[string]any) }

func errorObj(v any) map[string]any { return v.(map[string]any)["error"].(map[string]any) }

func TestCreateReturnsWhatTheRegistryReturns(t *testing.T) {
	_, c, orgID := newDouble(t)
	status, ans := c.post("package_create", minimal())
	if status != 200 {
		t.Fatalf("status %d: %v", status, ans)
	}
	r := result(ans)
	checks := map[string]any{"id": id, "name": id, "state": "active", "owner_org": orgID,
		"date_published": "2024-03-15 00:00:00", "type": "dataset"}
	for k, want := range checks {
		if r[k] != want {
			t.Errorf("%s = %v, want %v", k, r[k], want)
		}
	}
	if _, ok := r["not_in_schema"]; ok {
		t.Error("unknown key kept")
	}
	if s, _ := json.Marshal(r["subject"]); string(s) != `["nature_and_environment","science_and_technology"]` {
		t.Errorf("subject = %s, want schema order without repeats", s)
	}
	res := r["resources"].([]any)[0].(map[string]any)
	if l, _ := json.Marshal(res["language"]); string(l) != `["en","fr"]` {
		t.Errorf("resource language = %s", l)
	}
	if r["organization"].(map[string]any)["name"] != "nrcan-rncan" {
		t.Errorf("organization = %v", r["organization"])
	}
}

// TestRejectsWhatTheRegistryRejects: each change to the minimal dataset and the
// registry's answer to it.
func TestRejectsWhatTheRegistryRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
		status int
		key    string // error key; "" for a 200
		msg    string // in the key's first message
	}{
		{"boolean imso_approval", func(m map[string]any) { m["imso_approval"] = true }, 409, "imso_approval", "Value must be one of"},
		{"boolean ready_to_publish", func(m map[string]any) { m["ready_to_publish"] = false }, 409, "ready_to_publish", "Value must be one of"},
		{"format in lower case", func(m map[string]any) { res(m)["format"] = "csv" }, 409, "resources", "format"},
		{"no title", func(m map[string]any) { delete(m, "title_translated") }, 409, "title_translated-en", "Missing value"},
		{"title without fr", func(m map[string]any) { m["title_translated"] = map[string]any{"en": "x"} }, 409, "title_translated", `Required language "fr" missing`},
		{"no notes", func(m map[string]any) { delete(m, "notes_translated") }, 409, "notes_translated-fr", "Missing value"},
		{"no keywords", func(m map[string]any) { delete(m, "keywords") }, 409, "keywords-fr", "Missing value"},
		{"keyword too short", func(m map[string]any) { m["keywords"] = map[string]any{"en": []any{"x"}, "fr": []any{"forêts"}} }, 409, "keywords", "less than minimum 2"},
		{"keyword double space", func(m map[string]any) { m["keywords"] = map[string]any{"en": []any{"a  b"}, "fr": []any{"forêts"}} }, 409, "keywords", "consecutive spaces"},
		{"no subject", func(m map[string]any) { m["subject"] = []any{} }, 409, "subject", "Select at least one"},
		{"unknown subject", func(m map[string]any) { m["subject"] = []any{"x"} }, 409, "subject", `unexpected choice "x"`},
		{"unknown frequency", func(m map[string]any) { m["frequency"] = "yearly" }, 409, "frequency", "Value must be one of ['as_needed'"},
		{"no jurisdiction", func(m map[string]any) { delete(m, "jurisdiction") }, 409, "jurisdiction", "Missing value"},
		{"other licence", func(m map[string]any) { m["license_id"] = "cc-by" }, 409, "license_id", "Value must be one of"},
		{"bad date while not ready", func(m map[string]any) { m["date_published"] = "15/03/2024"; m["ready_to_publish"] = "false" }, 409, "date_published", "Date format incorrect. Expecting YYYY-MM-DD"},
		{"bad date while ready", func(m map[string]any) { m["date_published"] = "15/03/2024" }, 500, "", ""},
		{"future date while ready", func(m map[string]any) { m["date_published"] = "2999-01-01" }, 409, "date_published", "future"},
		{"bad coverage date", func(m map[string]any) { m["time_period_coverage_start"] = "2023" }, 409, "time_period_coverage_start", "Date format incorrect"},
		{"bad email", func(m map[string]any) { m["maintainer_email"] = "nobody" }, 409, "maintainer_email", "not a valid format"},
		{"unknown organization", func(m map[string]any) { m["owner_org"] = "nobody" }, 409, "owner_org", "Organization does not exist"},
		{"resource without url", func(m map[string]any) { delete(res(m), "url") }, 500, "", ""},
		{"resource size not a number", func(m map[string]any) { res(m)["size"] = "big" }, 409, "resources", "size"},
		{"resource without language", func(m map[string]any) { res(m)["language"] = []any{} }, 409, "resources", "language"},
		{"id not a name", func(m map[string]any) { m["id"] = "Not An Id" }, 409, "id", "lowercase"},
		{"collection we do not offer", func(m map[string]any) { m["collection"] = "consultations" }, 200, "", ""},
		{"optional fields", func(m map[string]any) {
			m["audience"] = []any{"scientists", "business"}
			m["maintainer_email"] = "a@b.gc.ca"
			m["digital_object_identifier"] = "10.5061/x"
		}, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c, _ := newDouble(t)
			m := minimal()
			tc.change(m)
			status, ans := c.post("package_create", m)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, ans)
			}
			if tc.key == "" {
				return
			}
			e := errorObj(ans)
			if e["__type"] != "Validation Error" {
				t.Errorf("__type = %v", e["__type"])
			}
			if got := fmt.Sprint(e[tc.key]); !strings.Contains(got, tc.msg) {
				t.Errorf("error %s = %s, want %q in it (all: %v)", tc.key, got, tc.msg, e)
			}
		})
	}
}

func res(m map[string]any) map[string]any { return m["resources"].([]any)[0].(map[string]any) }

func TestIdsAreNeverCreatedTwice(t *testing.T) {
	srv, c, _ := newDouble(t)
	if status, ans := c.post("package_create", minimal()); status != 200 {
		t.Fatalf("create: %d %v", status, ans)
	}
	if status, ans := c.post("package_delete", map[string]any{"id": id}); status != 200 {
		t.Fatalf("delete: %d %v", status, ans)
	}
	status, ans := c.post("package_show", map[string]any{"id": id})
	if status != 200 || result(ans)["state"] != "deleted" {
		t.Errorf("show of a deleted dataset: %d %v", status, ans)
	}
	status, ans = c.post("package_create", minimal())
	if b, _ := json.Marshal(errorObj(ans)["id"]); status != 409 || string(b) != `["Dataset id already exists"]` {
		t.Errorf("create of a deleted id: %d %v", status, ans)
	}
	if d, _ := srv.Dataset(id); d["state"] != "deleted" {
		t.Errorf("stored state %v", d["state"])
	}
}

func TestPatchIsShallow(t *testing.T) {
	_, c, _ := newDouble(t)
	c.post("package_create", minimal())
	// An {en, fr} object sent replaces the whole value: without fr it is refused.
	status, ans := c.post("package_patch", map[string]any{"id": id, "keywords": map[string]any{"en": []any{"trees"}}})
	if status != 409 || !strings.Contains(errorObj(ans)["keywords"].([]any)[0].(string), `"fr"`) {
		t.Errorf("patch of keywords without fr: %d %v", status, ans)
	}
	status, ans = c.post("package_patch", map[string]any{"id": id, "subject": []any{"labour"}, "resources": []any{}})
	if status != 200 {
		t.Fatalf("patch: %d %v", status, ans)
	}
	r := result(ans)
	if s, _ := json.Marshal(r["subject"]); string(s) != `["labour"]` || len(r["resources"].([]any)) != 0 {
		t.Errorf("after patch subject %s, resources %v", s, r["resources"])
	}
	if r["title_translated"].(map[string]any)["en"] != "Forests" {
		t.Error("a field not sent changed")
	}
	if status, _ := c.post("package_patch", map[string]any{"id": "01890a5d-0000-7000-8000-000000000000"}); status != 404 {
		t.Errorf("patch of an unknown id: %d", status)
	}
}

func TestProtocol(t *testing.T) {
	srv, c, orgID := newDouble(t)
	c.post("package_create", minimal())
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		bare   string // a bare string answer's start
	}{
		{"GET package_show", func() *http.Request { return get(srv, "/api/action/package_show?id="+id, srv.Token) }, 200, ""},
		{"GET organization_show by name", func() *http.Request { return get(srv, "/api/3/action/organization_show?id=nrcan-rncan", srv.Token) }, 200, ""},
		{"GET package_create", func() *http.Request { return get(srv, "/api/action/package_create", srv.Token) }, 400, "Bad request - JSON Error"},
		{"unknown action", func() *http.Request { return get(srv, "/api/action/package_nope", srv.Token) }, 400, "Bad request - Action name not known: package_nope"},
		{"no token", func() *http.Request { return get(srv, "/api/action/package_show?id="+id, "") }, 403, ""},
		{"bearer token", func() *http.Request { return get(srv, "/api/action/package_show?id="+id, "Bearer "+srv.Token) }, 403, ""},
		{"show unknown", func() *http.Request { return get(srv, "/api/action/package_show?id=nope", srv.Token) }, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, ans := c.do(tc.req())
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, ans)
			}
			if s, isStr := ans.(string); tc.bare != "" && (!isStr || !strings.HasPrefix(s, tc.bare)) {
				t.Errorf("answer %v, want a bare string starting %q", ans, tc.bare)
			}
		})
	}
	if status, ans := c.post("package_show", `{"id": `); status != 400 || !strings.HasPrefix(ans.(string), "Bad request - JSON Error") {
		t.Errorf("bad JSON: %d %v", status, ans)
	}
	if status, ans := c.post("organization_show", map[string]any{"id": orgID}, "X-CKAN-API-Key", srv.Token); status != 200 || result(ans)["name"] != "nrcan-rncan" {
		t.Errorf("X-CKAN-API-Key: %d %v", status, ans)
	}
}

func get(srv *Server, path, token string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	return req
}

func TestFaults(t *testing.T) {
	srv, c, _ := newDouble(t)
	srv.FailNext("package_show", 1, FaultServerError)
	srv.FailNext("", 1, FaultValidation)
	if status, ans := c.post("package_show", map[string]any{"id": id}); status != 500 || errorObj(ans)["__type"] != "Internal Server Error" {
		t.Errorf("500 fault: %d %v", status, ans)
	}
	if status, _ := c.post("organization_show", map[string]any{"id": "nrcan-rncan"}); status != 409 {
		t.Errorf("any-action fault: %d", status)
	}
	// Dropped after the create was applied: no answer, but the dataset is there.
	srv.FailNext("package_create", 1, FaultDropAfter)
	b, _ := json.Marshal(minimal())
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/action/package_create", bytes.NewReader(b))
	req.Header.Set("Authorization", srv.Token)
	if resp, err := c.hc.Do(req); err == nil {
		resp.Body.Close()
		t.Error("dropped connection answered")
	}
	if _, ok := srv.Dataset(id); !ok {
		t.Error("dropped create not applied")
	}
	calls := srv.Calls()
	want := []Call{{"package_show", id, 500, FaultServerError}, {"organization_show", "nrcan-rncan", 409, FaultValidation},
		{"package_create", id, 0, FaultDropAfter}}
	if len(calls) != len(want) || !equalCalls(calls, want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
}

func equalCalls(a, b []Call) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTimeoutReleasedByClose: a request held by FaultTimeout ends when the server closes.
func TestTimeoutReleasedByClose(t *testing.T) {
	srv, c, _ := newDouble(t)
	srv.FailNext("package_show", 1, FaultTimeout)
	done := make(chan error, 1)
	go func() {
		resp, err := c.hc.Do(get(srv, "/api/action/package_show?id=x", srv.Token))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for srv.CountCalls("package_show") == 0 {
		time.Sleep(time.Millisecond) // wait for the request to be held
	}
	srv.Close()
	if err := <-done; err == nil {
		t.Error("held request answered")
	}
}

func TestFailRateIsReproducible(t *testing.T) {
	run := func() []Call {
		srv, c, _ := newDouble(t)
		srv.FailRate(0.5, 42)
		for range 20 {
			resp, err := c.hc.Do(get(srv, "/api/action/organization_show?id=nrcan-rncan", srv.Token))
			if err == nil { // a dropped connection is one of the faults
				resp.Body.Close()
			}
		}
		return srv.Calls()
	}
	a, b := run(), run()
	faults := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("call %d: %v then %v", i, a[i], b[i])
		}
		if a[i].Fault != "" {
			faults++
		}
	}
	if faults == 0 || faults == len(a) {
		t.Errorf("%d faults in %d calls at rate 0.5", faults, len(a))
	}
}
