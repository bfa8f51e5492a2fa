package store

import (
	"context"
	"database/sql"
	"testing"
)

// The readers keep small page caches, so that a commit, which empties them
// all, frees little; the writer keeps SQLite's default.
func TestSQLiteCacheSizes(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	for _, c := range []struct {
		name string
		pool *sql.DB
		want int
	}{
		{"a reader", db.read, -readerCacheKiB},
		{"the writer", db.write, -2000},
	} {
		var got int
		if err := c.pool.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: cache_size %d, want %d", c.name, got, c.want)
		}
	}
}
