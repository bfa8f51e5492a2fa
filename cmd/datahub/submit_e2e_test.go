package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/client"
)

// The real command, killed while it submits to a rate-limited server, then run
// again after the server restarts, submits every row exactly once.
func TestSubmitKilledAndResumedEndToEnd(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	key := createKey(t, data, "CFS")
	env := []string{"DATAHUB_KEY=" + key} // the key kept off the command line, as the README advises
	srv := startServer(t, data, "--rate-limit", "5", "--rate-burst", "2")
	file := writeBulkCSV(t, dir, "inventory", 40, nil)
	out := filepath.Join(dir, "results.csv")

	cmd := exec.Command(binary, "submit", "--server", srv.base, "--concurrency", "4", "--out", out, file)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for recorded := 0; recorded < 5; {
		select {
		case err := <-exited:
			t.Fatalf("the run ended (%v) before it could be interrupted: %s", err, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no rows recorded: %s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		raw, _ := os.ReadFile(out)
		recorded = strings.Count(string(raw), "\n") - 1
	}
	cmd.Process.Kill() // no chance to clean up: what was written per row must be enough
	var exit *exec.ExitError
	if err := <-exited; !errors.As(err, &exit) || exit.Exited() {
		t.Fatalf("the run was not killed: %v", err)
	}
	created := createdSubmissions(t, srv)
	srv.stop(t)

	srv = startServer(t, data)
	r := datahub(t, env, "submit", "--server", srv.base, "--concurrency", "8", "--out", out, file)
	if r.code != 0 || !strings.Contains(r.stdout, "done in an earlier run") || !strings.Contains(r.stderr, "/") {
		t.Fatalf("resumed run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	results := resultRows(t, out)
	onServer := serverIDs(t, client.New(srv.base, key))
	if len(results) != 40 || len(onServer) != 40 {
		t.Fatalf("%d rows in the results, %d on the server; want 40", len(results), len(onServer))
	}
	for id, row := range results {
		if row[4] != statusSubmitted || row[2] != onServer[id] {
			t.Errorf("row %v; the server has %s", row, onServer[id])
		}
	}
	if created += createdSubmissions(t, srv); created != 40 {
		t.Fatalf("%d submissions created for 40 rows", created)
	}

	r = datahub(t, env, "submit", "--server", srv.base, "--out", out, file)
	if r.code != 0 || !strings.Contains(r.stdout, "    40  done in an earlier run") {
		t.Fatalf("third run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	srv.stop(t)
}

// createdSubmissions reads how many submit requests created a submission, and
// fails when any was a duplicate file_id: a row sent again, not replayed.
func createdSubmissions(t *testing.T, srv *server) int {
	t.Helper()
	if d := metric(t, srv.base, `datahub_submissions_total{outcome="duplicate"}`); d != "" {
		t.Fatalf("%s rows were submitted twice", d)
	}
	n, _ := strconv.Atoi(metric(t, srv.base, `datahub_submissions_total{outcome="created"}`))
	return n
}

// JSON Lines in French: the invalid rows are reported by field and code, the
// others submitted, and the exit status says not all went through.
func TestSubmitJSONLinesInFrenchEndToEnd(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	key := createKey(t, data, "CFS")
	srv := startServer(t, data)
	lines := []string{
		strings.Replace(submission("j-1"), `"nature_and_environment"`, `["nature_and_environment","science_and_technology"]`, 1),
		strings.Replace(submission("j-2"), `"Forest inventory"`, `42`, 1),
		"",
		strings.Replace(submission("j-3"), `"subject":`, `"sujet":`, 1),
	}
	file := filepath.Join(dir, "rows.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := datahub(t, nil, "submit", "--server", srv.base, "--key", key, "--lang", "fr", file)
	if r.code != 1 || !strings.Contains(r.stderr, "2 lignes sur 3 n'ont pas été soumises") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"3 lignes dans rows.jsonl :", "1  soumises", "2  refusées",
		"title_translated_en          invalid_format         1   ligne 2",
		"subject                      required               1   ligne 3",
		"sujet                        unknown_field          1   ligne 3",
		"Résultats : " + filepath.Join(dir, "rows.results.csv"),
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	f, err := os.Open(filepath.Join(dir, "rows.results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("results: %v %v", recs, err)
	}
	for _, rec := range recs[1:] {
		if rec[1] == "j-3" && !strings.Contains(rec[5], "sujet unknown_field: sujet n’est pas un champ de cette API") {
			t.Fatalf("row j-3: %v", rec)
		}
	}
	srv.stop(t)
}
