package ckan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

const secretToken = "tok-5f1c2e9a8b7d4c3e" // what a registry token looks like in these tests

func TestNewRefusesBadTargets(t *testing.T) {
	hc := loopbackClient(t)
	for _, tc := range []struct {
		name string
		t    Target
	}{
		{"no scheme", Target{"127.0.0.1:1", "tok", "org"}},
		{"ftp", Target{"ftp://127.0.0.1", "tok", "org"}},
		{"credentials", Target{"http://u:p@127.0.0.1", "tok", "org"}},
		{"query", Target{"http://127.0.0.1/?x=1", "tok", "org"}},
		{"no token", Target{"http://127.0.0.1", "", "org"}},
		{"token with newline", Target{"http://127.0.0.1", "a\nb", "org"}},
		{"no organization", Target{"http://127.0.0.1", "tok", ""}},
	} {
		if _, err := New(tc.t, hc); err == nil {
			t.Errorf("%s: New accepted %v", tc.name, tc.t)
		}
	}
	if _, err := New(Target{"http://127.0.0.1", "tok", "org"}, nil); err == nil {
		t.Error("New accepted a nil http client")
	}
}

// TestRequestShape: POST JSON to /api/action/NAME under the base path, raw token.
func TestRequestShape(t *testing.T) {
	var got struct {
		method, path, auth, ctype, body string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		got.method, got.path, got.auth, got.ctype, got.body = r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b.String()
		_, _ = w.Write([]byte(`{"success": true, "result": {"id": "abc", "name": "abc", "state": "active"}}`))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/registry/", secretToken)
	d, err := c.PackageShow(t.Context(), "abc")
	if err != nil {
		t.Fatal(err)
	}
	if d.ID() != "abc" || d.Name() != "abc" || d.State() != "active" {
		t.Errorf("dataset = %v", d)
	}
	want := [5]string{"POST", "/registry/api/action/package_show", secretToken, "application/json", `{"id":"abc"}`}
	if [5]string{got.method, got.path, got.auth, got.ctype, got.body} != want {
		t.Errorf("request = %+v, want %v", got, want)
	}
}

// TestTokenNeverShown: a registry that echoes the token back, in every answer
// shape, and every way an error, target or client is printed.
func TestTokenNeverShown(t *testing.T) {
	answers := []struct {
		status int
		body   string
	}{
		{403, `{"success": false, "error": {"__type": "Authorization Error", "message": "Access denied: key TOKEN"}}`},
		{409, `{"success": false, "error": {"__type": "Validation Error", "title_translated": ["bad TOKEN"], "resources": [{"url": ["TOKEN"]}]}}`},
		{400, `"Bad request - TOKEN"`},
		{502, `<html><title>502 TOKEN</title></html>`},
		{500, `{"success": false, "error": {"__type": "TOKEN", "message": "TOKEN"}}`},
	}
	var i atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := answers[int(i.Add(1)-1)%len(answers)]
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(strings.ReplaceAll(a.body, "TOKEN", r.Header.Get("Authorization"))))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, secretToken)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	for range answers {
		_, err := c.PackageShow(t.Context(), "x")
		if err == nil {
			t.Fatal("no error")
		}
		log.Error("publish failed", "err", err, "target", c.Target())
		var e *Error
		errors.As(err, &e)
		for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, e, e.Fields)} {
			if strings.Contains(s, secretToken) {
				t.Errorf("token shown in %q", s)
			}
		}
	}
	// A transport failure too (nothing listens there any more).
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if _, err := newClient(t, dead.URL, secretToken).PackageShow(t.Context(), "x"); err == nil || strings.Contains(err.Error(), secretToken) || !IsRetryable(err) {
		t.Errorf("transport error %v: want retryable, without the token", err)
	}
	for _, s := range []string{logs.String(), fmt.Sprintf("%v %+v %s", c.Target(), c.Target(), c), fmt.Sprint(c)} {
		if strings.Contains(s, secretToken) {
			t.Errorf("token shown in %q", s)
		}
	}
}

func TestRedirectIsRefused(t *testing.T) {
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			_, _ = w.Write([]byte(`{"success": true, "result": {}}`))
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	hc := loopbackClient(t) // a client that would follow redirects
	c, err := New(Target{srv.URL, secretToken, "org"}, hc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PackageShow(t.Context(), "x")
	var e *Error
	if !errors.As(err, &e) || e.Type != TypeRedirect || e.Retryable() || e.Status != 307 {
		t.Errorf("err = %v, want a final redirect error", err)
	}
	if followed.Load() {
		t.Error("redirect followed")
	}
	if hc.CheckRedirect != nil {
		t.Error("New changed the caller's client")
	}
}

func TestAnswerSizeCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"success": true, "result": {"notes": "`))
		_, _ = w.Write(bytes.Repeat([]byte("a"), MaxAnswerBytes))
		_, _ = w.Write([]byte(`"}}`))
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL, secretToken).PackageShow(t.Context(), "x")
	var e *Error
	if !errors.As(err, &e) || e.Type != TypeUnreadable || !strings.Contains(e.Message, "larger than") {
		t.Errorf("err = %v, want an answer-too-large error", err)
	}
}

// TestPublishUnderRandomFaults: many datasets published at once against a registry
// failing at random; retrying each until it succeeds ends with every dataset there,
// created once and holding what was sent.
func TestPublishUnderRandomFaults(t *testing.T) {
	srv, c, _ := newRegistry(t)
	srv.FailRate(0.3, 7)
	const n = 24
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("01890a5d-ac96-774b-bcce-%012d", i)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, id := range ids {
		wg.Go(func() {
			for attempt := 0; attempt < 50; attempt++ {
				_, err := c.Publish(context.Background(), examplePayload(id))
				if err == nil {
					errs[i] = nil
					return
				}
				errs[i] = err
				if !IsRetryable(err) {
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", ids[i], err)
		}
	}
	faults := 0
	for _, call := range srv.Calls() {
		if call.Fault != "" {
			faults++
		}
	}
	if faults == 0 {
		t.Error("no fault injected; the test proves nothing")
	}
	if got := successes(srv, "package_create"); got != n {
		t.Errorf("%d creates applied for %d datasets", got, n)
	}
	for _, id := range ids {
		if d, ok := srv.Dataset(id); !ok || d["state"] != "active" {
			t.Errorf("%s missing or not active", id)
		}
	}
}
