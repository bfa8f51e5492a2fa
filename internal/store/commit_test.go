package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// A failing write in a group commit undoes its own changes and nobody else's.
func TestBatchFailureUndoesOnlyTheFailingWrite(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	refused := errors.New("refused")
	const n = 90
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = db.update(ctx, func(tx *Tx) error {
				if _, err := tx.Exec(`INSERT INTO settings (name, value) VALUES ($1, 'x')`, fmt.Sprint("k", i)); err != nil {
					return err
				}
				if i%3 == 0 {
					return refused // after writing: the write must be undone
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range n {
		var v string
		err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, fmt.Sprint("k", i)).Scan(&v)
		switch {
		case i%3 == 0 && (!errors.Is(errs[i], refused) || !errors.Is(err, sql.ErrNoRows)):
			t.Fatalf("write %d: error %v, row lookup %v; want refused and no row", i, errs[i], err)
		case i%3 != 0 && (errs[i] != nil || err != nil):
			t.Fatalf("write %d: error %v, row lookup %v; want committed", i, errs[i], err)
		}
	}
	if st := db.Stats(); st.Writes < n || st.Commits >= st.Writes {
		t.Fatalf("stats %+v", st)
	}
}

// openSQLiteForTest opens a migrated SQLite store for the package's own tests
// (storetest serves the external ones; it cannot be imported from here).
func openSQLiteForTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
