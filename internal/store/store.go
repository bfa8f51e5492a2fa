// Package store keeps DataHub's data in SQL: embedded SQLite by default,
// PostgreSQL for more than one replica. Queries are shared between the two
// dialects ($N placeholders, integer times) and split only where they must differ.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Config says where the data lives.
type Config struct {
	DataDir string // SQLite file, outbox and uploads live here
}

// DB is the store. It is safe for concurrent use.
type DB struct {
	read   *sql.DB
	write  *sql.DB
	commit *committer
	epoch  *keyEpoch
	stmts  sync.Map // query text -> *sql.Stmt, per pool (see stmt)
	now    func() time.Time
}

// Open opens (creating if needed) the SQLite database in cfg.DataDir. Call
// Migrate before use.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	return openSQLite(ctx, cfg)
}

// Close stops the committer and closes the pools.
func (db *DB) Close() error {
	if db.commit != nil {
		db.commit.close()
	}
	var errs []error
	for _, p := range []*sql.DB{db.read, db.write} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	if db.epoch != nil {
		errs = append(errs, db.epoch.close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// stmt returns a prepared statement for query on pool p, preparing it once.
// Only for the read pool: the write pool's one connection is held by the committer.
func (db *DB) stmt(ctx context.Context, p *sql.DB, query string) (*sql.Stmt, error) {
	type key struct {
		p *sql.DB
		q string
	}
	k := key{p, query}
	if s, ok := db.stmts.Load(k); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(k, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// query runs a read on the read pool with a cached statement.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := db.stmt(ctx, db.read, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	s, err := db.stmt(ctx, db.read, q)
	if err != nil {
		return db.read.QueryRowContext(ctx, q, args...) // reports the same error on Scan
	}
	return s.QueryRowContext(ctx, args...)
}

// Tx is a write transaction, or one part of a shared group commit.
type Tx struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	stmts map[string]*sql.Stmt // prepared once per transaction, shared by a batch
}

func (t *Tx) prepared(q string) (*sql.Stmt, error) {
	if s, ok := t.stmts[q]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, err
	}
	t.stmts[q] = s
	return s, nil
}

// Exec runs a statement in the transaction.
func (t *Tx) Exec(q string, args ...any) (sql.Result, error) {
	s, err := t.prepared(q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.ctx, args...)
}

// QueryRow runs a query in the transaction.
func (t *Tx) QueryRow(q string, args ...any) *sql.Row {
	s, err := t.prepared(q)
	if err != nil {
		return t.tx.QueryRowContext(t.ctx, q, args...) // reports the same error on Scan
	}
	return s.QueryRowContext(t.ctx, args...)
}

// update runs fn in a write transaction; on SQLite concurrent calls share one
// commit (one fsync) while each keeps its own outcome.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.commit.do(ctx, fn)
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}
