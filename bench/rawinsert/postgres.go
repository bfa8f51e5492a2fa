package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opendata-datahub/datahub/bench/internal/loopback"
	"github.com/opendata-datahub/datahub/bench/internal/procstat"
	"github.com/opendata-datahub/datahub/internal/store"
)

// runPostgres runs the ceiling on PostgreSQL: each worker writes each row set
// in its own transaction on the store's pool; PostgreSQL groups concurrent
// commits itself.
func runPostgres(dbURL, bodyFile, tag string, duration time.Duration, workers int, opts options) (*Result, error) {
	if workers < 1 || duration <= 0 {
		return nil, errors.New("-workers and -duration must be positive")
	}
	if err := loopback.DatabaseURL(dbURL); err != nil {
		return nil, err
	}
	ctx := context.Background()
	mk, err := newMaker(bodyFile, tag, opts.randomIDs)
	if err != nil {
		return nil, err
	}
	c, err := openCeiling(ctx, store.Config{DatabaseURL: withPoolSize(dbURL, workers)}, opts)
	if err != nil {
		return nil, err
	}
	defer c.close()
	res := &Result{Database: "postgres"}
	var fsync, syncCommit, version string
	if err := c.db.QueryRowContext(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('server_version')`).
		Scan(&fsync, &syncCommit, &version); err != nil {
		return nil, err
	}
	if fsync != "on" || syncCommit != "on" {
		return nil, fmt.Errorf("want fsync=on and synchronous_commit=on, got %s and %s", fsync, syncCommit)
	}
	res.Settings = fmt.Sprintf("PostgreSQL %s, fsync=%s synchronous_commit=%s", version, fsync, syncCommit)
	countNotifications, err := listenInserts(ctx, dbURL)
	if err != nil {
		return nil, err
	}

	wchar0, syscw0 := procIO()
	pg0 := procstat.PostgresTicks()
	var commits atomic.Int64
	var lastCommit atomic.Int64 // ns since start
	start := time.Now()
	deadline := start.Add(duration)
	lat := make([][]time.Duration, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				r := mk.make(w, n)
				t0 := time.Now()
				if _, _, err := c.commit(ctx, []*rowSet{r}); err != nil {
					errs[w] = err
					return
				}
				commits.Add(1)
				end := time.Now()
				lat[w] = append(lat[w], end.Sub(t0))
				for {
					prev := lastCommit.Load()
					if int64(end.Sub(start)) <= prev || lastCommit.CompareAndSwap(prev, int64(end.Sub(start))) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	// Read the server's CPU before the connections close and their backends exit,
	// leaving out the backends of other databases (other users of this server).
	pg1, wall := procstat.PostgresTicks(), time.Since(start)
	others, err := otherBackends(ctx, c)
	if err != nil {
		return nil, err
	}
	res.ServerCPU = postgresCores(pg0, pg1, others, wall)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	wchar1, syscw1 := procIO()
	res.Commits = commits.Load()
	res.Sets = res.Commits
	res.finish(time.Duration(lastCommit.Load()), wchar1-wchar0, syscw1-syscw0, lat)
	if res.Notified, err = countNotifications(c.db); err != nil {
		return nil, err
	}
	if err := c.readBack(ctx, res, tag); err != nil {
		return nil, err
	}
	return res, nil
}

// withPoolSize gives the store's pool a connection per worker, and two for
// its key-epoch listener and the reads around the run, unless the URL sets it.
func withPoolSize(dbURL string, workers int) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.Query().Has("pool_max_conns") {
		return dbURL
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(workers+2))
	u.RawQuery = q.Encode()
	return u.String()
}

// listenInserts counts River's insert notifications (pg_notify, which leaves
// no row) on a connection of its own, until end: that sends a last
// notification on another channel, which arrives after those of every
// transaction committed before it.
func listenInserts(ctx context.Context, dbURL string) (end func(*sql.DB) (int64, error), _ error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	var inserts, last string
	if err := conn.QueryRow(ctx, `SELECT current_schema() || '.river_insert', current_schema() || '.rawinsert_end'`).Scan(&inserts, &last); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	for _, ch := range []string{inserts, last} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			conn.Close(ctx)
			return nil, err
		}
	}
	var n int64
	done := make(chan error, 1)
	go func() {
		for {
			note, err := conn.WaitForNotification(ctx)
			if err != nil {
				done <- err
				return
			}
			if note.Channel == last {
				done <- nil
				return
			}
			n++
		}
	}()
	return func(db *sql.DB) (int64, error) {
		defer conn.Close(ctx)
		if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, '')`, last); err != nil {
			return 0, err
		}
		if err := <-done; err != nil {
			return 0, err
		}
		return n, nil
	}, nil
}

// otherBackends is the server's processes that work for other databases.
func otherBackends(ctx context.Context, c *ceiling) (map[int]bool, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname IS NOT NULL AND datname <> current_database()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		out[pid] = true
	}
	return out, rows.Err()
}

// postgresCores is the cores that the postgres processes used between two
// readings, leaving out those in skip; a process that started in between
// counts from zero, one that ended is missed.
func postgresCores(before, after map[int]int64, skip map[int]bool, wall time.Duration) float64 {
	var ticks int64
	for pid, t := range after {
		if !skip[pid] {
			ticks += t - before[pid]
		}
	}
	return float64(ticks) / 100 / wall.Seconds()
}
