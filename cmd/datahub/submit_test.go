package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opendata-datahub/datahub/client"
	"github.com/opendata-datahub/datahub/internal/i18n"
)

// bulkColumns are the required fields, in the order of the field table.
var bulkColumns = []string{"file_url", "file_id", "file_name", "email_contact", "collection",
	"title_translated_en", "title_translated_fr", "notes_translated_en", "notes_translated_fr",
	"keywords_en", "keywords_fr", "subject", "frequency", "date_published", "jurisdiction"}

// writeBulkCSV writes n valid datasets with file_ids prefix-1…prefix-n; change
// may alter row i (1-based) before it is written.
func writeBulkCSV(t *testing.T, dir, prefix string, n int, change func(i int, row map[string]string)) string {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	cols := append([]string(nil), bulkColumns...)
	rows := make([]map[string]string, n)
	for i := range rows {
		rows[i] = map[string]string{
			"file_url": fmt.Sprintf("https://example.gc.ca/%s/%d.csv", prefix, i+1), "file_id": fmt.Sprintf("%s-%d", prefix, i+1),
			"file_name": "plots.csv", "email_contact": "contact@example.gc.ca", "collection": "primary",
			"title_translated_en": "Forest plots", "title_translated_fr": "Placettes forestières",
			"notes_translated_en": "Annual plots.", "notes_translated_fr": "Placettes annuelles.",
			"keywords_en": "forests, trees", "keywords_fr": "forêts, arbres",
			"subject": "nature_and_environment, science_and_technology", "frequency": "P1Y",
			"date_published": "2024-03-15", "jurisdiction": "federal",
		}
		if change != nil {
			change(i+1, rows[i])
		}
		for k := range rows[i] {
			if !strings.Contains(strings.Join(cols, "\x00")+"\x00", k+"\x00") {
				cols = append(cols, k) // an extra column, e.g. a misspelled field
			}
		}
	}
	w.Write(cols)
	for _, r := range rows {
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = r[c]
		}
		w.Write(rec)
	}
	w.Flush()
	path := filepath.Join(dir, prefix+".csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// resultRows reads a result CSV by file_id.
func resultRows(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("result file: %v", err)
	}
	out := map[string][]string{}
	for _, r := range recs[1:] {
		if _, twice := out[r[1]]; twice {
			t.Fatalf("file_id %s appears twice in the results", r[1])
		}
		out[r[1]] = r
	}
	return out
}

// serverIDs lists every submission of the key's project by file_id, through the client.
func serverIDs(t *testing.T, c *client.Client) map[string]string {
	t.Helper()
	ids := map[string]string{}
	opts := client.ListOptions{Limit: 100}
	for {
		page, err := c.List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Items {
			if _, twice := ids[s.FileID]; twice {
				t.Fatalf("file_id %s submitted twice", s.FileID)
			}
			ids[s.FileID] = s.DatahubID
		}
		if page.NextCursor == "" {
			return ids
		}
		opts.Cursor = page.NextCursor
	}
}

// A run cancelled while rows are in flight, then run again, ends with every
// row submitted exactly once and the answers of the first run kept.
func TestSubmitInterruptedAndResumed(t *testing.T) {
	a, key := testApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var submits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/opendata/submit" && submits.Add(1) == 10 {
			cancel() // the user presses Ctrl-C while this request and others are in flight
		}
		a.handler.ServeHTTP(w, r)
	}))
	defer ts.Close()
	dir := t.TempDir()
	file := writeBulkCSV(t, dir, "plots", 30, nil)
	out := filepath.Join(dir, "out.csv")
	args := []string{"submit", "--server", ts.URL, "--key", key, "--concurrency", "4", "--out", out, file}

	var stdout, stderr bytes.Buffer
	err := run(ctx, args, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "run the same command again") {
		t.Fatalf("interrupted run: %v\n%s", err, stdout.String())
	}
	first := resultRows(t, out)
	if len(first) == 0 || len(first) >= 30 {
		t.Fatalf("%d rows recorded by the interrupted run", len(first))
	}

	stdout.Reset()
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("resumed run: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "done in an earlier run") {
		t.Fatalf("summary does not count the earlier rows:\n%s", stdout.String())
	}
	final := resultRows(t, out)
	onServer := serverIDs(t, client.New(ts.URL, key))
	if len(final) != 30 || len(onServer) != 30 {
		t.Fatalf("%d rows in the results, %d on the server; want 30", len(final), len(onServer))
	}
	for id, r := range final {
		if r[4] != statusSubmitted || r[2] != onServer[id] || r[3] != "http://127.0.0.1:8080/flow/"+r[2] {
			t.Errorf("row %v; the server has %s", r, onServer[id])
		}
		if prev, ok := first[id]; ok && prev[2] != r[2] {
			t.Errorf("%s: datahub_id %s became %s", id, prev[2], r[2])
		}
	}
	// Rows in flight when the first run stopped were replayed, not sent as new submissions.
	if m := metric(t, ts.URL, `datahub_submissions_total{outcome="duplicate"}`); m != "" {
		t.Fatalf("a row was submitted again: duplicates %s", m)
	}
}

// metric returns the value of one series on /metrics, "" when absent.
func metric(t *testing.T, base, series string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// A dry run validates on the server, or here the same way when the server
// has no validation route (one older than it).
func TestSubmitDryRun(t *testing.T) {
	for _, withRoute := range []bool{true, false} {
		t.Run(map[bool]string{true: "server validates", false: "validated here"}[withRoute], func(t *testing.T) {
			testSubmitDryRun(t, withRoute)
		})
	}
}

func testSubmitDryRun(t *testing.T, withRoute bool) {
	a, key := testApp(t)
	var h http.Handler = a.handler
	if !withRoute { // as a server without the route answers
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/opendata/validate" {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"type":"urn:datahub:problem:not_found","title":"Not found","status":404,"code":"not_found"}`)
				return
			}
			a.handler.ServeHTTP(w, r)
		})
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	dir := t.TempDir()
	c := client.New(ts.URL, key)
	if _, err := c.Submit(context.Background(), client.Fields{}, ""); err == nil {
		t.Fatal("an empty submission was accepted")
	}
	// Row 2 already exists on the server; rows 3 and 4 have problems.
	existing := writeBulkCSV(t, dir, "one", 2, nil)
	if err := run(context.Background(), []string{"submit", "--server", ts.URL, "--key", key, existing}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	file := writeBulkCSV(t, dir, "one", 4, func(i int, row map[string]string) {
		switch i {
		case 3:
			row["subject"] = "natur"
			row["sujet"] = "x"
		case 4:
			row["date_published"] = "2099-01-01"
			row["subject"] = "Nature"
		}
	})
	before, _ := os.ReadFile(file)
	err := run(context.Background(), []string{"submit", "--server", ts.URL, "--key", key, "--dry-run", "--out", file, file}, io.Discard, io.Discard)
	if after, _ := os.ReadFile(file); err == nil || !strings.Contains(err.Error(), "not a result file") || !bytes.Equal(before, after) {
		t.Fatalf("--out naming the input: %v", err)
	}
	var stdout bytes.Buffer
	err = run(context.Background(), []string{"submit", "--server", ts.URL, "--key", key, "--dry-run", "--lang", "fr", file}, &stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "2 lignes sur 4 ne sont pas valides") {
		t.Fatalf("dry run: %v\n%s", err, stdout.String())
	}
	for _, want := range []string{
		"4 lignes dans one.csv (essai : rien n'a été soumis) :",
		"2  déjà soumises",
		"2  refusées",
		"Erreurs par champ et par code :",
		"subject                      invalid_choice         2   lignes 3, 4",
		"sujet                        unknown_field          1   ligne 3",
		"date_published               future_date            1   ligne 4",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	if here := strings.Contains(stdout.String(), "Le serveur n'offre pas de validation"); here == withRoute {
		t.Errorf("validated here: %v, want %v:\n%s", here, !withRoute, stdout.String())
	}
	rows := resultRows(t, filepath.Join(dir, "one.dry-run.csv"))
	if rows["one-2"][4] != statusExists || rows["one-2"][2] == "" || !strings.Contains(rows["one-3"][5], "Vouliez-vous dire « nature_and_environment » ?") {
		t.Fatalf("dry-run results: %v", rows)
	}
	if n := len(serverIDs(t, c)); n != 2 {
		t.Fatalf("the dry run changed the server: %d submissions", n)
	}
}

func TestSubmitCommandLine(t *testing.T) {
	dir := t.TempDir()
	file := writeBulkCSV(t, dir, "rows", 1, nil)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"--server", "http://127.0.0.1:1", "--key", "k"}, "give one file"},
		{"two files", []string{"--server", "http://127.0.0.1:1", "--key", "k", file, file}, "give one file"},
		{"no server", []string{"--key", "k", file}, "--server"},
		{"server without scheme", []string{"--server", "127.0.0.1:1", "--key", "k", file}, "--server"},
		{"no key", []string{"--server", "http://127.0.0.1:1", file}, "--key"},
		{"bad concurrency", []string{"--server", "http://127.0.0.1:1", "--key", "k", "--concurrency", "0", file}, "--concurrency"},
		{"bad language", []string{"--server", "http://127.0.0.1:1", "--key", "k", "--lang", "de", file}, "--lang"},
		{"unknown format", []string{"--server", "http://127.0.0.1:1", "--key", "k", "rows.xml"}, "--format"},
		{"flag after the file", []string{"--server", "http://127.0.0.1:1", file, "--key", "k", "--nope"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DATAHUB_KEY", "")
			os.Unsetenv("DATAHUB_KEY")
			err := run(context.Background(), append([]string{"submit"}, tt.args...), io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a usage error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSubmitTextInBothLanguages(t *testing.T) {
	verbs := regexp.MustCompile(`%[-0-9.]*[a-z]`)
	for key, en := range submitText[i18n.EN] {
		fr, ok := submitText[i18n.FR][key]
		if !ok {
			t.Errorf("%s has no French", key)
			continue
		}
		if a, b := verbs.FindAllString(en, -1), verbs.FindAllString(fr, -1); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%s: English takes %v, French %v", key, a, b)
		}
	}
	if len(submitText[i18n.FR]) != len(submitText[i18n.EN]) {
		t.Error("the French catalogue has keys the English one lacks")
	}
}

func TestReadResults(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          map[string]string // file_id -> status
		err           bool
	}{
		{"missing file", "", map[string]string{}, false},
		{"a last line torn by a killed run", "row,file_id,datahub_id,flow_url,status,errors\n" +
			"1,a,id-a,http://x/flow/id-a,submitted,\n2,b,,,invalid,subject required: m\n3,c,id-c,\"http://x/fl",
			map[string]string{"a": statusSubmitted, "b": statusInvalid}, false},
		{"another kind of file", "file_id,subject\na,b\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".csv")
			if tt.content != "" {
				os.WriteFile(path, []byte(tt.content), 0o600)
			}
			got, err := readResults(path)
			if (err != nil) != tt.err {
				t.Fatalf("error %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for id, status := range tt.want {
				if got[id].status != status {
					t.Errorf("%s: %q, want %q", id, got[id].status, status)
				}
			}
		})
	}
}
