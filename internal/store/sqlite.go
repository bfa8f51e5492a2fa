package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// DatabaseFile is the SQLite file's name under the data directory.
const DatabaseFile = "datahub.db"

// sqliteDSN sets up every connection: WAL so readers never block the writer,
// synchronous=FULL so a commit survives power loss, and a busy timeout so the
// CLI and the server can share the file.
func sqliteDSN(path string, immediate bool) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	if immediate {
		q.Set("_txlock", "immediate") // take the write lock at BEGIN, not at the first write
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("open store: no data directory")
	}
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(cfg.DataDir, DatabaseFile)
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	write, err := sql.Open(cachingDriverName, sqliteDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	write.SetMaxOpenConns(1) // one writer; the committer batches onto it
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open(cachingDriverName, sqliteDSN(path, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	// No migration lock: the write transaction's BEGIN IMMEDIATE already excludes other migrators.
	d := dialect{
		name:            "sqlite",
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		history: `(SELECT json_group_array(json_object('f', from_state, 't', to_state, 'a', actor, 'r', reason, 'at', at) ORDER BY seq)
			FROM transitions WHERE submission_id = s.id)`,
		checkJobIDs: `(SELECT json_group_array(job_id ORDER BY job_id DESC) FROM submission_jobs WHERE submission_id = s.id AND kind = $2)`,
	}
	db := &DB{dialect: d, read: read, write: write, now: time.Now, dataDir: cfg.DataDir}
	if err := write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	epoch, err := openFileEpoch(filepath.Join(cfg.DataDir, "keys.epoch"))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.epoch = epoch
	db.writer = newCommitter(db)
	return db, nil
}
