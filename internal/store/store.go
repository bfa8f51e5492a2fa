// Package store keeps DataHub's data in SQL: embedded SQLite by default,
// PostgreSQL for more than one replica. Queries are shared between the two
// dialects ($N placeholders, integer times) and split only where they must differ.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says where the data lives.
type Config struct {
	DataDir     string // SQLite file, outbox and uploads live here
	DatabaseURL string // postgres:// or postgresql:// to use PostgreSQL instead of SQLite
}

// DB is the store. It is safe for concurrent use.
type DB struct {
	dialect dialect
	read    *sql.DB
	write   *sql.DB       // the same pool as read on PostgreSQL
	pool    *pgxpool.Pool // PostgreSQL only: the connections behind read and write
	writer  writer
	epoch   keyEpoch
	now     func() time.Time
	jobs    Jobs                       // enqueues background work; nil writes the rows but enqueues nothing
	dataDir string                     // holds uploads; may be empty on PostgreSQL, which then refuses them
	observe func(q string, args []any) // sees every read; set by tests of query plans
}

// ObserveQueries has fn see every read query and its arguments, for tests
// that check query plans. Call it before the store is used.
func (db *DB) ObserveQueries(fn func(q string, args []any)) { db.observe = fn }

// dialect holds what differs between SQLite and PostgreSQL outside the shared queries.
type dialect struct {
	name            string // names the migrations folder
	migrationsTable string // creates the table of applied migrations if missing
	migrationLock   string // first statement of every migration transaction; "" when BEGIN already excludes others
	forUpdate       string // locks a row read in a write transaction; "" where writers are already serialized
	// eventsLock is run before each event is written, so that the writers of
	// events commit in the order of their seqs and a reader of the feed never
	// sees a seq before a lower one commits; "" where writers are serialized.
	eventsLock string
	// history is a column expression: the history of submission s as a JSON
	// array of {"f","t","a","r","at"} in order, so that a submission is read
	// with its history in one query.
	history string
	// checkJobIDs is a column expression: the ids of submission s's jobs of
	// the kind $2 as a JSON array, newest first.
	checkJobIDs string
}

// writer runs write transactions.
type writer interface {
	do(ctx context.Context, fn func(*Tx) error) error
	stats() Stats
	close()
}

// Open opens the store: PostgreSQL when cfg.DatabaseURL is a postgres:// or
// postgresql:// URL, else the SQLite database in cfg.DataDir (created if needed).
// Call Migrate before use.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	switch {
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		return openPostgres(ctx, cfg)
	case cfg.DatabaseURL != "":
		return nil, errors.New("open store: the database URL must start with postgres:// or postgresql://")
	}
	return openSQLite(ctx, cfg)
}

// Close stops the writer and the key epoch and closes the pools.
func (db *DB) Close() error {
	if db.writer != nil {
		db.writer.close()
	}
	var errs []error
	if db.epoch != nil {
		errs = append(errs, db.epoch.close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil && db.write != db.read {
		errs = append(errs, db.write.Close())
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return Fault(fmt.Errorf("ping: %w", err))
	}
	return nil
}

// SQL returns the pool that writes go through (the only pool on PostgreSQL),
// for a job queue that shares the database.
func (db *DB) SQL() *sql.DB { return db.write }

// ReadSQL returns the pool the store reads through: on SQLite several
// connections beside the one that writes; on PostgreSQL the same pool as SQL.
func (db *DB) ReadSQL() *sql.DB { return db.read }

// Dialect names the database behind the store: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name }

// PgxPool returns the PostgreSQL connection pool, nil on SQLite.
func (db *DB) PgxPool() *pgxpool.Pool { return db.pool }

// query runs a read on the read pool. Statements are prepared once per
// connection: by the caching driver on SQLite (stmtcache.go), by pgx on PostgreSQL.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if db.observe != nil {
		db.observe(q, args)
	}
	return db.read.QueryContext(ctx, q, args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if db.observe != nil {
		db.observe(q, args)
	}
	return db.read.QueryRowContext(ctx, q, args...)
}

// update runs fn in a write transaction: on SQLite concurrent calls share one
// commit (one fsync) while each keeps its own outcome; on PostgreSQL each call
// is its own transaction and the server groups the commits.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return Fault(db.writer.do(ctx, fn))
}

// Stats reports write activity, for metrics.
type Stats struct {
	Commits int64 // transactions committed or attempted
	Writes  int64 // writes they carried; equal to Commits on PostgreSQL
}

// Stats returns counters since Open.
func (db *DB) Stats() Stats { return db.writer.stats() }

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
