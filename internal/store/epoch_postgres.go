package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	keyEpochChannel = "datahub_key_epoch"
	keyEpochRecheck = 5 * time.Second // re-read this often anyway, should a notification be lost
	keyEpochRetry   = time.Second     // wait this long before reconnecting the listener
	keyEpochAppName = "datahub key epoch listener"
)

// pgEpoch is the PostgreSQL key epoch. Key changes bump the key_epoch row and
// NOTIFY in their own transaction, so the notification leaves at commit. A
// goroutine LISTENs on a dedicated connection and re-reads the row on each
// notification, on each (re)connection and every keyEpochRecheck, keeping the
// highest value in memory for load. So another process's change shows here
// once its notification arrives (normally milliseconds after its commit), and
// at worst after keyEpochRecheck.
type pgEpoch struct {
	value  atomic.Uint64
	config *pgx.ConnConfig
	stop   context.CancelFunc
	done   chan struct{}
}

// querier is what both a pool and a single connection offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func startPGEpoch(ctx context.Context, pool *pgxpool.Pool) *pgEpoch {
	e := &pgEpoch{config: pool.Config().ConnConfig.Copy(), done: make(chan struct{})}
	e.config.RuntimeParams["application_name"] = keyEpochAppName // to find it in pg_stat_activity
	// This fails before the first migration; the listener keeps trying.
	_ = e.reread(ctx, pool)
	lctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	go e.listen(lctx)
	return e
}

func (e *pgEpoch) load() uint64 { return e.value.Load() }

func (e *pgEpoch) bump(tx *Tx) (func(), error) {
	var v int64
	if err := tx.QueryRow(`UPDATE key_epoch SET epoch = epoch + 1 RETURNING epoch`).Scan(&v); err != nil {
		return nil, fmt.Errorf("bump key epoch: %w", err)
	}
	if _, err := tx.Exec(`SELECT pg_notify($1, $2)`, keyEpochChannel, fmt.Sprint(v)); err != nil {
		return nil, fmt.Errorf("notify key epoch: %w", err)
	}
	return func() { e.raise(uint64(v)) }, nil
}

func (e *pgEpoch) close() error {
	e.stop()
	<-e.done
	return nil
}

// raise moves the value up to v; it never moves down, as readers and the
// listener may deliver values out of order.
func (e *pgEpoch) raise(v uint64) {
	for {
		cur := e.value.Load()
		if v <= cur || e.value.CompareAndSwap(cur, v) {
			return
		}
	}
}

// reread reads the committed epoch from the database. It does not trust a
// notification's payload: another schema in the same database may use the channel.
func (e *pgEpoch) reread(ctx context.Context, q querier) error {
	var v int64
	if err := q.QueryRow(ctx, `SELECT epoch FROM key_epoch`).Scan(&v); err != nil {
		return fmt.Errorf("read key epoch: %w", err)
	}
	e.raise(uint64(v))
	return nil
}

func (e *pgEpoch) listen(ctx context.Context) {
	defer close(e.done)
	for ctx.Err() == nil {
		if err := e.session(ctx); err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(keyEpochRetry):
			}
		}
	}
}

// session holds one listening connection until it fails or ctx ends.
func (e *pgEpoch) session(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, e.config)
	if err != nil {
		return fmt.Errorf("connect key epoch listener: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+keyEpochChannel); err != nil {
		return fmt.Errorf("listen key epoch: %w", err)
	}
	for {
		// After LISTEN, so that no change slips in between; the table may not exist yet.
		if err := e.reread(ctx, conn); err != nil && conn.IsClosed() {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, keyEpochRecheck)
		_, err := conn.WaitForNotification(wctx)
		timedOut := wctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && (!timedOut || conn.IsClosed()):
			return fmt.Errorf("wait for key epoch: %w", err)
		}
	}
}
