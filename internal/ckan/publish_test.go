package ckan

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
)

// successes counts the calls of action the registry answered with 200, or applied
// before dropping the connection.
func successes(srv *ckantest.Server, action string) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.Action == action && (c.Status == 200 || c.Fault == ckantest.FaultDropAfter) {
			n++
		}
	}
	return n
}

func TestPublishCreatesThenPatches(t *testing.T) {
	srv, c, orgID := newRegistry(t)
	ctx := t.Context()
	p := examplePayload(testID)

	res, err := c.Publish(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{RegistryID: testID, Name: testID, Created: true}); res != want {
		t.Errorf("first Publish = %+v, want %+v", res, want)
	}
	stored, ok := srv.Dataset(testID)
	if !ok {
		t.Fatal("dataset not stored")
	}
	if stored["owner_org"] != orgID || stored["date_published"] != "2024-03-15 00:00:00" {
		t.Errorf("stored owner_org %v, date_published %v", stored["owner_org"], stored["date_published"])
	}

	p.Title.EN = "Forest inventory, revised"
	res, err = c.Publish(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created {
		t.Error("second Publish created again")
	}
	stored, _ = srv.Dataset(testID)
	if title := stored["title_translated"].(map[string]any)["en"]; title != "Forest inventory, revised" {
		t.Errorf("title after patch = %v", title)
	}
	var actions []string
	for _, call := range srv.Calls() {
		actions = append(actions, call.Action)
	}
	want := []string{"organization_show", "package_show", "package_create", "package_show",
		"organization_show", "package_show", "package_patch", "package_show"}
	if !slices.Equal(actions, want) {
		t.Errorf("calls = %v, want %v", actions, want)
	}
}

// TestPublishRetryableFaults: each fault fails the attempt with a retryable error, and
// the caller's next attempt completes the publication with exactly one create.
func TestPublishRetryableFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		action string
		times  int
		fault  ckantest.Fault
	}{
		{"500 twice on create", "package_create", 2, ckantest.FaultServerError},
		{"500 on show", "package_show", 1, ckantest.FaultServerError},
		{"503 proxy page", "package_create", 1, ckantest.FaultProxyPage},
		{"503 on organization", "organization_show", 1, ckantest.FaultProxyPage},
		{"timeout on create", "package_create", 1, ckantest.FaultTimeout},
		{"dropped after create", "package_create", 1, ckantest.FaultDropAfter},
		{"dropped after patch", "package_patch", 1, ckantest.FaultDropAfter},
		{"garbled read-back", "package_show", 1, ckantest.FaultGarbled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := newRegistry(t)
			p := examplePayload(testID)
			if tc.action == "package_patch" { // patching needs an existing dataset
				if _, err := c.Publish(t.Context(), p); err != nil {
					t.Fatal(err)
				}
			}
			srv.FailNext(tc.action, tc.times, tc.fault)
			for i := range tc.times {
				ctx := t.Context()
				if tc.fault == ckantest.FaultTimeout {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
					defer cancel()
				}
				_, err := c.Publish(ctx, p)
				var e *Error
				if !errors.As(err, &e) || !e.Retryable() {
					t.Fatalf("attempt %d: err = %v, want a retryable *Error", i+1, err)
				}
				if e.Action != tc.action {
					t.Errorf("attempt %d: failed action %q, want %q", i+1, e.Action, tc.action)
				}
				if tc.fault == ckantest.FaultTimeout && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("timeout error %v does not wrap context.DeadlineExceeded", err)
				}
			}
			res, err := c.Publish(t.Context(), p)
			if err != nil {
				t.Fatalf("attempt after the faults: %v", err)
			}
			if n := successes(srv, "package_create"); n != 1 {
				t.Errorf("dataset created %d times, want 1", n)
			}
			if tc.fault == ckantest.FaultDropAfter && tc.action == "package_create" && res.Created {
				t.Error("the attempt after a lost create answer created again instead of patching")
			}
			if d, ok := srv.Dataset(testID); !ok || d["state"] != "active" {
				t.Errorf("dataset after recovery: %v", d)
			}
		})
	}
}

func TestPublishFinalFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    ckantest.Fault
		status   int
		typ      string
		fields   []FieldError
		contains string
	}{
		{"validation", ckantest.FaultValidation, 409, TypeValidation, []FieldError{
			{"keywords_fr", "Missing value"},
			{"email_contact", "Email x is not a valid format"},
			{"notes_translated_en", "Missing value"},
			{"file", "Value must be one of [...]"},
			{"subject", `unexpected choice "x"`},
			{"title_translated_fr", `Required language "fr" missing`},
		}, ""},
		{"forbidden", ckantest.FaultForbidden, 403, TypeAuthorization, nil, "Access denied"},
		{"bare string 400", ckantest.FaultBadRequest, 400, TypeBadRequest, nil, "Bad request - JSON Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := newRegistry(t)
			srv.FailNext("package_create", 1, tc.fault)
			_, err := c.Publish(t.Context(), examplePayload(testID))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Retryable() || e.Status != tc.status || e.Type != tc.typ || e.Action != "package_create" {
				t.Errorf("got retryable=%v status=%d type=%q action=%q", e.Retryable(), e.Status, e.Type, e.Action)
			}
			if !slices.Equal(e.Fields, tc.fields) {
				t.Errorf("fields = %v\nwant     %v", e.Fields, tc.fields)
			}
			if tc.contains != "" && !strings.Contains(e.Message, tc.contains) {
				t.Errorf("message %q lacks %q", e.Message, tc.contains)
			}
			if _, ok := srv.Dataset(testID); ok {
				t.Error("dataset stored despite the refusal")
			}
		})
	}
}

// TestPublishValidationMapped sends what the registry refuses and checks that each
// refusal names our field.
func TestPublishValidationMapped(t *testing.T) {
	srv, c, _ := newRegistry(t)
	p := examplePayload(testID)
	p.Title.FR = ""
	p.Keywords.FR = []string{"x"}
	p.Subject = []string{"forests"}
	p.Frequency = "yearly"
	p.CoverageEnd = "2023-13-45"
	p.MaintainerEmail = "not an address"
	p.Resources[0].Format = "csv"
	p.Resources[0].NameTranslated.EN = ""
	_, err := c.Publish(t.Context(), p)
	var e *Error
	if !errors.As(err, &e) || e.Retryable() || e.Status != 409 {
		t.Fatalf("err = %v, want a final 409", err)
	}
	got := map[string]string{}
	for _, f := range e.Fields {
		got[f.Field] = f.Message
	}
	want := map[string]string{
		"title_translated_fr":      `Required language "fr" missing`,
		"keywords_fr":              `Tag "x" length is less than minimum 2`,
		"subject":                  `unexpected choice "forests"`,
		"frequency":                "Value must be one of",
		"time_period_coverage_end": "Date format incorrect. Expecting YYYY-MM-DD",
		"email_contact":            "Email not an address is not a valid format",
		"file":                     "Value must be one of ['CSV'",
		"file_name":                `Required language "en" missing`,
	}
	for f, msg := range want {
		if !strings.Contains(got[f], msg) {
			t.Errorf("%s: message %q, want one containing %q", f, got[f], msg)
		}
	}
	if _, ok := srv.Dataset(testID); ok {
		t.Error("refused dataset stored")
	}
}

func TestPublishMissingOrganization(t *testing.T) {
	srv := ckantest.New(t)
	srv.AddOrganization("another-org")
	c := newClient(t, srv.URL, srv.Token)
	_, err := c.Publish(t.Context(), examplePayload(testID))
	var e *Error
	if !errors.As(err, &e) || e.Retryable() {
		t.Fatalf("err = %v, want a final *Error", err)
	}
	if want := []FieldError{{FieldOwnerOrg, "Organization does not exist"}}; !slices.Equal(e.Fields, want) {
		t.Errorf("fields = %v, want %v", e.Fields, want)
	}
	if n := srv.CountCalls("package_create") + srv.CountCalls("package_show"); n != 0 {
		t.Errorf("%d package calls made for a missing organization", n)
	}
}

func TestPublishWrongToken(t *testing.T) {
	srv, _, _ := newRegistry(t)
	c := newClient(t, srv.URL, "not-the-token")
	_, err := c.Publish(t.Context(), examplePayload(testID))
	var e *Error
	if !errors.As(err, &e) || e.Retryable() || e.Status != 403 || e.Type != TypeAuthorization {
		t.Fatalf("err = %v, want a final 403", err)
	}
}

func TestPublishDetectsReadBackDifference(t *testing.T) {
	srv, c, _ := newRegistry(t)
	srv.OnStore(func(d map[string]any) {
		d["title_translated"].(map[string]any)["fr"] = "Autre titre"
		delete(d, "audience")
		d["resources"].([]any)[0].(map[string]any)["url"] = "http://127.0.0.1:1/other.csv"
	})
	_, err := c.Publish(t.Context(), examplePayload(testID))
	var e *Error
	if !errors.As(err, &e) || e.Retryable() || e.Type != TypeDifference {
		t.Fatalf("err = %v, want a final read-back difference", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"audience", "file_url", "title_translated_fr"}; !slices.Equal(fields, want) {
		t.Errorf("differing fields = %v, want %v (%v)", fields, want, e.Fields)
	}
	if m := e.Fields[2].Message; m != `sent "Inventaire forestier", registry has "Autre titre"` {
		t.Errorf("title difference says %q", m)
	}
}

// TestPublishAllowsRegistryRewrites: what the registry changes on the way back
// (org id, dates, choice order, added keys) is not a difference.
func TestPublishAllowsRegistryRewrites(t *testing.T) {
	srv, c, _ := newRegistry(t)
	srv.OnStore(func(d map[string]any) {
		d["title_translated"].(map[string]any)["fr-t-en"] = "machine translation"
		d["extra_key"] = "added by a plugin"
	})
	p := examplePayload(testID)
	p.Subject = []string{"science_and_technology", "agriculture"} // not in schema order
	if _, err := c.Publish(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	d, _ := srv.Dataset(testID)
	if s := d["subject"].([]any); s[0] != "agriculture" {
		t.Errorf("double kept subject order %v; the test means nothing", s)
	}
}

func TestUnpublishAndRepublish(t *testing.T) {
	srv, c, _ := newRegistry(t)
	ctx := t.Context()
	if _, err := c.Publish(ctx, examplePayload(testID)); err != nil {
		t.Fatal(err)
	}
	if err := c.Unpublish(ctx, testID); err != nil {
		t.Fatal(err)
	}
	if d, _ := srv.Dataset(testID); d["state"] != "deleted" {
		t.Fatalf("state after unpublish = %v", d["state"])
	}
	if err := c.Unpublish(ctx, testID); err != nil {
		t.Errorf("second unpublish: %v", err)
	}
	if err := c.Unpublish(ctx, "01890a5d-0000-7000-8000-000000000000"); err != nil {
		t.Errorf("unpublish of an unknown id: %v", err)
	}
	res, err := c.Republish(ctx, testID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != testID || res.Created {
		t.Errorf("republish = %+v", res)
	}
	if d, _ := srv.Dataset(testID); d["state"] != "active" {
		t.Errorf("state after republish = %v", d["state"])
	}

	// Publishing a deleted dataset brings it back too.
	if err := c.Unpublish(ctx, testID); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Publish(ctx, examplePayload(testID)); err != nil || res.Created {
		t.Fatalf("publish after unpublish = %+v, %v", res, err)
	}
	if d, _ := srv.Dataset(testID); d["state"] != "active" {
		t.Errorf("state after publishing a deleted dataset = %v", d["state"])
	}
}

func TestUnpublishFaults(t *testing.T) {
	srv, c, _ := newRegistry(t)
	srv.FailNext("package_delete", 1, ckantest.FaultServerError)
	if err := c.Unpublish(t.Context(), testID); !IsRetryable(err) {
		t.Errorf("500 on delete: %v, want retryable", err)
	}
	srv.FailNext("package_delete", 1, ckantest.FaultForbidden)
	if err := c.Unpublish(t.Context(), testID); err == nil || IsRetryable(err) {
		t.Errorf("403 on delete: %v, want final", err)
	}
	if _, err := c.Republish(t.Context(), testID); !IsNotFound(err) || IsRetryable(err) {
		t.Errorf("republish of an unknown id: %v, want final not found", err)
	}
}

// TestPublishCreateRace: the dataset appears between package_show and package_create
// (another attempt created it); the 409 "already exists" leads to a patch.
func TestPublishCreateRace(t *testing.T) {
	srv, direct, _ := newRegistry(t)
	if _, err := direct.Publish(t.Context(), examplePayload(testID)); err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var hidden atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/package_show") && hidden.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"success": false, "error": {"__type": "Not Found Error", "message": "Not found"}}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	c := newClient(t, front.URL, srv.Token)
	p := examplePayload(testID)
	p.Notes.EN = "Annual plots, revised."
	res, err := c.Publish(t.Context(), p)
	if err != nil || res.Created {
		t.Fatalf("Publish = %+v, %v; want a patch", res, err)
	}
	if n := successes(srv, "package_create"); n != 1 {
		t.Errorf("created %d times", n)
	}
	if n := srv.CountCalls("package_create"); n != 2 {
		t.Errorf("create tried %d times, want 2 (the second refused)", n)
	}
	if d, _ := srv.Dataset(testID); d["notes_translated"].(map[string]any)["en"] != "Annual plots, revised." {
		t.Errorf("patch not applied: %v", d["notes_translated"])
	}
}
