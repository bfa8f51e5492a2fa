package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/opendata-datahub/datahub/client"
	"github.com/opendata-datahub/datahub/internal/i18n"
)

// Row statuses in the result CSV.
const (
	statusSubmitted = "submitted"
	statusExists    = "exists" // the server already had this file_id
	statusValid     = "valid"  // dry run
	statusInvalid   = "invalid"
	statusFailed    = "failed"
)

// statusOrder is the order of the summary's counts.
var statusOrder = []string{statusSubmitted, statusExists, statusValid, statusInvalid, statusFailed}

// done reports whether a row with this status needs nothing more: a re-run skips it.
func done(status string) bool {
	return status == statusSubmitted || status == statusExists || status == "duplicate"
}

// outcome is what became of one row.
type outcome struct {
	row       int
	fileID    string
	datahubID string
	flowURL   string
	status    string
	errors    []client.FieldError // Field is empty for a failure of the whole row
}

var resultHeader = []string{"row", "file_id", "datahub_id", "flow_url", "status", "errors"}

func (o outcome) record() []string {
	msgs := make([]string, len(o.errors))
	for i, e := range o.errors {
		msgs[i] = strings.TrimSpace(e.Field + " " + e.Code + ": " + e.Message)
	}
	return []string{strconv.Itoa(o.row), o.fileID, o.datahubID, o.flowURL, o.status, strings.Join(msgs, " | ")}
}

// readResults reads an earlier run's result CSV, by file_id; a missing file is
// an empty one, and a last line cut short by a killed run is ignored.
func readResults(path string) (map[string]outcome, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]outcome{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read earlier results: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	out := map[string]outcome{}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return out, nil
	}
	if err != nil || !slices.Equal(header, resultHeader) {
		return nil, fmt.Errorf("read earlier results: %s is not a result file of datahub submit; name another --out", path)
	}
	for {
		rec, err := cr.Read()
		if err != nil {
			return out, nil // the end, or a torn last line
		}
		if len(rec) != len(resultHeader) || rec[1] == "" {
			continue
		}
		n, _ := strconv.Atoi(rec[0])
		out[rec[1]] = outcome{row: n, fileID: rec[1], datahubID: rec[2], flowURL: rec[3], status: rec[4]}
	}
}

// resultFile is the result CSV, written a row at a time as rows finish so that
// an interrupted run leaves a record of every row it finished.
type resultFile struct {
	f *os.File
	w *csv.Writer
}

// createResults starts the result file with the rows an earlier run finished.
func createResults(path string, carried []outcome) (*resultFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create results: %w", err)
	}
	r := &resultFile{f: f, w: csv.NewWriter(f)}
	r.w.Write(resultHeader)
	for _, o := range carried {
		r.w.Write(o.record())
	}
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write results: %w", err)
	}
	return r, nil
}

func (r *resultFile) write(o outcome) error {
	r.w.Write(o.record())
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

func (r *resultFile) close() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// errorGroup counts the rows with one (field, code) problem.
type errorGroup struct {
	field, code string
	rows        []int
}

// tally counts the outcomes for the summary.
type tally struct {
	counts  map[string]int
	skipped int
	groups  map[[2]string]*errorGroup
	errors  int // rows that are invalid or failed
}

func newTally() *tally {
	return &tally{counts: map[string]int{}, groups: map[[2]string]*errorGroup{}}
}

func (t *tally) add(o outcome) {
	t.counts[o.status]++
	if o.status != statusInvalid && o.status != statusFailed {
		return
	}
	t.errors++
	for _, e := range o.errors {
		k := [2]string{e.Field, e.Code}
		g := t.groups[k]
		if g == nil {
			g = &errorGroup{field: e.Field, code: e.Code}
			t.groups[k] = g
		}
		if len(g.rows) == 0 || g.rows[len(g.rows)-1] != o.row { // a row counts once per group
			g.rows = append(g.rows, o.row)
		}
	}
}

// writeSummary prints the counts per status and the errors grouped by field
// and code, most frequent first.
func (t *tally) writeSummary(w io.Writer, lang i18n.Lang, total int, file string, dry bool, pending int) {
	dryNote := ""
	if dry {
		dryNote = say(lang, "summary.dry")
	}
	fmt.Fprintln(w, say(lang, "summary", total, file, dryNote))
	line := func(n int, key string) {
		if n > 0 {
			fmt.Fprintf(w, "  %6d  %s\n", n, say(lang, key))
		}
	}
	line(t.skipped, "status.skipped")
	for _, s := range statusOrder {
		line(t.counts[s], "status."+s)
	}
	line(pending, "status.pending")
	if len(t.groups) == 0 {
		return
	}
	groups := make([]*errorGroup, 0, len(t.groups))
	for _, g := range t.groups {
		slices.Sort(g.rows)
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *errorGroup) int {
		if len(a.rows) != len(b.rows) {
			return len(b.rows) - len(a.rows)
		}
		return strings.Compare(a.field+" "+a.code, b.field+" "+b.code)
	})
	fmt.Fprintln(w, say(lang, "errors"))
	for _, g := range groups {
		field := g.field
		if field == "" {
			field = say(lang, "errors.nofield")
		}
		rows := "errors.rows"
		if len(g.rows) == 1 {
			rows = "errors.row"
		}
		fmt.Fprintln(w, say(lang, "errors.line", field, g.code, len(g.rows), say(lang, rows, rowList(g.rows))))
	}
}

// rowList names the first few rows of a group.
func rowList(rows []int) string {
	const shown = 5
	parts := make([]string, 0, shown+1)
	for _, r := range rows[:min(len(rows), shown)] {
		parts = append(parts, strconv.Itoa(r))
	}
	if len(rows) > shown {
		parts = append(parts, "…")
	}
	return strings.Join(parts, ", ")
}

// recorder takes each finished row: it writes the result, counts it and moves
// the progress display, one row at a time.
type recorder struct {
	mu       sync.Mutex
	results  *resultFile
	tally    *tally
	progress progress
}

func (r *recorder) record(o outcome) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tally.add(o)
	r.progress.step(r.tally.errors)
	return r.results.write(o)
}
