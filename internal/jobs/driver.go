package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/opendata-datahub/datahub/internal/store"
)

// migrationLockID names the advisory lock that River migrators take on PostgreSQL: "river" in ASCII.
const migrationLockID = 0x7269766572

// driver puts River on the store's write pool, so that River's statements and
// the store's share transactions: on SQLite its one connection (as River's
// SQLite driver advises); on PostgreSQL the database/sql view of the pgx pool,
// with a pgx connection taken from it to LISTEN for new jobs.
func driver(db *store.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect() == "postgres" {
		return riverdatabasesql.NewWithPgxListener(db.SQL(), db.PgxPool())
	}
	return riversqlite.New(db.SQL())
}

// readDriver puts River's reads of job rows on the store's read pool: on
// SQLite a status lookup then never waits for the one writer's commit.
func readDriver(db *store.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect() == "postgres" {
		return driver(db)
	}
	return riversqlite.New(db.ReadSQL())
}

// Migrate applies River's own migrations to the store's database. Several
// processes may run it at once: on PostgreSQL they take turns on an advisory
// lock; on SQLite all of River's migrations run in one write transaction,
// which BEGIN IMMEDIATE gives to one process at a time.
func Migrate(ctx context.Context, db *store.DB) error {
	m, err := rivermigrate.New(driver(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	if db.Dialect() == "postgres" {
		err = migratePostgres(ctx, db, m)
	} else {
		err = migrateSQLite(ctx, db, m)
	}
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	return nil
}

func migratePostgres(ctx context.Context, db *store.DB, m *rivermigrate.Migrator[*sql.Tx]) error {
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockID)); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockID))
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// migrateSQLite uses MigrateTx, which River deprecates because some PostgreSQL
// migrations cannot share a transaction; its SQLite migrations can.
func migrateSQLite(ctx context.Context, db *store.DB, m *rivermigrate.Migrator[*sql.Tx]) error {
	if v, err := m.Validate(ctx, nil); err == nil && v.OK {
		return nil // the usual case: nothing to apply, no write lock taken
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil { //nolint:staticcheck // see above
		return err
	}
	return tx.Commit()
}
