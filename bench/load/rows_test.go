package main

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// TestCountRows stores submissions as the service does and checks that the
// final read-back accepts them whole and refuses them with a row missing.
func TestCountRows(t *testing.T) {
	breaks := []struct {
		name, sql, want string
	}{
		{"whole", "", ""},
		{"notify link missing", `DELETE FROM submission_jobs WHERE kind = 'notify' AND job_id = (SELECT max(job_id) FROM submission_jobs)`,
			"3 submission_jobs rows (want two each)"},
		{"notify job missing", `DELETE FROM river_job WHERE id = (SELECT max(id) FROM river_job WHERE kind = 'notify')`, "only 1 of 2 submissions"},
		{"notify link to another submission's job", `UPDATE submission_jobs SET job_id = (SELECT min(id) FROM river_job WHERE kind = 'notify')
			WHERE kind = 'notify' AND job_id = (SELECT max(id) FROM river_job WHERE kind = 'notify')`, "only 1 of 2 submissions"},
		{"file check jobs missing", `DELETE FROM river_job WHERE kind = 'file_check'`, "0 file_check jobs"},
	}
	for _, d := range storetest.Dialects() {
		for _, b := range breaks {
			t.Run(d.Name+"/"+strings.ReplaceAll(b.name, " ", "_"), func(t *testing.T) {
				t.Parallel()
				driver, dsn, dialect := storeSubmissions(t, d.Fresh(t), 2)
				if b.sql != "" {
					db, err := sql.Open(driver, dsn)
					if err != nil {
						t.Fatal(err)
					}
					_, err = db.Exec(b.sql)
					db.Close()
					if err != nil {
						t.Fatal(err)
					}
				}
				got, _, err := countRows(driver, dsn, dialect)
				switch {
				case b.want == "" && (err != nil || got != 2):
					t.Fatalf("countRows = %d, %v; want 2, nil", got, err)
				case b.want != "" && (err == nil || !strings.Contains(err.Error(), b.want)):
					t.Fatalf("countRows error = %v; want one containing %q", err, b.want)
				}
			})
		}
	}
}

// storeSubmissions writes n submissions with the service's store and job queue,
// closes the store, and says how countRows reaches that database.
func storeSubmissions(t *testing.T, cfg store.Config, n int) (driver, dsn, dialect string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.NewInserter(db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	db.SetJobs(q)
	raw, errs := opendata.DecodeJSON([]byte(submitBody))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	fields, errs := opendata.Rules{Vocabulary: opendata.MustLoadVocabulary()}.Validate(raw)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for i := range n {
		f := fields
		f.FileID = "f" + strconv.Itoa(i)
		s := opendata.NewSubmission(uuid.Must(uuid.NewV7()).String(), "CFS", "dh_bench000", f, time.Now())
		if err := db.CreateSubmission(ctx, s, nil); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.DatabaseURL != "" {
		return "pgx", cfg.DatabaseURL, "postgres"
	}
	return "sqlite", "file:" + filepath.Join(cfg.DataDir, store.DatabaseFile) + "?_pragma=busy_timeout(10000)", "sqlite"
}
