package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
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

const listenerName = "datahub key epoch listener"

// connect opens a plain connection to cfg's database, closed when the test ends.
func connect(t *testing.T, cfg store.Config, appName string) *pgx.Conn {
	t.Helper()
	pcfg, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if appName != "" {
		pcfg.RuntimeParams["application_name"] = appName
	}
	conn, err := pgx.ConnectConfig(context.Background(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// listeners returns the backend pids of the key epoch listeners on conn's database.
func listeners(t *testing.T, conn *pgx.Conn) []int32 {
	t.Helper()
	rows, _ := conn.Query(context.Background(), `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1 ORDER BY pid`, listenerName)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

func newKey(prefix string) *opendata.APIKey {
	return &opendata.APIKey{Prefix: prefix, Hash: []byte{1}, Project: "CFS", Client: "c", Contact: "a@b.ca", CreatedAt: time.Now()}
}

// A key change returns only once every other process shows it: the barrier
// behind "a key revoked from the CLI fails at once on every replica".
func TestKeyChangeReturnsOnceEveryProcessHasIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := opener(t, freshPostgres(t))
	a, b := open(), open()
	var took []time.Duration
	for i := range 50 {
		start := time.Now()
		var err error
		if i%2 == 0 {
			err = a.CreateKey(ctx, newKey(fmt.Sprintf("dh_k%02d", i)))
		} else {
			err = a.RevokeKey(ctx, fmt.Sprintf("dh_k%02d", i-1))
		}
		took = append(took, time.Since(start))
		if err != nil {
			t.Fatal(err)
		}
		if ea, eb := a.KeyEpoch(), b.KeyEpoch(); eb < ea { // at once: no polling
			t.Fatalf("change %d: b is at epoch %d, a at %d", i, eb, ea)
		}
	}
	slices.Sort(took)
	t.Logf("key change: median %s, max %s", took[len(took)/2], took[len(took)-1])
}

// A listener whose connection is killed holds a key change for the wait
// timeout at most, catches up after reconnecting, and its old ack row goes.
func TestKeyChangeOutlivesAKilledListener(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := freshPostgres(t)
	open := opener(t, cfg)
	admin := connect(t, cfg, "")
	b := open()
	killed := listeners(t, admin) // b's listener: the only process so far
	if len(killed) != 1 {
		t.Fatalf("listeners %v, want 1", killed)
	}
	a := open()
	if err := a.CreateKey(ctx, newKey("dh_k1")); err != nil { // so that b's listener has an ack row
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, killed[0]); err != nil {
		t.Fatal(err)
	}
	eb := b.KeyEpoch()
	start := time.Now()
	if err := a.RevokeKey(ctx, "dh_k1"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second+500*time.Millisecond {
		t.Fatalf("a key change took %s with a listener killed", took)
	}
	if !epochMoves(b, eb) {
		t.Fatal("b did not catch up after its listener was killed")
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM key_epoch_acks WHERE pid = $1`, killed[0]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the killed listener's ack row was not pruned on reconnection")
		}
	}
}

// A connection that looks like a listener but never acknowledges holds a key
// change for the wait timeout (3s), then the change returns without error.
func TestKeyChangeWaitsForASilentListenerAtMostTheTimeout(t *testing.T) {
	t.Parallel()
	cfg := freshPostgres(t)
	a := opener(t, cfg)()
	connect(t, cfg, listenerName)
	start := time.Now()
	if err := a.CreateKey(context.Background(), newKey("dh_k1")); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 3*time.Second || took > 3*time.Second+500*time.Millisecond {
		t.Fatalf("a key change took %s with a silent listener, want just over 3s", took)
	}
}

// Ack rows of pids that are gone do not hold key changes, and the next
// listener to connect prunes them.
func TestStaleAcksDoNotCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := freshPostgres(t)
	open := opener(t, cfg)
	a := open()
	admin := connect(t, cfg, "")
	// Above Linux's highest pid (2^22), so never a live backend.
	if _, err := admin.Exec(ctx, `INSERT INTO key_epoch_acks (pid, epoch) VALUES (2147483646, 0), (2147483647, 0)`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.CreateKey(ctx, newKey("dh_k1")); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("a key change took %s with stale acks", took)
	}
	open() // connects a listener, which prunes
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM key_epoch_acks WHERE pid >= 2147483646`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d stale acks left, %v", n, err)
	}
}
