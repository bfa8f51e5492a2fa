package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/opendata-datahub/datahub/internal/api"
	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// served returns the served OpenAPI document as a tree.
func served(t *testing.T, e *env) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(e.srv.OpenAPIJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// at walks doc by object keys.
func at(doc map[string]any, path ...string) any {
	var node any = doc
	for _, k := range path {
		m, _ := node.(map[string]any)
		node = m[k]
	}
	return node
}

func TestOpenAPIDocumentLints(t *testing.T) {
	e := newEnv(t)
	body := e.srv.OpenAPIJSON()
	// libopenapi-validator: the document against the OpenAPI 3.1 schema.
	d, err := libopenapi.NewDocument(body)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("libopenapi-validator: %v", errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		t.Errorf("libopenapi-validator: the document is invalid: %s", describe(errs))
	}
	// kin-openapi, which also checks every example against its schema.
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Errorf("kin-openapi: the document is invalid: %v", err)
	}
	// What a client team needs from every operation.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if len(op.Tags) == 0 || op.Description == "" || op.OperationID == "" {
				t.Errorf("%s %s lacks tags, a description or an operationId", method, path)
			}
			for status, r := range op.Responses.Map() {
				for ct, mt := range r.Value.Content {
					if mt.Example == nil && len(mt.Examples) == 0 {
						t.Errorf("%s %s %s %s has no example", method, path, status, ct)
					}
				}
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					if mt.Example == nil && len(mt.Examples) == 0 {
						t.Errorf("%s %s request %s has no example", method, path, ct)
					}
				}
			}
		}
	}
}

// The enums are the server's own lists, and the limits its validator's.
func TestOpenAPIRulesAreTheServers(t *testing.T) {
	e := newEnv(t)
	doc := served(t, e)
	vocab := opendata.MustLoadVocabulary()
	for schema, field := range map[string]string{"CollectionChoice": "collection", "SubjectChoice": "subject",
		"FrequencyChoice": "frequency", "JurisdictionChoice": "jurisdiction", "AudienceChoice": "audience"} {
		var got []string
		json.Unmarshal([]byte(jsonOf(t, at(doc, "components", "schemas", schema, "enum"))), &got)
		if want := vocab.Values(field); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s enum %v, want %v", schema, got, want)
		}
	}
	var codes, fieldCodes []string
	json.Unmarshal([]byte(jsonOf(t, at(doc, "components", "schemas", "ProblemCode", "enum"))), &codes)
	json.Unmarshal([]byte(jsonOf(t, at(doc, "components", "schemas", "FieldProblemCode", "enum"))), &fieldCodes)
	if !slices.Equal(codes, api.ProblemCodes()) || !slices.Equal(fieldCodes, opendata.FieldCodes()) {
		t.Errorf("code enums %v and %v", codes, fieldCodes)
	}
	// The written limits are the validator's.
	props := at(doc, "components", "schemas", "SubmitRequest", "properties").(map[string]any)
	for _, l := range []struct {
		path  []string
		limit int
	}{
		{[]string{"file_url", "maxLength"}, opendata.MaxURL},
		{[]string{"file_id", "maxLength"}, opendata.MaxFileID},
		{[]string{"file_name", "maxLength"}, opendata.MaxFileName},
		{[]string{"email_contact", "maxLength"}, opendata.MaxEmail},
		{[]string{"title_translated_en", "maxLength"}, opendata.MaxTitle},
		{[]string{"title_translated_fr", "maxLength"}, opendata.MaxTitle},
		{[]string{"notes_translated_en", "maxLength"}, opendata.MaxNotes},
		{[]string{"notes_translated_fr", "maxLength"}, opendata.MaxNotes},
		{[]string{"keywords_en", "oneOf", "1", "maxItems"}, opendata.MaxKeywords},
		{[]string{"keywords_en", "oneOf", "1", "items", "minLength"}, opendata.MinKeyword},
		{[]string{"keywords_en", "oneOf", "1", "items", "maxLength"}, opendata.MaxKeyword},
		{[]string{"keywords_fr", "oneOf", "1", "maxItems"}, opendata.MaxKeywords},
		{[]string{"keywords_fr", "oneOf", "1", "items", "minLength"}, opendata.MinKeyword},
		{[]string{"keywords_fr", "oneOf", "1", "items", "maxLength"}, opendata.MaxKeyword},
	} {
		var node any = props
		for _, step := range l.path {
			switch n := node.(type) {
			case map[string]any:
				node = n[step]
			case []any:
				node = n[step[0]-'0']
			}
		}
		if node != float64(l.limit) {
			t.Errorf("%v is %v, want %d", l.path, node, l.limit)
		}
	}
	if got := at(doc, "info", "contact", "url"); got != "https://datahub.example/" {
		t.Errorf("contact URL %v", got)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every problem code has a title and detail in the catalogue, and every
// problem in the catalogue is in the list; the same for field codes.
func TestCodeListsMatchTheCatalogue(t *testing.T) {
	problems, fields := map[string]bool{}, map[string]bool{}
	for _, k := range i18n.Keys(i18n.EN) {
		if code, ok := strings.CutSuffix(strings.TrimPrefix(k, "problem."), ".title"); ok && strings.HasPrefix(k, "problem.") {
			problems[code] = true
		}
		if rest, ok := strings.CutPrefix(k, "field."); ok && rest != "suggestion" {
			code, _, _ := strings.Cut(rest, ".")
			fields[code] = true
		}
	}
	for _, tc := range []struct {
		name    string
		list    []string
		catalog map[string]bool
	}{{"problem", api.ProblemCodes(), problems}, {"field", opendata.FieldCodes(), fields}} {
		for _, c := range tc.list {
			if !tc.catalog[c] {
				t.Errorf("%s code %s has no message in the catalogue", tc.name, c)
			}
			delete(tc.catalog, c)
		}
		for c := range tc.catalog {
			t.Errorf("the catalogue has %s code %s, which the list lacks", tc.name, c)
		}
	}
}

// The check of the API tests' traffic fails when the document and the server
// disagree: each case edits the served document and replays one exchange.
func TestTrafficCheckCatchesDisagreements(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rate, o.burst = 10, 10 })
	key := e.key("CFS")
	tests := []struct {
		name               string
		edit               func(doc map[string]any)
		method, path, body string
		headers            []string
	}{
		{"a problem code missing from the enum", func(doc map[string]any) {
			at(doc, "components", "schemas", "ProblemCode").(map[string]any)["enum"] = []any{"invalid"}
		}, "GET", "/api/opendata/choices", "", nil},
		{"a header the response does not declare", func(doc map[string]any) {
			delete(at(doc, "components", "responses", "Unauthorized", "headers").(map[string]any), "RateLimit")
		}, "GET", "/api/opendata/choices", "", nil},
		{"a required property the server leaves out", func(doc map[string]any) {
			s := at(doc, "components", "schemas", "Submitted").(map[string]any)
			s["required"] = append(s["required"].([]any), "project")
			s["properties"].(map[string]any)["project"] = map[string]any{"type": "string"}
		}, "POST", "/api/opendata/submit", validBody(nil), []string{"DH-Auth-Key", key}},
		{"a choice the document does not allow but the server accepts", func(doc map[string]any) {
			at(doc, "components", "schemas", "FrequencyChoice").(map[string]any)["enum"] = []any{"P1M"}
		}, "POST", "/api/opendata/submit", validBody(map[string]any{"file_id": "accepted"}), []string{"DH-Auth-Key", key}},
		{"a status the operation does not document", func(doc map[string]any) {
			delete(at(doc, "paths", "/api/opendata/submissions/{id}", "get", "responses").(map[string]any), "404")
		}, "GET", "/api/opendata/submissions/01a23af3-2775-7ac0-9a61-7ccafc27fc7b", "", []string{"DH-Auth-Key", key}},
		{"an operation the server answers but the document lacks", func(doc map[string]any) {
			delete(at(doc, "paths").(map[string]any), "/healthz")
		}, "GET", "/healthz", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := served(t, e)
			tt.edit(doc)
			check := newTrafficCheck(t, []byte(jsonOf(t, doc)))
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			r.RemoteAddr = "192.0.2.10:1234"
			for i := 0; i+1 < len(tt.headers); i += 2 {
				r.Header.Set(tt.headers[i], tt.headers[i+1])
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if got := check.problems(exchange{r: r, body: []byte(tt.body), w: w}); len(got) == 0 {
				t.Fatalf("no disagreement found (status %d): %s", w.Code, w.Body)
			} else {
				t.Log(got)
			}
			// The served document itself agrees with the same exchange.
			if got := e.openapi.problems(exchange{r: r, body: []byte(tt.body), w: w}); len(got) != 0 {
				t.Fatalf("the served document disagrees: %v", got)
			}
		})
	}
}

// HEAD answers wherever GET does, with the same status and headers (net/http
// leaves the body out on the wire).
func TestHeadAnswersLikeGet(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rate, o.burst = 100, 100 })
	key := e.key("CFS")
	id := decode(t, e.submit(key, validBody(nil)))["datahub_id"].(string)
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/api/opendata/choices", 200},
		{"/api/opendata/submissions?limit=5", 200},
		{"/api/opendata/submissions?limit=500", 400},
		{"/api/opendata/submissions/" + id, 200},
		{"/api/opendata/submissions/01a23af3-2775-7ac0-9a61-7ccafc27fc7b", 404},
		{"/api/openapi.json", 200},
		{"/healthz", 200},
		{"/readyz", 200},
	} {
		t.Run(tt.path, func(t *testing.T) {
			get := e.do("GET", tt.path, "", "DH-Auth-Key", key)
			head := e.do("HEAD", tt.path, "", "DH-Auth-Key", key)
			wantStatus(t, get, tt.status)
			wantStatus(t, head, tt.status)
			for _, h := range []string{"Content-Type", "Etag", "Cache-Control"} {
				if head.Header().Get(h) != get.Header().Get(h) {
					t.Errorf("HEAD %s %q, GET %q", h, head.Header().Get(h), get.Header().Get(h))
				}
			}
		})
	}
}

// The document itself is served with an ETag; a current copy is 304.
func TestOpenAPIDocumentIsCached(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "/api/openapi.json", "", "X-Request-Id", "client-chosen.id_1")
	wantStatus(t, w, 200)
	if w.Header().Get("X-Request-Id") != "client-chosen.id_1" {
		t.Errorf("X-Request-Id %q", w.Header().Get("X-Request-Id"))
	}
	if w.Body.String() != string(e.srv.OpenAPIJSON()) {
		t.Error("the served document is not OpenAPIJSON")
	}
	wantStatus(t, e.do("GET", "/api/openapi.json", "", "If-None-Match", w.Header().Get("ETag")), 304)
}

// A failure of the store is a 500 problem naming the request, as documented.
func TestInternalErrorIsDocumented(t *testing.T) {
	e := newEnv(t)
	key := e.key("CFS")
	wantStatus(t, e.do("GET", "/api/opendata/submissions", "", "DH-Auth-Key", key), 200)
	e.db.Close()
	w := e.do("GET", "/api/opendata/submissions", "", "DH-Auth-Key", key)
	wantStatus(t, w, 500)
	if p := decode(t, w); p["code"] != "internal" || p["request_id"] == "" {
		t.Fatalf("problem %v", p)
	}
}
