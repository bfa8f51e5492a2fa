package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opendata-datahub/datahub/bench/internal/loopback"
	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/jobs"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/store"
)

// loopbackOnly is the one range the bench's HTTP clients may reach.
var loopbackOnly = fetch.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

// database is where the replicas keep their state: a PostgreSQL database made
// for the run (dropped at the end) or, without a server, a temporary SQLite one.
type database struct {
	cfg   store.Config
	note  string
	admin string // PostgreSQL: the URL the database was created through
	name  string
	dir   string // SQLite: the temporary directory
}

// openDatabase makes a fresh PostgreSQL database through dbURL, or a SQLite
// one in a temporary directory when dbURL is empty or no server answers there.
func openDatabase(ctx context.Context, dbURL string) (*database, error) {
	if dbURL != "" {
		if err := loopback.DatabaseURL(dbURL); err != nil {
			return nil, err
		}
		d, err := createPostgres(ctx, dbURL)
		if err == nil {
			return d, nil
		}
		fmt.Fprintf(os.Stderr, "publish: no PostgreSQL (%v); using SQLite\n", err)
	}
	dir, err := os.MkdirTemp("", "datahub-bench-publish-")
	if err != nil {
		return nil, err
	}
	return &database{cfg: store.Config{DataDir: dir}, dir: dir,
		note: "SQLite in a temporary directory (one store; the two queues share it, as PostgreSQL is needed for replicas)"}, nil
}

func createPostgres(ctx context.Context, admin string) (*database, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, admin)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var version string
	if err := conn.QueryRow(cctx, `SELECT current_setting('server_version')`).Scan(&version); err != nil {
		return nil, err
	}
	name := "datahub_bench_publish_" + time.Now().UTC().Format("20060102_150405") + "_" + strconv.Itoa(os.Getpid())
	if _, err := conn.Exec(cctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	return &database{cfg: store.Config{DatabaseURL: u.String()}, admin: admin, name: name,
		note: fmt.Sprintf("PostgreSQL %s, fresh database %s (dropped at the end), one store handle per replica", version, name)}, nil
}

// drop removes what openDatabase made.
func (d *database) drop() {
	if d.dir != "" {
		os.RemoveAll(d.dir)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "publish: drop database:", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE "+d.name+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "publish: drop database:", err)
	}
}

// postgres says whether the replicas can have a store handle each.
func (d *database) postgres() bool { return d.cfg.DatabaseURL != "" }

// lockedBuffer keeps the queues' logs, to check that no token shows in them.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// replica is one store handle (or the shared one on SQLite) and its started queue.
type replica struct {
	db    *store.DB
	queue *jobs.Queue
	own   bool // the replica opened db and closes it
}

// startReplica starts a queue of workers workers on db (a new handle when db is nil).
func startReplica(ctx context.Context, cfg store.Config, db *store.DB, registry publish.Registry, delay time.Duration,
	workers int, outbox string, logs io.Writer, metrics prometheus.Registerer) (*replica, error) {
	r := &replica{db: db}
	if db == nil {
		var err error
		if r.db, err = store.Open(ctx, cfg); err != nil {
			return nil, err
		}
		r.own = true
	}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	mailer, err := mail.NewOutbox(outbox, "DataHub <datahub@example.gc.ca>", logger)
	if err != nil {
		return nil, err
	}
	q, err := jobs.New(r.db, jobs.Config{
		Fetch:        fetch.New(fetch.Config{Policy: loopbackOnly, TotalTimeout: time.Minute}),
		Mailer:       mailer,
		PublicURL:    "http://datahub.localhost:8080",
		FetchTimeout: time.Minute,
		Workers:      workers,
		PollInterval: 100 * time.Millisecond,
		Logger:       logger,
		Registry:     registry,
		PublishDelay: func(int) time.Duration { return delay },
		Metrics:      metrics,
	})
	if err != nil {
		return nil, err
	}
	r.db.SetJobs(q)
	if err := q.Start(ctx); err != nil {
		return nil, err
	}
	r.queue = q
	return r, nil
}

func (r *replica) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := r.queue.Stop(ctx)
	if r.own {
		err = errors.Join(err, r.db.Close())
	}
	return err
}

// serveFiles serves the same small CSV at every path on 127.0.0.1, for the file checks.
func serveFiles() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "plot,species,height\n1,Picea glauca,12.5\n2,Abies balsamea,9.1\n")
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
