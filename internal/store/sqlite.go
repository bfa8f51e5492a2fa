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
// CLI and the server can share the file. The writer's connection takes the
// write lock at BEGIN; the readers' keep small page caches (readerCacheKiB).
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	if writer {
		q.Set("_txlock", "immediate") // take the write lock at BEGIN, not at the first write
	} else {
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", readerCacheKiB))
	}
	return "file:" + path + "?" + q.Encode()
}

// readerCacheKiB is each read connection's page cache. Any commit empties
// every reader's cache (SQLite cannot tell which pages changed), and the
// driver's allocator hands memory past 4 MiB of freed pages back to the
// system one madvise at a time; SQLite's default 2 MB caches, full after a
// quiet spell, made that a burst of hundreds of calls that held every read
// for 20 to 45 ms on each commit. At 256 KiB the readers' caches together
// stay under that mark, and a lookup re-reads the few pages it
// needs from the system's file cache at no measurable cost (BENCHMARKS.md,
// "Scale"). On two cores there are four readers; on many more, their caches
// together pass the mark again, and a commit costs the reads a few
// milliseconds rather than tens.
const readerCacheKiB = 256

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
