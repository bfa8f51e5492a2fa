package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opendata-datahub/datahub/internal/store"
)

// defaultTestDatabaseURL is the local server over its Unix socket, as the OS
// user (peer authentication); that role needs CREATEDB.
const defaultTestDatabaseURL = "postgres:///postgres?host=/var/run/postgresql"

// testDialect makes an empty database of one dialect for one test.
type testDialect struct {
	name  string
	fresh func(tb testing.TB) store.Config
}

func testDialects() []testDialect {
	return []testDialect{{"sqlite", freshSQLite}, {"postgres", freshPostgres}}
}

// forEachDB runs test once per dialect, in parallel, each on its own empty
// database; open returns another migrated handle on it, as a second process would.
func forEachDB(t *testing.T, test func(t *testing.T, open func() *store.DB)) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) { test(t, opener(t, cfg)) })
}

// forEachConfig is forEachDB for tests that open (and migrate) the store themselves.
func forEachConfig(t *testing.T, test func(t *testing.T, cfg store.Config)) {
	for _, d := range testDialects() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d.fresh(t))
		})
	}
}

// opener returns a function that opens and migrates a handle on cfg's
// database, closed when the test ends.
func opener(tb testing.TB, cfg store.Config) func() *store.DB {
	return func() *store.DB {
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
}

func freshSQLite(tb testing.TB) store.Config {
	return store.Config{DataDir: tb.TempDir()}
}

// freshPostgres creates a uniquely named database, dropped when the test ends,
// on the server at DATAHUB_TEST_DATABASE_URL (default defaultTestDatabaseURL).
// It skips the test when no server answers, unless CI=true.
func freshPostgres(tb testing.TB) store.Config {
	tb.Helper()
	admin := os.Getenv("DATAHUB_TEST_DATABASE_URL")
	if admin == "" {
		admin = defaultTestDatabaseURL
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
	if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
	}
}
