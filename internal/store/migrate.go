package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies every migration of the dialect not yet applied, each in its
// own transaction, in order. It is safe to run from several processes at once:
// each transaction holds the write lock (SQLite) or an advisory lock (PostgreSQL).
func (db *DB) Migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/"+db.dialect.name+"/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	slices.Sort(names)
	if err := db.migrationTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, db.dialect.migrationsTable)
		return err
	}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %s", name)
		}
		if err := db.applyMigration(ctx, version, name); err != nil {
			return fmt.Errorf("migrate %s: %w", path.Base(name), err)
		}
	}
	return nil
}

// migrationTx runs fn in a write transaction that excludes other migrators.
func (db *DB) migrationTx(ctx context.Context, fn func(*Tx) error) error {
	return db.update(ctx, func(tx *Tx) error {
		if db.dialect.migrationLock != "" {
			if _, err := tx.tx.ExecContext(ctx, db.dialect.migrationLock); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		return fn(tx)
	})
}

func (db *DB) applyMigration(ctx context.Context, version int, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	return db.migrationTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, micros(db.now()))
		return err
	})
}

// SchemaVersion returns the newest applied migration, for readiness and `migrate`.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}
