package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for database/sql
)

// submitRates are -compare's figures: the rate of the same number of
// submissions on an empty store, on the loaded one, and on the empty one again.
type submitRates struct {
	n                    int
	empty1, full, empty2 float64
}

func (s submitRates) ratio() float64 { return s.full / ((s.empty1 + s.empty2) / 2) }

// compare submits c.compare rows to an empty store (a new data directory,
// or a new database beside -database-url's), then to the loaded one (which
// keeps them: they count as loaded), then to the first again, with the same
// binary and clients, back to back, so that the ratio shows what the
// store's size costs a submission and little of what else the machine does.
func (r *report) compare(ctx context.Context, srv *server, st *state, ids *[]string, bin string, c config) error {
	emptyArgs, drop, err := emptyStore(ctx, c)
	if err != nil {
		return err
	}
	defer drop()
	out, err := runCommand(bin, append(append([]string{"keys", "create"}, emptyArgs...),
		"--project", "CFS", "--client", "scale", "--contact", "a@b.gc.ca"))
	if err != nil {
		return err
	}
	emptyKey := lastLine(out)
	empty, err := startServer(ctx, bin, emptyArgs, filepath.Join(c.data, "empty"))
	if err != nil {
		return err
	}
	defer empty.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.loadClients}, Timeout: time.Minute}
	timed := func(base, key string, from int) (float64, []string, error) {
		start := time.Now()
		got, err := submitRange(ctx, client, base, key, from, from+c.compare, c.loadClients)
		return float64(c.compare) / time.Since(start).Seconds(), got, err
	}
	rates := submitRates{n: c.compare}
	progress("comparing %d submissions on an empty store, on this one, and on the empty one again", c.compare)
	if rates.empty1, _, err = timed(empty.base, emptyKey, 0); err != nil {
		return err
	}
	var got []string
	if rates.full, got, err = timed(srv.base, st.Key, st.Loaded); err != nil {
		return err
	}
	if err := appendIDs(c.data, got); err != nil {
		return err
	}
	*ids = append(*ids, got...)
	st.Loaded += len(got)
	if err := st.save(c.data); err != nil {
		return err
	}
	if rates.empty2, _, err = timed(empty.base, emptyKey, c.compare); err != nil {
		return err
	}
	r.rates = &rates
	progress("  %.0f/s empty, %.0f/s at %d, %.0f/s empty: %.2f×", rates.empty1, rates.full, st.Loaded, rates.empty2, rates.ratio())
	return nil
}

// emptyStore makes an empty store like the measured one: a data directory
// under -data, and with -database-url a new database on the same server,
// dropped by drop.
func emptyStore(ctx context.Context, c config) (args []string, drop func(), err error) {
	dir := filepath.Join(c.data, "empty")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	args = []string{"--data", filepath.Join(dir, "data")}
	if c.databaseURL == "" {
		return args, func() { os.RemoveAll(dir) }, nil
	}
	name := "datahub_scale_empty_" + strconv.Itoa(os.Getpid())
	admin, err := sql.Open("pgx", c.databaseURL)
	if err != nil {
		return nil, nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(c.databaseURL)
	if err != nil {
		admin.Close()
		return nil, nil, err
	}
	u.Path, u.RawPath = "/"+name, ""
	return append(args, "--database-url", u.String()), func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
		os.RemoveAll(dir)
	}, nil
}
