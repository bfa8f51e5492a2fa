package store

import (
	"context"
	"fmt"
	"testing"
)

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	for i := range 3 {
		if _, err := db.write.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)`, fmt.Sprint("k", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.read.Conn(ctx) // one connection, so both uses meet in its cache
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const q = `SELECT name FROM settings ORDER BY name`
	outer, err := conn.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	pairs := 0
	for outer.Next() {
		inner, err := conn.QueryContext(ctx, q) // the cached statement is busy: this one gets its own
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			pairs++
		}
		inner.Close()
	}
	outer.Close()
	if pairs != 9 {
		t.Fatalf("nested reads saw %d pairs, want 9", pairs)
	}
	// Past the cache's size, idle statements are dropped and queries still work.
	for i := range maxCachedStmts + 10 {
		var n int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %v %d", i, err, n)
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM settings`).Scan(&n); err != nil || n < 3 {
		t.Fatalf("after eviction: %v %d", err, n)
	}
}
