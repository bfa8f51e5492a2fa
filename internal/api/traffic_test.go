package api_test

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// trafficCheck holds every exchange of the API tests to the OpenAPI document
// the server serves, with an independent validator (libopenapi-validator).
type trafficCheck struct {
	v       validator.Validator
	model   *v3.Document
	opts    *config.ValidationOptions
	problem *base.Schema
}

func newTrafficCheck(t testing.TB, doc []byte) *trafficCheck {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	m, err := d.BuildV3Model()
	if err != nil {
		t.Fatalf("openapi model: %v", err)
	}
	opts := []config.Option{config.WithFormatAssertions(), config.WithContentAssertions()}
	v := validator.NewValidatorFromV3Model(&m.Model, opts...)
	return &trafficCheck{v: v, model: &m.Model, opts: config.NewValidationOptions(opts...),
		problem: m.Model.Components.Schemas.GetOrZero("Problem").Schema()}
}

// exchange is one request, with the body the server read, and its response.
type exchange struct {
	r    *http.Request
	body []byte
	w    *httptest.ResponseRecorder
}

// problems lists where the exchange and the document disagree: the response
// must match its operation and status (body, and every header sent declared);
// a request the document rejects must be refused (4xx); an undocumented path
// or method is a 404 or 405 problem.
func (c *trafficCheck) problems(x exchange) []string {
	req := x.r.Clone(x.r.Context())
	req.Body = io.NopCloser(bytes.NewReader(x.body))
	req.ContentLength = int64(len(x.body))
	if len(x.body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json") // documented: a body without a type is read as JSON
	}
	resp := x.w.Result()
	resp.Request = req
	var out []string
	item, errs, _ := paths.FindPath(req, c.model, c.opts)
	var op *v3.Operation
	if len(errs) == 0 {
		op = helpers.ExtractOperation(req, item)
	}
	if op == nil {
		return c.undocumented(req, resp)
	}
	okReq, reqErrs := c.v.ValidateHttpRequestSync(req)
	if !okReq && resp.StatusCode < 400 {
		out = append(out, "the server accepted a request the document rejects: "+describe(reqErrs))
	}
	resp.Body = io.NopCloser(bytes.NewReader(x.w.Body.Bytes()))
	if ok, errs := c.v.ValidateHttpResponse(req, resp); !ok {
		out = append(out, "response: "+describe(errs))
	}
	out = append(out, undeclaredHeaders(op, resp)...)
	return out
}

func (c *trafficCheck) undocumented(req *http.Request, resp *http.Response) []string {
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed &&
		resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests {
		return []string{"undocumented " + req.Method + " " + req.URL.Path + " answered " + strconv.Itoa(resp.StatusCode)}
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/problem+json" {
		return []string{"undocumented " + req.Method + " " + req.URL.Path + " answered " + mt + ", not a problem"}
	}
	body, _ := io.ReadAll(resp.Body)
	if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(c.problem, body); !ok {
		return []string{"problem for an undocumented path: " + describe(errs)}
	}
	return nil
}

// undeclaredHeaders lists the headers sent that the operation's response does not declare.
func undeclaredHeaders(op *v3.Operation, resp *http.Response) []string {
	r := op.Responses.Codes.GetOrZero(strconv.Itoa(resp.StatusCode))
	if r == nil {
		return nil // ValidateHttpResponse reports the status
	}
	var out []string
	for name := range resp.Header {
		switch name {
		case "Content-Type", "Content-Length", "Date":
			continue
		}
		declared := false
		for k := range r.Headers.KeysFromOldest() {
			declared = declared || strings.EqualFold(k, name)
		}
		if !declared {
			out = append(out, "header "+name+" is not declared for "+strconv.Itoa(resp.StatusCode))
		}
	}
	return out
}

func describe[E interface{ Error() string }](errs []E) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}
