package store

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrationLockID names the advisory lock that migrators take: "datahub" in ASCII.
const migrationLockID = 0x64617461687562

// eventsLockID names the advisory lock that writers of events hold until they
// commit: "events" in ASCII.
const eventsLockID = 0x6576656e7473

// openPostgres opens one pgx pool for reads, writes and (through PgxPool) the
// job queue, seen by the shared query code as a database/sql pool. Its size is
// the URL's pool_max_conns, else max(8, 4×GOMAXPROCS): writers mostly wait on
// commits, which PostgreSQL flushes together when they overlap.
func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.DataDir != "" { // the uploads and the outbox
		if err := prepareDataDir(cfg.DataDir); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if u, err := url.Parse(cfg.DatabaseURL); err == nil && !u.Query().Has("pool_max_conns") {
		pcfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	db := &DB{
		dialect: dialect{
			name:            "postgres",
			migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
			migrationLock:   fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, migrationLockID),
			forUpdate:       " FOR UPDATE",
			eventsLock:      fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, eventsLockID),
			history: `(SELECT coalesce(json_agg(json_build_object('f', from_state, 't', to_state, 'a', actor, 'r', reason, 'at', at)
				ORDER BY seq), '[]')::text FROM transitions WHERE submission_id = s.id)`,
			checkJobIDs: `(SELECT coalesce(json_agg(job_id ORDER BY job_id DESC), '[]')::text FROM submission_jobs
				WHERE submission_id = s.id AND kind = $2)`,
		},
		read: sqlDB, write: sqlDB, pool: pool, now: time.Now, dataDir: cfg.DataDir,
	}
	db.writer = &txWriter{db: db}
	db.epoch = startPGEpoch(ctx, pool)
	return db, nil
}

// txWriter runs each write in its own transaction on the pool; PostgreSQL
// already lets concurrent commits share a WAL flush.
type txWriter struct {
	db     *DB
	writes atomic.Int64
}

func (w *txWriter) do(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err // the caller gave up before the write began: nothing is written
	}
	// Once begun, a write finishes even if its caller leaves (as on SQLite): a
	// transaction cut off by a cancelled request would leave the caller unsure.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	w.writes.Add(1)
	tx, err := w.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &Tx{db: w.db, tx: tx, ctx: ctx}
	if err := fn(t); err != nil {
		_ = tx.Rollback() // fn's error says what went wrong; a connection that cannot roll back is discarded
		return err
	}
	if err := t.enqueueEffects(); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writeTimeout bounds a write that its caller no longer waits for.
const writeTimeout = 30 * time.Second

func (w *txWriter) stats() Stats {
	n := w.writes.Load()
	return Stats{Commits: n, Writes: n}
}

func (w *txWriter) close() {}
