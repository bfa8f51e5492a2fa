package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// A page that meets a store fault says so in the layout and the reader's
// language: 503 with Retry-After when the database is away, 507 when the
// disk is full; any other error is the 500 page.
func TestFaultPages(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(Config{Store: db, Vocab: opendata.MustLoadVocabulary(), PublicURL: "http://127.0.0.1",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		err        error
		lang       string
		status     int
		id, text   string
		retryAfter bool
	}{
		{"database away", fmt.Errorf("load: %w", &pgconn.PgError{Code: "57P01"}), "en", 503, "error-unavailable", "cannot reach its database", true},
		{"database away, in French", &pgconn.PgError{Code: "08006"}, "fr", 503, "error-unavailable", "n’atteint pas sa base de données", true},
		{"disk full", &fs.PathError{Op: "write", Err: syscall.ENOSPC}, "en", 507, "error-storage-full", "no space left", false},
		{"disk full, in French", &pgconn.PgError{Code: "53100"}, "fr", 507, "error-storage-full", "plus d’espace", false},
		{"anything else", errors.New("boom"), "en", 500, "error-internal", "could not complete", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/submissions?lang="+tc.lang, nil)
			s.internalError(rec, req, tc.err)
			body := rec.Body.String()
			if rec.Code != tc.status || !strings.Contains(body, `id="`+tc.id+`"`) || !strings.Contains(body, tc.text) {
				t.Errorf("status %d, want %d with %s saying %q:\n%s", rec.Code, tc.status, tc.id, tc.text, body)
			}
			if got := rec.Header().Get("Retry-After") != ""; got != tc.retryAfter {
				t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
			if !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}
