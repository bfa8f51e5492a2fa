package main

import (
	"github.com/opendata-datahub/datahub/bench/internal/loopback"

	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for database/sql
	"github.com/opendata-datahub/datahub/bench/internal/procstat"
)

// pgRun is the PostgreSQL side of a run with -database-url: two fresh
// databases on the server that URL names, one for the service and one for the
// ceiling, dropped at the end.
type pgRun struct {
	adminURL string // the URL given, pointing at an existing database, for CREATE and DROP DATABASE
	service  string // database names
	raw      string
	created  []string
	facts    []string
}

// withDatabase is dbURL naming database name instead.
func withDatabase(dbURL, name string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), nil
}

func (p *pgRun) url(name string) string {
	u, _ := withDatabase(p.adminURL, name) // checked in newPGRun
	return u
}

// newPGRun checks the URL and creates the two databases.
func newPGRun(ctx context.Context, dbURL string) (*pgRun, error) {
	if err := loopback.DatabaseURL(dbURL); err != nil {
		return nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("-database-url: want postgres:// or postgresql://")
	}
	if strings.Trim(u.Path, "/") == "" { // no database named: connect to the usual maintenance one
		u.Path = "/postgres"
	}
	stamp := time.Now().UTC().Format("20060102_150405") + "_" + strconv.Itoa(os.Getpid())
	p := &pgRun{adminURL: u.String(), service: "datahub_load_" + stamp, raw: "datahub_load_" + stamp + "_raw"}
	db, err := sql.Open("pgx", p.adminURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, name := range []string{p.service, p.raw} {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			p.drop()
			return nil, fmt.Errorf("create database %s: %w", name, err)
		}
		p.created = append(p.created, name)
	}
	var version, fsync, syncCommit, commitDelay, walSync, shared, fpw string
	if err := db.QueryRowContext(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('commit_delay'), current_setting('wal_sync_method'),
		current_setting('shared_buffers'), current_setting('full_page_writes')`).
		Scan(&version, &fsync, &syncCommit, &commitDelay, &walSync, &shared, &fpw); err != nil {
		p.drop()
		return nil, err
	}
	if fsync != "on" || syncCommit != "on" {
		p.drop()
		return nil, fmt.Errorf("PostgreSQL has fsync=%s synchronous_commit=%s: commits would not be durable", fsync, syncCommit)
	}
	cfg, _ := pgconn.ParseConfig(dbURL)
	p.facts = append(p.facts,
		fmt.Sprintf("PostgreSQL %s at %s (fsync=%s, synchronous_commit=%s, commit_delay=%s, wal_sync_method=%s, full_page_writes=%s, shared_buffers=%s)",
			version, cfg.Host, fsync, syncCommit, commitDelay, walSync, fpw, shared),
		fmt.Sprintf("fresh databases %s (service) and %s (ceiling), dropped at the end", p.service, p.raw))
	return p, nil
}

// drop removes the databases this run created (WITH (FORCE) ends any session left on them).
func (p *pgRun) drop() {
	if p == nil || len(p.created) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", p.adminURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: drop databases:", err)
		return
	}
	defer db.Close()
	for _, name := range p.created {
		// An autovacuum worker on the database cannot be terminated by a
		// non-superuser; it leaves within moments, so try again for a while.
		for attempt := 1; ; attempt++ {
			_, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			if err == nil {
				break
			}
			if attempt == 20 || ctx.Err() != nil {
				fmt.Fprintf(os.Stderr, "load: drop database %s: %v\n", name, err)
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	p.created = nil
}

// pgCPU measures the CPU that PostgreSQL spends for this benchmark: every
// process named postgres, except the backends of other databases (other users
// of a shared server).
type pgCPU struct {
	db     *sql.DB // a connection to one of this run's databases
	before map[int]int64
	t0     time.Time
}

func (p *pgRun) sampleCPU(db *sql.DB) *pgCPU {
	if p == nil {
		return nil
	}
	return &pgCPU{db: db, before: procstat.PostgresTicks(), t0: time.Now()}
}

// end returns the cores used since the sample began.
func (s *pgCPU) end(mine ...string) float64 {
	if s == nil {
		return 0
	}
	after, wall := procstat.PostgresTicks(), time.Since(s.t0)
	skip := map[int]bool{}
	rows, err := s.db.Query(`SELECT pid, datname FROM pg_stat_activity WHERE datname IS NOT NULL`)
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var pid int
			var name string
			if rows.Scan(&pid, &name) == nil && !slices.Contains(mine, name) {
				skip[pid] = true
			}
		}
	}
	var ticks int64
	for pid, t := range after {
		if !skip[pid] {
			ticks += t - s.before[pid]
		}
	}
	return float64(ticks) / procstat.UserHZ / wall.Seconds()
}
