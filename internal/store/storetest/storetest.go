// Package storetest gives tests an empty database of each dialect: SQLite in
// a temporary directory, and PostgreSQL in a database made for the test on the
// server at DATAHUB_TEST_DATABASE_URL (default the local socket). PostgreSQL
// tests skip when no server answers, unless CI=true.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/store"
)

// DefaultDatabaseURL is the local server over its Unix socket, as the OS
// user (peer authentication); that role needs CREATEDB.
const DefaultDatabaseURL = "postgres:///postgres?host=/var/run/postgresql"

// Dialect makes an empty database of one dialect for one test.
type Dialect struct {
	Name  string
	Fresh func(tb testing.TB) store.Config
}

// Dialects returns SQLite and PostgreSQL.
func Dialects() []Dialect {
	return []Dialect{{"sqlite", FreshSQLite}, {"postgres", FreshPostgres}}
}

// ForEach runs test once per dialect, in parallel, each on its own empty database.
func ForEach(t *testing.T, test func(t *testing.T, cfg store.Config)) {
	for _, d := range Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			test(t, d.Fresh(t))
		})
	}
}

// Open opens and migrates a store on cfg's database, closed when the test
// ends, with the job queue's tables and an insert-only queue (jobs.NewInserter):
// writes enqueue their jobs for real, and nothing runs them.
func Open(tb testing.TB, cfg store.Config) *store.DB {
	tb.Helper()
	db := OpenWithoutQueue(tb, cfg)
	ctx := context.Background()
	if err := jobs.Migrate(ctx, db); err != nil {
		tb.Fatal(err)
	}
	q, err := jobs.NewInserter(db, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetJobs(q)
	return db
}

// OpenWithoutQueue opens and migrates a store with no job queue, for tests
// that set their own (or show that writes with effects are refused without one).
func OpenWithoutQueue(tb testing.TB, cfg store.Config) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// FreshSQLite returns a configuration for an empty SQLite database.
func FreshSQLite(tb testing.TB) store.Config {
	return store.Config{DataDir: tb.TempDir()}
}

// FreshPostgres creates a uniquely named database, dropped when the test ends,
// on the server at DATAHUB_TEST_DATABASE_URL (default DefaultDatabaseURL).
// It skips the test when no server answers, unless CI=true.
func FreshPostgres(tb testing.TB) store.Config {
	tb.Helper()
	admin := os.Getenv("DATAHUB_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultDatabaseURL
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("DATAHUB_TEST_DATABASE_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL at %s: %v (CI=true, so this fails instead of skipping)", u.Redacted(), err)
		}
		tb.Skipf("skipping PostgreSQL: no server at %s (set DATAHUB_TEST_DATABASE_URL): %v", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	name := "datahub_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() { dropDatabase(tb, admin, name) })
	u.Path = "/" + name
	return store.Config{DatabaseURL: u.String()}
}

// dropDatabase runs after the test's stores are closed (cleanups run last-in first-out).
func dropDatabase(tb testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	// An autovacuum worker visiting the new database cannot be terminated by a
	// non-superuser; it leaves within moments, so try again for a while.
	for attempt := 1; ; attempt++ {
		_, err = conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		if err == nil {
			return
		}
		if attempt == 20 || ctx.Err() != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}
