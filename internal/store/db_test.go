package store_test

import (
	"testing"

	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// testDialect makes an empty database of one dialect for one test.
type testDialect struct {
	name  string
	fresh func(tb testing.TB) store.Config
}

func testDialects() []testDialect {
	var out []testDialect
	for _, d := range storetest.Dialects() {
		out = append(out, testDialect{d.Name, d.Fresh})
	}
	return out
}

// forEachDB runs test once per dialect, in parallel, each on its own empty
// database; open returns another migrated handle on it, as a second process would.
func forEachDB(t *testing.T, test func(t *testing.T, open func() *store.DB)) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) { test(t, opener(t, cfg)) })
}

// forEachConfig is forEachDB for tests that open (and migrate) the store themselves.
func forEachConfig(t *testing.T, test func(t *testing.T, cfg store.Config)) {
	storetest.ForEach(t, test)
}

// opener returns a function that opens and migrates a handle on cfg's
// database, closed when the test ends. Its handles share one fake queue, as
// replicas share the database's; a test may set its own.
func opener(tb testing.TB, cfg store.Config) func() *store.DB {
	jobs := &fakeJobs{}
	return func() *store.DB {
		tb.Helper()
		db := storetest.OpenWithoutQueue(tb, cfg)
		db.SetJobs(jobs)
		return db
	}
}

func freshPostgres(tb testing.TB) store.Config { return storetest.FreshPostgres(tb) }
