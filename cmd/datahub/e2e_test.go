package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/client"
)

func TestEndToEnd(t *testing.T) {
	data := t.TempDir()
	key := createKey(t, data, "CFS")
	doomed := createKey(t, data, "CFS")
	brief := createKey(t, data, "CFS", "--expires", "2s")
	srv := startServer(t, data)

	code, m := srv.call(t, "POST", "/api/opendata/submit", key, submission("f-1"))
	if code != 200 {
		t.Fatalf("submit: %d %v", code, m)
	}
	id := m["datahub_id"].(string)
	if m["flow_url"] != "http://127.0.0.1:8080/flow/"+id {
		t.Fatalf("flow_url %v", m["flow_url"])
	}
	if code, _ := srv.call(t, "GET", "/flow/"+id, "", ""); code != 200 {
		t.Fatalf("flow page: %d", code)
	}

	t.Run("a key revoked from the CLI fails at once", func(t *testing.T) {
		if code, _ := srv.call(t, "GET", "/api/opendata/choices", doomed, ""); code != 200 {
			t.Fatalf("before: %d", code)
		}
		if r := datahub(t, nil, "keys", "revoke", "--data", data, doomed[:11]); r.code != 0 {
			t.Fatalf("revoke: %s", r.stderr)
		}
		code, m := srv.call(t, "GET", "/api/opendata/choices", doomed, "")
		if code != 401 || m["code"] != "revoked_token" {
			t.Fatalf("after: %d %v", code, m)
		}
	})

	t.Run("an expired key is refused", func(t *testing.T) {
		if code, _ := srv.call(t, "GET", "/api/opendata/choices", brief, ""); code != 200 {
			t.Skip("the key expired before its first use; the machine is too slow for a 2s expiry")
		}
		time.Sleep(2100 * time.Millisecond)
		code, m := srv.call(t, "GET", "/api/opendata/choices", brief, "")
		if code != 401 || m["code"] != "expired_token" {
			t.Fatalf("after expiry: %d %v", code, m)
		}
	})

	t.Run("64 concurrent duplicates give one 200", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 64)
		for i := range codes {
			wg.Go(func() { codes[i], _ = srv.call(t, "POST", "/api/opendata/submit", key, submission("race")) })
		}
		wg.Wait()
		n := 0
		for _, c := range codes {
			if c == 200 {
				n++
			} else if c != 400 {
				t.Fatalf("status %d", c)
			}
		}
		if n != 1 {
			t.Fatalf("%d accepted, want 1", n)
		}
	})

	// A restart keeps submissions, keys and revocations; last use is recorded at shutdown.
	srv.stop(t)
	srv = startServer(t, data)
	ctx := context.Background()
	c := client.New(srv.base, key)
	if sub, err := c.Submission(ctx, id); err != nil || sub.State != "in_preparation" || sub.FileID != "f-1" {
		t.Fatalf("after restart: %+v %v", sub, err)
	}
	_, err := client.New(srv.base, doomed).Choices(ctx)
	if p, ok := client.AsProblem(err); !ok || p.Status != 401 || p.Code != "revoked_token" {
		t.Fatalf("revoked key after restart: %v", err)
	}
	var again client.Fields
	json.Unmarshal([]byte(submission("f-1")), &again)
	_, err = c.Submit(ctx, again, "")
	if p, ok := client.AsProblem(err); !ok || !p.Duplicate() || p.ExistingID != id || p.FlowURL != m["flow_url"] {
		t.Fatalf("duplicate after restart: %v", err)
	}
	list := datahub(t, nil, "keys", "list", "--data", data)
	if list.code != 0 || strings.Contains(list.stdout, key) || strings.Contains(list.stdout, key[11:]) {
		t.Fatalf("keys list leaks or fails: %s %s", list.stdout, list.stderr)
	}
	for _, line := range strings.Split(list.stdout, "\n") {
		if strings.HasPrefix(line, key[:11]) && (strings.Contains(line, "never\tactive") || !strings.HasSuffix(strings.TrimSpace(line), "active")) {
			t.Fatalf("key line %q should show its last use and be active", line)
		}
		if strings.HasPrefix(line, doomed[:11]) && !strings.HasSuffix(strings.TrimSpace(line), "revoked") {
			t.Fatalf("revoked key line %q", line)
		}
	}
	if strings.Contains(srv.logs.String(), key) {
		t.Fatal("a key appears in the server's log")
	}
	srv.stop(t)
}

func TestCommandLineErrors(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", nil, []string{"serve", "--nope"}, 2, "flag provided but not defined"},
		{"bad env value", []string{"DATAHUB_RATE_LIMIT=fast"}, []string{"serve", "--data", data}, 2, "DATAHUB_RATE_LIMIT"},
		{"bad public url", nil, []string{"serve", "--data", data, "--public-url", "ftp://x"}, 2, "--public-url"},
		{"bad time zone", nil, []string{"serve", "--data", data, "--time-zone", "Mars/Olympus"}, 2, "--time-zone"},
		{"bad cidr", []string{"DATAHUB_FETCH_ALLOW_CIDR=10.0.0.0/8,nope"}, []string{"serve", "--data", data}, 2, "DATAHUB_FETCH_ALLOW_CIDR"},
		{"rescue before timeout", nil, []string{"serve", "--data", data, "--fetch-timeout", "10m", "--job-rescue-after", "10m"}, 2, "--job-rescue-after"},
		{"bad job state", nil, []string{"jobs", "list", "--data", data, "--state", "lost"}, 2, "--state"},
		{"missing project", nil, []string{"keys", "create", "--data", data, "--client", "c", "--contact", "a@b.ca"}, 2, "--project"},
		{"bad expiry", nil, []string{"keys", "create", "--data", data, "--project", "P", "--client", "c", "--contact", "a@b.ca", "--expires", "soon"}, 2, "--expires"},
		{"expiry beyond the maximum", nil, []string{"keys", "create", "--data", data, "--project", "P", "--client", "c", "--contact", "a@b.ca", "--expires", "366d"}, 2, "--expires"},
		{"bad key max lifetime", []string{"DATAHUB_KEY_MAX_LIFETIME=soon"}, []string{"serve", "--data", data}, 2, "DATAHUB_KEY_MAX_LIFETIME"},
		{"revoke unknown", nil, []string{"keys", "revoke", "--data", data, "dh_aaaaaaaa"}, 1, "no API key"},
		{"revoke garbage", nil, []string{"keys", "revoke", "--data", data, "x"}, 2, "neither a key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := datahub(t, tt.env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", r.code, r.stderr, tt.code, tt.want)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && tt.name != "unknown command" {
				t.Fatalf("not a one-line error: %q", r.stderr)
			}
		})
	}
}

func TestEnvironmentSetsFlags(t *testing.T) {
	data := t.TempDir()
	key := createKey(t, data, "CFS")
	t.Setenv("DATAHUB_PUBLIC_URL", "https://datahub.example.gc.ca")
	for _, tt := range []struct{ flag, want string }{
		{"", "https://datahub.example.gc.ca/flow/"},            // from the environment
		{"https://flag.example", "https://flag.example/flow/"}, // the flag wins
	} {
		var extra []string
		if tt.flag != "" {
			extra = []string{"--public-url", tt.flag}
		}
		srv := startServer(t, data, extra...)
		_, m := srv.call(t, "POST", "/api/opendata/submit", key, submission("env"+tt.flag))
		if got, _ := m["flow_url"].(string); !strings.HasPrefix(got, tt.want) {
			t.Fatalf("flow_url %q, want prefix %s", got, tt.want)
		}
		srv.stop(t)
	}
	r := datahub(t, []string{"DATAHUB_DATA=" + data}, "keys", "list")
	if r.code != 0 || !strings.Contains(r.stdout, key[:11]) {
		t.Fatalf("DATAHUB_DATA not used: %s %s", r.stdout, r.stderr)
	}
}

func TestVocabularyShow(t *testing.T) {
	r := datahub(t, nil, "vocabulary", "show", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"value": "nature_and_environment"`) {
		t.Fatalf("vocabulary: %d %s", r.code, r.stderr)
	}
}
