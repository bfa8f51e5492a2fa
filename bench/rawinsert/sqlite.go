package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opendata-datahub/datahub/internal/store"
)

// maxBatch is the service's bound on one group commit (internal/store/commit.go).
const maxBatch = 256

// runSQLite runs the ceiling on SQLite: workers queue row sets; one writer
// takes whatever is queued (up to maxBatch), writes it in one transaction and
// answers every worker after the commit (one fsync for the batch).
func runSQLite(dir, bodyFile, tag string, duration time.Duration, workers int, opts options) (*Result, error) {
	if workers < 1 || duration <= 0 {
		return nil, errors.New("-workers and -duration must be positive")
	}
	ctx := context.Background()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rawinsert-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	mk, err := newMaker(bodyFile, tag, opts.randomIDs)
	if err != nil {
		return nil, err
	}
	c, err := openCeiling(ctx, store.Config{DataDir: dir}, opts)
	if err != nil {
		return nil, err
	}
	defer c.close()
	res := &Result{Database: "sqlite"}
	if res.Settings, err = sqliteSettings(ctx, c); err != nil {
		return nil, err
	}
	notified0, err := sqliteNotifications(ctx, c)
	if err != nil {
		return nil, err
	}

	wchar0, syscw0 := procIO()
	queue := make(chan *rowSet, maxBatch)
	var commits, sets atomic.Int64
	var lastCommit atomic.Int64              // ns since start
	var insertTime, commitTime time.Duration // the writer's, read after it ends
	start := time.Now()

	writerDone := make(chan error, 1)
	go func() {
		batch := make([]*rowSet, 0, maxBatch)
		var failed error
		for r := range queue {
			batch = append(batch[:0], r)
		drain:
			for len(batch) < maxBatch {
				select {
				case r, ok := <-queue:
					if !ok {
						break drain
					}
					batch = append(batch, r)
				default:
					break drain
				}
			}
			ins, com, err := c.commit(ctx, batch)
			insertTime += ins
			commitTime += com
			if err == nil {
				commits.Add(1)
				sets.Add(int64(len(batch)))
				lastCommit.Store(int64(time.Since(start)))
			} else if failed == nil {
				failed = err
			}
			for _, r := range batch {
				r.done <- err
			}
		}
		writerDone <- failed
	}()

	deadline := start.Add(duration)
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			for n := 0; time.Now().Before(deadline); n++ {
				r := mk.make(w, n)
				r.queued, r.done = time.Now(), done
				queue <- r
				if err := <-done; err != nil {
					return
				}
				lat[w] = append(lat[w], time.Since(r.queued))
			}
		}()
	}
	wg.Wait()
	close(queue)
	if err := <-writerDone; err != nil {
		return nil, err
	}

	wchar1, syscw1 := procIO()
	res.Sets, res.Commits = sets.Load(), commits.Load()
	res.finish(time.Duration(lastCommit.Load()), wchar1-wchar0, syscw1-syscw0, lat)
	if res.Commits > 0 {
		res.InsertMs = insertTime.Seconds() * 1000 / float64(res.Commits)
		res.CommitMs = commitTime.Seconds() * 1000 / float64(res.Commits)
	}
	notified1, err := sqliteNotifications(ctx, c)
	if err != nil {
		return nil, err
	}
	res.Notified = notified1 - notified0
	if err := c.readBack(ctx, res, tag); err != nil {
		return nil, err
	}
	return res, nil
}

// sqliteSettings refuses to run unless the writer's connection reports WAL
// and synchronous=FULL, after the -pragma of a diagnosis if any.
func sqliteSettings(ctx context.Context, c *ceiling) (string, error) {
	if c.opts.extraPragma != "" { // the write pool is one connection, which keeps the pragma
		if _, err := c.db.ExecContext(ctx, "PRAGMA "+c.opts.extraPragma); err != nil {
			return "", fmt.Errorf("-pragma: %w", err)
		}
	}
	var journal string
	var syncMode, fk int
	if err := c.db.QueryRowContext(ctx, "SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys").
		Scan(&journal, &syncMode, &fk); err != nil {
		return "", err
	}
	if journal != "wal" || syncMode != 2 {
		return "", fmt.Errorf("want WAL and synchronous=FULL(2), got %s and %d", journal, syncMode)
	}
	return fmt.Sprintf("journal_mode=%s synchronous=%d foreign_keys=%d", journal, syncMode, fk), nil
}

// sqliteNotifications counts River's insert notifications: rows on SQLite,
// which no River client here consumes.
func sqliteNotifications(ctx context.Context, c *ceiling) (int64, error) {
	var n int64
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM river_notification WHERE topic = 'river_insert'`).Scan(&n)
	return n, err
}
