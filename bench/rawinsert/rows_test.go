package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"reflect"
	"testing"

	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// TestRowsAreTheStores: the ceiling writes, column for column, the rows the
// store writes for the same submissions, so that it measures the service's work.
func TestRowsAreTheStores(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		mk, err := newMaker("", "t", false)
		if err != nil {
			t.Fatal(err)
		}
		sets := []*rowSet{mk.make(0, 0), mk.make(0, 1)}

		// The service's way, one submission per commit.
		st := storetest.Open(t, cfg)
		if err := jobs.Migrate(ctx, st); err != nil {
			t.Fatal(err)
		}
		q, err := jobs.NewInserter(st, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		st.SetJobs(q)
		for _, r := range sets {
			f := mk.fields
			f.FileID = r.fileID
			if err := st.CreateSubmission(ctx, opendata.NewSubmission(r.id, project, keyPrefix, f, r.at), nil); err != nil {
				t.Fatal(err)
			}
		}

		// The ceiling's, on another database of the same dialect.
		other := storetest.FreshSQLite(t)
		if cfg.DatabaseURL != "" {
			other = storetest.FreshPostgres(t)
		}
		c, err := openCeiling(ctx, other, options{rows: "seven"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		for _, r := range sets {
			if _, _, err := c.commit(ctx, []*rowSet{r}); err != nil {
				t.Fatal(err)
			}
		}

		for _, tb := range []struct {
			name, order string
			each        int // rows per submission
		}{
			{"submissions", "seq", 1}, {"transitions", "seq", 1}, {"file_checks", "submission_id", 1},
			{"submission_jobs", "submission_id, job_id", 2}, {"river_job", "id", 2},
		} {
			want, got := tableRows(t, st.SQL(), tb.name, tb.order), tableRows(t, c.db, tb.name, tb.order)
			if len(want) != tb.each*len(sets) {
				t.Fatalf("%s: the store wrote %d rows for %d submissions, want %d each", tb.name, len(want), len(sets), tb.each)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s differs:\nceiling %v\nstore   %v", tb.name, got, want)
			}
		}
	})
}

// differing are the columns that differ between two writes of the same
// submission: the times of the writes, and River's random nonce (SQLite).
var differing = map[string]bool{"created_at": true, "updated_at": true, "at": true, "requested_at": true,
	"scheduled_at": true, "metadata": true}

// tableRows reads a whole table, each row as its columns' values in text,
// leaving out the differing columns.
func tableRows(t *testing.T, db *sql.DB, table, order string) []map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY ` + order)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			if !differing[c] {
				row[c] = text(vals[i])
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func text(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}
