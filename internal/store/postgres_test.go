package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A listener that loses its connection reconnects and re-reads the epoch, so
// a change whose notification it missed still shows.
func TestKeyEpochListenerReconnects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := freshPostgres(t)
	open := opener(t, cfg)
	db := open()
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'datahub key epoch listener'`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listeners, want 1", killed)
	}
	e := db.KeyEpoch()
	if _, err := conn.Exec(ctx, `UPDATE key_epoch SET epoch = epoch + 1`); err != nil { // a change nobody is told about
		t.Fatal(err)
	}
	// Within the reconnection delay plus a re-read, below the periodic re-read.
	if !epochMovesWithin(db, e, 4*time.Second) {
		t.Fatal("the listener did not recover after losing its connection")
	}
}
