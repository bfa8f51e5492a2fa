package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	keyEpochAckWait = 3 * time.Second      // longest a key change waits for the other processes to apply it
	keyEpochAckPoll = 2 * time.Millisecond // how often it looks meanwhile
)

// pgEpoch is the PostgreSQL key epoch. Key changes bump the key_epoch row and
// NOTIFY in their own transaction, so the notification leaves at commit. A
// goroutine LISTENs on a dedicated connection and re-reads the row on each
// notification, on each (re)connection and every keyEpochRecheck, keeping the
// highest value in memory for load.
//
// Whenever that value moves, the listener acknowledges it in key_epoch_acks
// under its connection's backend pid. After committing, a key change waits
// until every listener connected to the database (pg_stat_activity, by
// application_name) has acknowledged it, so that once the call returns the
// change shows in every process. One that does not answer holds the call for
// keyEpochAckWait at most and applies the change by its next re-read.
type pgEpoch struct {
	value  atomic.Uint64
	pool   *pgxpool.Pool // where key changes look for lagging listeners
	config *pgx.ConnConfig
	stop   context.CancelFunc
	done   chan struct{}
}

// querier is what both a pool and a single connection offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func startPGEpoch(ctx context.Context, pool *pgxpool.Pool) *pgEpoch {
	e := &pgEpoch{pool: pool, config: pool.Config().ConnConfig.Copy(), done: make(chan struct{})}
	e.config.RuntimeParams["application_name"] = keyEpochAppName // to find it in pg_stat_activity
	// This fails before the first migration; the listener keeps trying.
	_ = e.reread(ctx, pool)
	// Connect before returning, so that every key change committed once this
	// process can use its keys waits for it. On failure the listener retries.
	conn, _ := e.connect(ctx)
	lctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	go e.listen(lctx, conn)
	return e
}

func (e *pgEpoch) load() uint64 { return e.value.Load() }

func (e *pgEpoch) bump(tx *Tx) (func(context.Context), error) {
	var v int64
	if err := tx.QueryRow(`UPDATE key_epoch SET epoch = epoch + 1 RETURNING epoch`).Scan(&v); err != nil {
		return nil, fmt.Errorf("bump key epoch: %w", err)
	}
	if _, err := tx.Exec(`SELECT pg_notify($1, $2)`, keyEpochChannel, fmt.Sprint(v)); err != nil {
		return nil, fmt.Errorf("notify key epoch: %w", err)
	}
	return func(ctx context.Context) {
		e.raise(uint64(v))
		e.awaitAcks(ctx, v)
	}, nil
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
// notification's payload: another schema in the same database may use the
// channel, and so may any role that can connect; a stray large number would
// hold the epoch above every later change, hiding revocations from the keyring.
func (e *pgEpoch) reread(ctx context.Context, q querier) error {
	// Before the first migration there is no table: say so without a failed
	// statement in the database server's log.
	var migrated bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('key_epoch') IS NOT NULL`).Scan(&migrated); err != nil {
		return fmt.Errorf("read key epoch: %w", err)
	} else if !migrated {
		return errors.New("read key epoch: the store is not migrated yet")
	}
	var v int64
	if err := q.QueryRow(ctx, `SELECT epoch FROM key_epoch`).Scan(&v); err != nil {
		return fmt.Errorf("read key epoch: %w", err)
	}
	e.raise(uint64(v))
	return nil
}

// awaitAcks waits until no listener connected to this database lags behind
// epoch v, for keyEpochAckWait at most. It polls outside any transaction, so
// that each look sees a fresh pg_stat_activity. The change is committed
// whatever happens here, so running out of time is logged, not returned.
func (e *pgEpoch) awaitAcks(ctx context.Context, v int64) {
	ctx, cancel := context.WithTimeout(ctx, keyEpochAckWait)
	defer cancel()
	tick := time.NewTicker(keyEpochAckPoll)
	defer tick.Stop()
	var lagging []int32
	var lastErr error
	for {
		pids, err := e.lagging(ctx, v)
		switch {
		case err == nil && len(pids) == 0:
			return
		case err == nil:
			lagging = pids
		case ctx.Err() == nil:
			lastErr = err
		}
		select {
		case <-ctx.Done():
			slog.Warn("key change committed, but not every process has applied it yet; they will by their next re-read",
				"epoch", v, "lagging_listener_pids", lagging, "waited", keyEpochAckWait, "recheck", keyEpochRecheck, "error", lastErr)
			return
		case <-tick.C:
		}
	}
}

// lagging returns the backend pids of the listeners connected to this
// database that have not acknowledged epoch v. Acks of dead pids do not count.
func (e *pgEpoch) lagging(ctx context.Context, v int64) ([]int32, error) {
	rows, _ := e.pool.Query(ctx, `SELECT a.pid FROM pg_stat_activity a LEFT JOIN key_epoch_acks k ON k.pid = a.pid
		WHERE a.application_name = $1 AND a.datname = current_database() AND coalesce(k.epoch, 0) < $2`, keyEpochAppName, v)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("find lagging key epoch listeners: %w", err)
	}
	return pids, nil
}

// listen keeps a listening connection, starting with conn (nil: none yet),
// until ctx ends.
func (e *pgEpoch) listen(ctx context.Context, conn *pgx.Conn) {
	defer close(e.done)
	for ctx.Err() == nil {
		if conn == nil {
			select {
			case <-ctx.Done():
			case <-time.After(keyEpochRetry):
				conn, _ = e.connect(ctx)
			}
			continue
		}
		start := time.Now()
		_ = e.session(ctx, conn) // returns once the connection fails or ctx ends
		closeConn(conn)
		conn = nil
		// Until it reconnects, key changes cannot see this process to wait for
		// it: reconnect at once, unless the last connection did not last.
		if time.Since(start) > keyEpochRetry {
			conn, _ = e.connect(ctx)
		}
	}
	if conn != nil {
		closeConn(conn)
	}
}

// connect opens a listening connection and prunes the acks of dead listeners.
func (e *pgEpoch) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, e.config)
	if err != nil {
		return nil, fmt.Errorf("connect key epoch listener: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+keyEpochChannel); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("listen key epoch: %w", err)
	}
	// Tidiness only, as waiters ignore dead pids; nothing to do before the first migration.
	var migrated bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('key_epoch_acks') IS NOT NULL`).Scan(&migrated); err == nil && migrated {
		_, _ = conn.Exec(ctx, `DELETE FROM key_epoch_acks k WHERE NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = k.pid)`)
	}
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}

// session waits for notifications on conn until it fails or ctx ends,
// acknowledging the epoch each time it moves.
func (e *pgEpoch) session(ctx context.Context, conn *pgx.Conn) error {
	var acked uint64 // the highest epoch acknowledged through conn
	for {
		// After LISTEN, so that no change slips in between; the tables may not exist yet.
		if err := e.reread(ctx, conn); err != nil && conn.IsClosed() {
			return err
		}
		if v := e.load(); v > acked {
			if err := ack(ctx, conn, v); err == nil {
				acked = v
			} else if conn.IsClosed() {
				return err
			}
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

// ack records, under conn's backend pid, that this process has applied epoch
// v: its load returns v or more. Waiters find conn in pg_stat_activity by that pid.
func ack(ctx context.Context, conn *pgx.Conn, v uint64) error {
	_, err := conn.Exec(ctx, `INSERT INTO key_epoch_acks (pid, epoch, at) VALUES (pg_backend_pid(), $1, now())
		ON CONFLICT (pid) DO UPDATE SET epoch = excluded.epoch, at = excluded.at
		WHERE key_epoch_acks.epoch < excluded.epoch`, int64(v))
	if err != nil {
		return fmt.Errorf("acknowledge key epoch: %w", err)
	}
	return nil
}
